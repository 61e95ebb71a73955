"""Each example app's document, serialized by livedoc, loads in the real bokeh 3.9.2 without a
warning or a log record (no unknown model, attribute or invalid value), and bokeh encodes what
it loaded exactly as livedoc did (same models, ids and attributes: livedoc builds the same
configured default models, such as a tool's overlay, that bokeh does)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from livedoc.application import build_application

from ._bridge import assert_same_documents, bokeh_doc_wire, livedoc_doc_wire, to_bokeh

pytestmark = pytest.mark.oracle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPS = sorted(
    path.name for path in EXAMPLES.iterdir() if path.suffix == ".py" or (path / "main.py").exists()
)


def test_there_are_at_least_eight_examples() -> None:
    assert len(APPS) >= 8, APPS


@pytest.mark.parametrize("name", APPS)
def test_example_document_loads_in_bokeh(name: str, caplog: pytest.LogCaptureFixture) -> None:
    app = build_application(EXAMPLES / name)
    doc = app.create_document()
    assert not app.errors_for(doc), app.errors_for(doc)
    assert doc.roots, f"{name} added no roots"
    wire = livedoc_doc_wire(doc)
    with caplog.at_level(logging.DEBUG, logger="bokeh"), warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = to_bokeh(wire)
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("bokeh")]
    assert_same_documents(wire, bokeh_doc_wire(loaded))
