"""The layering rules of DESIGN.md, enforced: the sans-I/O core stays free of I/O, and no
product module depends on the `bokeh` library (a test-only oracle)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "livedoc"

# Top-level modules whose presence means I/O machinery was pulled into the core.
IO_MODULES = {
    "tornado",
    "asyncio",
    "socket",
    "socketserver",
    "selectors",
    "ssl",
    "http",
    "urllib",
    "bokeh",
}


def _loaded_after_import(*modules: str) -> set[str]:
    code = (
        "import json, sys\n"
        + "".join(f"import {module}\n" for module in modules)
        + "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize(
    "package",
    [
        "livedoc.protocol",
        "livedoc.document",
        "livedoc.models",
        "livedoc.kernels.wire",
        "livedoc.services",
    ],
)
def test_core_imports_no_io_modules(package: str) -> None:
    loaded = _loaded_after_import(package)
    assert not loaded & IO_MODULES, f"{package} pulls in {sorted(loaded & IO_MODULES)}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


PRODUCT_FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", PRODUCT_FILES, ids=lambda path: str(path.relative_to(SRC)))
def test_no_product_module_imports_bokeh(path: Path) -> None:
    assert "bokeh" not in _imports(path), f"{path} imports bokeh, which is a test-only dependency"


@pytest.mark.parametrize(
    "path",
    [path for path in PRODUCT_FILES if path.relative_to(SRC).parts[0] in ("protocol", "document")],
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_core_source_has_no_io_imports(path: Path) -> None:
    assert not _imports(path) & IO_MODULES, f"{path} imports {sorted(_imports(path) & IO_MODULES)}"


def test_whole_package_loads_without_bokeh() -> None:
    modules = sorted(
        "livedoc." + ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for path in PRODUCT_FILES
        if path.name != "__main__.py"
    )
    assert "bokeh" not in _loaded_after_import(*modules)


def _livedoc_imports(path: Path) -> set[str]:
    """The livedoc subpackages a module imports (`livedoc.server`, ...)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names = (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module]
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
            else []
        )
        found.update(".".join(name.split(".")[:2]) for name in names if name.startswith("livedoc."))
    return found


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in PRODUCT_FILES
        if p.relative_to(SRC).parts[0] in ("kernels", "services", "storage", "auth")
    ],
    ids=lambda path: str(path.relative_to(SRC)),
)
def test_services_layer_does_not_reach_up_into_the_server(path: Path) -> None:
    upward = _livedoc_imports(path) & {"livedoc.server", "livedoc.client", "livedoc.cli"}
    assert not upward, f"{path} imports {sorted(upward)}, a layer above it"
