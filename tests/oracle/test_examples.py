"""Each example app's document, serialized by livedoc, loads in the real bokeh 3.9.2 without a
warning or a log record (no unknown model, attribute or invalid value), and bokeh encodes what
it loaded as livedoc did: every attribute livedoc sent comes back unchanged. (bokeh adds the
models BokehJS builds as configured defaults, such as a tool's overlay, which livedoc leaves to
BokehJS; those are the only differences allowed.)"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from livedoc.application import build_application

from ._bridge import (
    assert_well_formed,
    bokeh_doc_wire,
    canonical_doc,
    differences,
    fill_defaults,
    livedoc_doc_wire,
    to_bokeh,
)

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
    sent, echoed = canonical_doc(wire), canonical_doc(bokeh_doc_wire(loaded))
    assert_well_formed(sent)
    fill_defaults(sent.models, echoed.models)
    problems = [
        line
        for line in [
            *differences(sent.value, echoed.value, "doc"),
            *differences(sent.models, echoed.models, "models"),
        ]
        if "only on the right" not in line  # bokeh's own configured defaults
    ]
    assert not problems, "bokeh changed what livedoc sent:\n  " + "\n  ".join(problems[:20])
