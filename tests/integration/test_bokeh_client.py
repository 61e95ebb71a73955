"""The real bokeh.client 3.9.2 against livedoc: pull, push, and changes both ways."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("bokeh")

from bokeh.client import ClientSession, pull_session, push_session
from bokeh.core.types import ID
from bokeh.document import Document as BokehDocument
from bokeh.models import ColumnDataSource as BokehSource
from bokeh.models.widgets import Slider as BokehSlider

from livedoc.application import cursession, empty_application
from livedoc.models import Column, ColumnDataSource, Div, Slider
from livedoc.plotting import figure

from .http_client import get
from .ws_client import ProtocolClient, connected, pulled, root_named

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


def named(doc: BokehDocument, name: str) -> Any:
    """The model called `name` in a bokeh document (bokeh's own types say it may be None)."""
    model = doc.select_one({"name": name})
    assert model is not None, f"no model named {name!r}"
    return model


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
        plot, slider = column.children  # type: ignore[attr-defined]
        assert plot.title.text == "from livedoc"
        assert (slider.value, slider.end) == (1, 10)
        source = named(doc, "source")
        assert list(source.data["y"]) == [4.0, 5.0, 6.0]


def test_push_session_replaces_the_document(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": empty_application()})
    pushed = BokehDocument()
    pushed.add_root(BokehSlider(start=0, end=3, value=2, title="pushed", name="knob"))
    pushed.add_root(BokehSource(data={"a": [1, 2, 3]}, name="table"))
    with push_session(pushed, session_id=ID("pushed-session"), url=server.url()):
        value = server.with_document("/", lambda d: d.get_model_by_name("knob").get("value"))
        assert value == 2
        with pull_session(session_id=ID("pushed-session"), url=server.url()) as second:
            assert named(second.document, "knob").value == 2
            assert list(named(second.document, "table").data["a"]) == [1, 2, 3]


def test_a_push_reaches_the_other_connections_of_the_session(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": empty_application()})

    async def watch() -> tuple[ProtocolClient, dict[str, Any]]:
        client = await connected(server, "watched-push")
        return client, await pulled(client)

    async def patches_until_roots(client: ProtocolClient) -> list[str]:
        kinds: list[str] = []
        while "RootAdded" not in kinds:
            patch = await client.receive()
            assert patch is not None
            kinds += [event["kind"] for event in patch.content["events"]]
        return kinds

    loop = asyncio.new_event_loop()
    try:
        watcher, before = loop.run_until_complete(watch())
        assert before["roots"] == []
        pushed = BokehDocument()
        pushed.add_root(BokehSlider(start=0, end=3, value=2, title="pushed", name="knob"))
        with push_session(pushed, session_id=ID("watched-push"), url=server.url()):
            kinds = loop.run_until_complete(patches_until_roots(watcher))
            assert "RootAdded" in kinds
            after = loop.run_until_complete(pulled(watcher))
        assert root_named(after, "knob")["attributes"]["value"] == 2
        watcher.close()
    finally:
        loop.close()


def test_changes_flow_both_ways(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": plot_app})
    with (
        pull_session(session_id=ID("both-ways"), url=server.url()) as first,
        pull_session(session_id=ID("both-ways"), url=server.url()) as second,
    ):
        # client -> server -> the other client
        named(first.document, "slider").value = 6
        first.force_roundtrip()
        value = server.with_document("/", lambda d: d.get_model_by_name("slider").value)
        assert value == 6
        wait_in_client(second, lambda: named(second.document, "slider").value == 6)

        # server (Python app side) -> clients
        def change(doc: Document) -> None:
            doc.get_model_by_name("slider").value = 9
            doc.get_model_by_name("source").stream({"x": [4.0], "y": [7.0]})

        server.with_document("/", change)
        source = named(first.document, "source")
        wait_in_client(first, lambda: len(source.data["y"]) == 4)
        assert named(first.document, "slider").value == 9
        assert list(source.data["y"]) == [4.0, 5.0, 6.0, 7.0]


def ticking_app(doc: Document) -> None:
    """Two clocks the app's Python side advances: a Document callback and a ServerContext one."""
    doc.add_root(Slider(start=0, end=1000, value=0, name="document_clock", title="d"))
    doc.add_root(Slider(start=0, end=1000, value=0, name="server_clock", title="s"))

    def tick_document() -> None:  # runs with the session lock held, curdoc() bound
        clock = doc.get_model_by_name("document_clock")
        clock.value = min(clock.value + 1, 1000)

    doc.add_periodic_callback(tick_document, 30)

    session = cursession()
    assert session is not None

    async def tick_server() -> None:  # an app-wide callback: it takes the lock itself
        if session.destroyed:
            return

        def advance(locked: Document) -> None:
            clock = locked.get_model_by_name("server_clock")
            clock.value = min(clock.value + 1, 1000)

        await session.with_locked_document(advance)

    session.server_context.add_periodic_callback(tick_server, 30)


def test_changes_made_by_python_callbacks_reach_bokeh_client(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": ticking_app})
    with pull_session(url=server.url()) as session:
        document_clock = named(session.document, "document_clock")
        server_clock = named(session.document, "server_clock")
        pulled_at = (document_clock.value, server_clock.value)
        wait_in_client(
            session,
            lambda: (
                document_clock.value >= pulled_at[0] + 3 and server_clock.value >= pulled_at[1] + 3
            ),
        )


def arguments_app(doc: Document) -> None:
    session = cursession()
    assert session is not None
    shown = {k: [v.decode() for v in vs] for k, vs in session.request.arguments.items()}
    doc.title = "arguments"
    doc.add_root(Div(text=json.dumps(shown, sort_keys=True), name="arguments"))


def test_pull_session_arguments_reach_the_app(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": arguments_app})
    with pull_session(url=server.url(), arguments={"rows": "5", "mode": "fast"}) as session:
        shown = json.loads(named(session.document, "arguments").text)
    assert shown == {"mode": ["fast"], "rows": ["5"]}


def test_a_page_and_bokeh_client_share_a_session_by_id(
    live_server: Callable[..., LiveServer],
) -> None:
    built: list[str] = []

    def app(doc: Document) -> None:
        built.append(doc.title)
        plot_app(doc)

    server = live_server({"/": app})
    assert get(server.url() + "?bokeh-session-id=from-the-page")[0] == 200
    server.with_document("/", lambda d: setattr(d.get_model_by_name("slider"), "value", 4))
    with pull_session(session_id=ID("from-the-page"), url=server.url()) as session:
        assert named(session.document, "slider").value == 4
    assert len(built) == 1


def test_server_info_and_unknown_app_paths(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": plot_app})
    session = ClientSession(websocket_url=server.url().replace("http://", "ws://") + "ws")
    session.connect()
    try:
        info = session.request_server_info()
        assert info["version_info"]["bokeh"] == "3.9.2"
        assert info["version_info"]["server"]
    finally:
        session.close()
    with pytest.raises(OSError, match="Check your application path"):
        push_session(BokehDocument(), url=server.url() + "no-such-app")


SIGNED_CLIENT = """
import json, sys
from bokeh.client import pull_session
try:
    with pull_session(url=sys.argv[1]) as session:
        print(json.dumps({"title": session.document.title, "id": session.id}))
except OSError as exc:
    print(json.dumps({"refused": str(exc)}))
"""


def run_bokeh_client(url: str, secret: str) -> dict[str, Any]:
    """bokeh.client in a fresh process, configured as its users do, through the environment
    (bokeh reads BOKEH_SECRET_KEY and BOKEH_SIGN_SESSIONS once, when it is imported)."""
    env = {**os.environ, "BOKEH_SECRET_KEY": secret, "BOKEH_SIGN_SESSIONS": "yes"}
    result = subprocess.run(
        [sys.executable, "-c", SIGNED_CLIENT, url],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_bokeh_client_signs_sessions_a_signed_server_accepts(
    live_server: Callable[..., LiveServer],
) -> None:
    secret = "integration-secret-0123456789abcdef"
    server = live_server({"/": plot_app}, session_ids="signed", secret_key=secret)
    accepted = run_bokeh_client(server.url(), secret)
    assert accepted["title"] == "plot app"
    assert "." in accepted["id"]  # a signed session id
    refused = run_bokeh_client(server.url(), "some-other-secret-0123456789abcdef")
    assert "403" in refused["refused"]
    assert [s.id for s in server.sessions()] == [accepted["id"]]
