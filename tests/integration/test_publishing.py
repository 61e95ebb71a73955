"""Publishing from Python: a document published under a name is served at /docs/<owner>/<name>
to every viewer, kept in the store (SQLite survives a restart), updated live both ways, and
replaced by publishing again; the real bokeh.client can publish and read back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from livedoc.client import SessionRefused, publish, pull_session
from livedoc.document import Document
from livedoc.models import Column, ColumnDataSource, Slider
from livedoc.protocol import patch_doc
from tests.live_server import LiveServer
from tests.redis_server import redis_url as redis_url  # the fixture

from . import http_client
from .ws_client import ProtocolClient, pulled, token_for, value_change

if TYPE_CHECKING:
    from pathlib import Path

Start = Callable[..., LiveServer]


def no_app(doc: Document) -> None:
    """A server needs one app; these tests use only its published documents."""


def sensor_doc(title: str = "sensors") -> tuple[Document, ColumnDataSource, Slider]:
    doc = Document(title=title)
    source = ColumnDataSource(data={"t": np.arange(3.0), "y": np.zeros(3)}, name="readings")
    slider = Slider(start=0, end=10, value=2, name="threshold")
    doc.add_root(Column(children=[slider], name="controls"))
    doc.add_root(source)
    return doc, source, slider


def get(url: str) -> tuple[int, str]:
    status, _, body = http_client.get(url)
    return status, body


def wait_until(condition: Callable[[], Any], timeout: float = 10) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


async def viewer(url: str) -> ProtocolClient:
    """A browser-like connection to a published document's websocket, past its ACK."""
    client = await ProtocolClient.connect(url.replace("http://", "ws://") + "/ws", token_for())
    ack = await client.receive()
    assert ack is not None
    assert ack.msgtype == "ACK"
    return client


def test_publish_serves_the_document_at_its_url(live_server: Start) -> None:
    server = live_server({"/": no_app})
    doc, _, _ = sensor_doc()
    with publish(doc, "sensors", url=server.url()) as publication:
        assert publication.url == server.url().rstrip("/") + "/docs/local/sensors"
        status, page = get(publication.url)
        assert status == 200
        assert "<title>sensors</title>" in page
        status, index = get(server.url().rstrip("/") + "/docs")
        assert "local/sensors" in index
        reader = pull_session(publication.url)
        assert list(reader.document.get_model_by_name("readings").data["t"]) == [0.0, 1.0, 2.0]
        reader.close()


def test_script_streams_reach_viewers_and_viewer_changes_reach_the_script(
    live_server: Start,
) -> None:
    server = live_server({"/": no_app})
    doc, source, slider = sensor_doc()
    moved: list[Any] = []
    slider.on_change("value", lambda attr, old, new: moved.append(new))
    with publish(doc, "sensors", url=server.url()) as publication:

        async def watch() -> list[str]:
            peer = await viewer(publication.url)
            doc_json = await pulled(peer)
            source.stream({"t": [3.0, 4.0], "y": [1.0, 1.0]})  # the script, meanwhile
            message = await peer.receive()
            assert message is not None
            controls = next(
                r for r in doc_json["roots"] if r["attributes"].get("name") == "controls"
            )
            slider_id = controls["attributes"]["children"][0]["id"]
            await peer.request(patch_doc([value_change(slider_id, "value", 9)], {}))
            peer.close()
            return [event["kind"] for event in message.content["events"]]

        assert asyncio.run(watch()) == ["ColumnsStreamed"]
        wait_until(lambda: moved == [9])
        publication.flush()


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_stored_documents_survive_a_server_restart(
    live_server: Start, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    storage = (
        f"sqlite://{tmp_path}/documents.db"
        if backend == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    first = live_server({"/": no_app}, storage=storage)
    doc, source, slider = sensor_doc()
    publication = publish(doc, "sensors", url=first.url(), public=True)
    source.stream({"t": [3.0], "y": [7.0]})
    slider.value = 4
    publication.flush()  # acknowledged: stored
    publication.close()
    first.stop()

    second = live_server({"/": no_app}, storage=storage)
    url = second.url().rstrip("/") + "/docs/local/sensors"
    reader = pull_session(url)
    try:
        assert list(reader.document.get_model_by_name("readings").data["y"]) == [0, 0, 0, 7.0]
        assert reader.document.get_model_by_name("threshold").value == 4
    finally:
        reader.close()


def test_publishing_again_replaces_the_content(live_server: Start) -> None:
    server = live_server({"/": no_app})
    first, _, _ = sensor_doc("first")
    publish(first, "report", url=server.url()).close()
    second, _, _ = sensor_doc("second")
    publication = publish(second, "report", url=server.url())
    publication.close()
    assert "<title>second</title>" in get(publication.url)[1]


def test_unknown_documents_are_404(live_server: Start) -> None:
    server = live_server({"/": no_app})
    base = server.url().rstrip("/")
    status, page = get(base + "/docs/local/nothing")
    assert status == 404
    assert "no published document" in page
    assert get(base + "/docs/local/..%2Fetc")[0] == 404
    with pytest.raises(SessionRefused, match="404"):
        pull_session(base + "/docs/local/nothing")


def test_bokeh_client_publishes_and_reads_back(live_server: Start) -> None:
    from bokeh.client import pull_session as bokeh_pull, push_session as bokeh_push
    from bokeh.document import Document as BokehDocument
    from bokeh.models import ColumnDataSource as BokehSource
    from bokeh.plotting import figure as bokeh_figure

    server = live_server({"/": no_app})
    base = server.url().rstrip("/")
    doc = BokehDocument()
    source = BokehSource(data={"x": [1, 2, 3], "y": [4, 5, 6]}, name="points")
    plot = bokeh_figure(title="from bokeh", name="plot")
    plot.scatter("x", "y", source=source)
    doc.add_root(plot)
    pusher = bokeh_push(doc, url=base + "/docs/local/bokeh-doc/publish")
    pusher.close()
    reader = bokeh_pull(url=base + "/docs/local/bokeh-doc")
    try:
        loaded = reader.document.get_model_by_name("points")
        assert loaded.data == {"x": [1, 2, 3], "y": [4, 5, 6]}
        assert reader.document.get_model_by_name("plot").title.text == "from bokeh"
    finally:
        reader.close()
