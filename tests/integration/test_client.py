"""livedoc.client against a real server: push and pull, both directions of sync, a browser-like
peer on the same session, reconnection, and clear errors for wrong URLs, refused tokens and a
server that is down."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from livedoc.client import (
    ClientSession,
    ServerUnreachable,
    SessionRefused,
    pull_session,
    push_session,
)
from livedoc.document import Document
from livedoc.models import Column, ColumnDataSource, Slider
from livedoc.protocol import patch_doc
from tests.live_server import LiveServer

from .ws_client import connected, pulled, root_named, value_change

Start = Callable[..., LiveServer]


def empty_app(doc: Document) -> None:
    """Like `livedoc serve` without an app: an empty document that clients push to."""


def slider_app(doc: Document) -> None:
    doc.add_root(Slider(start=0, end=10, value=5, title="level", name="slider"))


def wait_until(condition: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return result


def published_doc() -> tuple[Document, Slider, ColumnDataSource]:
    doc = Document(title="from a script")
    slider = Slider(start=0, end=100, value=10, name="slider")
    source = ColumnDataSource(data={"t": [0.0], "y": [1.0]}, name="source")
    doc.add_root(Column(children=[slider], name="column"))
    doc.add_root(source)
    return doc, slider, source


def test_push_makes_the_script_document_the_sessions(live_server: Start) -> None:
    server = live_server({"/": empty_app})
    doc, slider, source = published_doc()
    with push_session(doc, server.url()) as session:
        assert session.connected
        title = server.with_document("/", lambda d: d.title)
        assert title == "from a script"
        # Python -> server: a property change and a stream, acknowledged before flush returns
        slider.value = 42
        source.stream({"t": [1.0, 2.0], "y": [2.0, 3.0]})
        session.flush()
        value = server.with_document("/", lambda d: d.get_model_by_name("slider").get("value"))
        rows = server.with_document(
            "/", lambda d: list(d.get_model_by_name("source").get("data")["t"])
        )
        assert value == 42
        assert rows == [0.0, 1.0, 2.0]


def test_a_browser_change_reaches_the_script_and_fires_its_callback(live_server: Start) -> None:
    server = live_server({"/": empty_app})
    doc, slider, _ = published_doc()
    seen: list[tuple[Any, Any, str | None]] = []
    slider.on_change(
        "value", lambda attr, old, new: seen.append((old, new, threading.current_thread().name))
    )

    with push_session(doc, server.url()) as session:

        async def browser() -> None:
            peer = await connected(server, session.id)
            doc_json = await pulled(peer)
            slider_json = next(m for m in root_named(doc_json, "column")["attributes"]["children"])
            await peer.request(patch_doc([value_change(slider_json["id"], "value", 77)], {}))
            peer.close()

        asyncio.run(browser())
        wait_until(lambda: slider.value == 77)
        assert seen[-1][:2] == (10, 77)
        assert seen[-1][2] == "livedoc-client"  # callbacks run on the client's loop thread


def test_a_script_change_reaches_a_browser_peer(live_server: Start) -> None:
    server = live_server({"/": empty_app})
    doc, _, source = published_doc()
    with push_session(doc, server.url()) as session:

        async def browser() -> list[str]:
            peer = await connected(server, session.id)
            await pulled(peer)
            source.stream({"t": [5.0], "y": [6.0]})  # from another thread, while connected
            message = await peer.receive()
            peer.close()
            assert message is not None
            return [event["kind"] for event in message.content["events"]]

        assert asyncio.run(browser()) == ["ColumnsStreamed"]


def test_pull_session_reads_and_writes_an_app_session(live_server: Start) -> None:
    server = live_server({"/app": slider_app})
    session = pull_session(server.url("/app"), arguments={"who": "script"})
    try:
        slider = session.document.get_model_by_name("slider")
        assert slider.value == 5
        slider.value = 8
        session.flush()
        assert (
            server.with_document("/app", lambda d: d.get_model_by_name("slider").get("value")) == 8
        )
        server.with_document("/app", lambda d: setattr(d.get_model_by_name("slider"), "value", 1))
        wait_until(lambda: slider.value == 1)
    finally:
        session.close()


def test_the_async_api_runs_on_the_callers_loop(live_server: Start) -> None:
    server = live_server({"/app": slider_app})

    async def notebook() -> tuple[int, bool]:
        session = await ClientSession.open(server.url("/app"))
        slider = session.document.get_model_by_name("slider")
        slider.value = 3
        await session.flush()
        on_this_loop = session._loop is asyncio.get_running_loop()
        await session.close()
        return slider.value, on_this_loop

    assert asyncio.run(notebook()) == (3, True)
    assert server.with_document("/app", lambda d: d.get_model_by_name("slider").get("value")) == 3


def test_reconnects_after_a_dropped_connection_and_keeps_syncing(live_server: Start) -> None:
    server = live_server({"/": empty_app})
    doc, slider, _ = published_doc()
    with push_session(doc, server.url()) as session:

        async def drop() -> None:
            [server_session] = server.sessions()
            for connection in list(server_session.connections):
                connection.close(1001, "going away for a test")

        server.call(drop())
        wait_until(lambda: session.session.reconnects == 1)
        slider.value = 55
        session.flush()
        assert server.with_document("/", lambda d: d.get_model_by_name("slider").get("value")) == 55


def test_wrong_path_is_refused_clearly(live_server: Start) -> None:
    server = live_server({"/app": slider_app})
    with pytest.raises(SessionRefused, match=r"no app at .*/nope/ws \(404\)"):
        pull_session(server.url("/app").replace("/app", "/nope"))


def test_a_refused_token_is_reported(live_server: Start) -> None:
    secret = "a-secret-key-that-is-long-enough-1234567890"
    server = live_server({"/app": slider_app}, session_ids="signed", secret_key=secret)
    with pytest.raises(SessionRefused, match="403"):
        pull_session(server.url("/app"))  # an unsigned session id


def test_a_server_that_is_down_is_reported() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ServerUnreachable, match="is it running"):
        pull_session(f"http://127.0.0.1:{port}/app", timeout=3)


def test_a_malformed_url_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a server URL"):
        pull_session("localhost:5006")
