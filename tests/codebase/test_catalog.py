"""The model catalog agrees with the installed BokehJS 3.9.2, property for property."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livedoc.document.model import MODEL_REGISTRY, Model
from livedoc.models import catalog
from tests.codebase.dts_props import DeclaredProps

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


def test_every_attribute_is_declared_by_bokehjs() -> None:
    """Each attribute of each model (generated or hand-written) is a property that BokehJS
    3.9.2's `.d.ts` files declare for that class (its `Props`, bases and mixins)."""
    declared = DeclaredProps(LIB)
    undeclared: list[str] = []
    checked = 0
    for wire_name, cls in MODEL_REGISTRY.items():
        if not issubclass(cls, Model) or not cls.__module__.startswith("livedoc."):
            continue
        short = wire_name.rsplit(".", 1)[-1]
        if short not in declared.namespaces and short not in declared.bases:
            undeclared.append(f"{wire_name} (no namespace)")
            continue
        props = declared.props(short)
        for attr in cls.properties():
            checked += 1
            if attr not in props:
                undeclared.append(f"{wire_name}.{attr}")
    assert checked > 8000
    assert not undeclared, undeclared


def test_the_declaration_reader_sees_bases_mixins_and_prefixes() -> None:
    declared = DeclaredProps(LIB)
    assert {"x", "y", "line_color", "line_dash", "name", "tags"} <= declared.props("Line")
    assert "fill_color" not in declared.props("Line")
    assert {"border_line_color", "background_fill_alpha"} <= declared.props("LabelSet")
    assert {"active_drag", "tools"} <= declared.props("Toolbar")
    assert declared.props("ZoomInTool") == declared.props("ZoomBaseTool")  # adds no property


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
