"""The real bokeh.client 3.9.2 against livedoc: pull, push, and changes both ways."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("bokeh")

from bokeh.client import ClientSession, pull_session, push_session
from bokeh.document import Document as BokehDocument
from bokeh.models import ColumnDataSource as BokehSource, Slider as BokehSlider

from livedoc.application import empty_application
from livedoc.models import Column, ColumnDataSource, Slider
from livedoc.plotting import figure

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.document import Document
    from tests.live_server import LiveServer


def plot_app(doc: Document) -> None:
    source = ColumnDataSource(data={"x": [1.0, 2.0, 3.0], "y": [4.0, 5.0, 6.0]}, name="source")
    plot = figure(title="from livedoc", name="plot")
    plot.line("x", "y", source=source)
    slider = Slider(start=0, end=10, value=1, name="slider", title="s")
    doc.title = "plot app"
    doc.add_root(Column(children=[plot, slider]))


def wait_in_client(
    session: ClientSession, condition: Callable[[], bool], timeout: float = 10
) -> None:
    """Let bokeh.client read what the server sent until `condition()` holds: it only reads
    messages while its own loop runs, one message per turn of its state machine."""
    connection = session._connection
    deadline = time.monotonic() + timeout
    stop = connection._loop.call_later(timeout, connection._loop.stop)
    try:
        connection._loop_until(lambda: condition() or time.monotonic() > deadline)
    finally:
        connection._loop.remove_timeout(stop)
    assert condition(), "the change did not reach the bokeh.client document"


def test_pull_session_gets_the_typed_document(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": plot_app})
    with pull_session(url=server.url()) as session:
        doc = session.document
        assert doc.title == "plot app"
        [column] = doc.roots
        plot, slider = column.children
        assert plot.title.text == "from livedoc"
        assert (slider.value, slider.end) == (1, 10)
        source = doc.select_one({"name": "source"})
        assert list(source.data["y"]) == [4.0, 5.0, 6.0]


def test_push_session_replaces_the_document(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": empty_application()})
    pushed = BokehDocument()
    pushed.add_root(BokehSlider(start=0, end=3, value=2, title="pushed", name="knob"))
    pushed.add_root(BokehSource(data={"a": [1, 2, 3]}, name="table"))
    with push_session(pushed, session_id="pushed-session", url=server.url()):
        value = server.with_document("/", lambda d: d.get_model_by_name("knob").get("value"))
        assert value == 2
        with pull_session(session_id="pushed-session", url=server.url()) as second:
            assert second.document.select_one({"name": "knob"}).value == 2
            assert list(second.document.select_one({"name": "table"}).data["a"]) == [1, 2, 3]


def test_changes_flow_both_ways(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": plot_app})
    with (
        pull_session(session_id="both-ways", url=server.url()) as first,
        pull_session(session_id="both-ways", url=server.url()) as second,
    ):
        # client -> server -> the other client
        first.document.select_one({"name": "slider"}).value = 6
        first.force_roundtrip()
        value = server.with_document("/", lambda d: d.get_model_by_name("slider").value)
        assert value == 6
        wait_in_client(second, lambda: second.document.select_one({"name": "slider"}).value == 6)

        # server (Python app side) -> clients
        def change(doc: Document) -> None:
            doc.get_model_by_name("slider").value = 9
            doc.get_model_by_name("source").stream({"x": [4.0], "y": [7.0]})

        server.with_document("/", change)
        source = first.document.select_one({"name": "source"})
        wait_in_client(first, lambda: len(source.data["y"]) == 4)
        assert first.document.select_one({"name": "slider"}).value == 9
        assert list(source.data["y"]) == [4.0, 5.0, 6.0, 7.0]
