# livedoc developer commands. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BUNDLES := src/livedoc/static/js/VERSION

.PHONY: demo test lint fix typecheck unit bench clean

# The virtualenv with livedoc installed in editable mode; the build hook fetches BokehJS from npm.
$(INSTALLED): pyproject.toml package.json package-lock.json hatch_build.py tests/interop/node/package-lock.json
	scripts/system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	npm ci --prefix tests/interop/node --no-audit --no-fund  # JupyterLab's client, for interop tests
	touch $(INSTALLED)

# Re-run the build hook if the bundles were removed after installing.
$(BUNDLES): $(INSTALLED)
	test -f $(BUNDLES) || $(BIN)/python -m pip install --quiet --no-deps -e .

# Serve the streaming example on the embedded defaults (http://127.0.0.1:5006/streaming).
demo: $(BUNDLES)
	$(BIN)/livedoc serve examples/streaming.py

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks examples scripts hatch_build.py
	$(BIN)/ruff format --check src tests benchmarks examples scripts hatch_build.py

# Apply the formatter and the safe lint fixes.
fix: $(INSTALLED)
	$(BIN)/ruff format src tests benchmarks examples scripts hatch_build.py
	$(BIN)/ruff check --fix src tests benchmarks examples scripts hatch_build.py

typecheck: $(INSTALLED)
	$(BIN)/mypy

unit: $(BUNDLES)
	$(BIN)/python -m pytest

# The whole suite: lint, strict typing, then every test tier.
test: lint typecheck unit

bench: $(BUNDLES)
	$(BIN)/python benchmarks/serialize.py
	$(BIN)/python benchmarks/serve.py
	$(BIN)/python benchmarks/publish.py

clean:
	rm -rf $(VENV) node_modules src/livedoc/static/js .pytest_cache .mypy_cache .ruff_cache
