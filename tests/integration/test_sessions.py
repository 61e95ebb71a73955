"""Sessions over real connections: joining by id, expiry, reconnects, request data, sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
import urllib.request
from typing import TYPE_CHECKING, Any

from livedoc.application import cursession
from livedoc.models import Div
from livedoc.protocol import patch_doc, pull_doc_req

from .ws_client import ProtocolClient, page_token, pulled, root_named, value_change, ws_url

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

    from livedoc.document import Document
    from tests.live_server import LiveServer


def hello_app(doc: Document) -> None:
    doc.title = "hello"
    doc.add_root(Div(text="hello", name="hello"))


async def open_with(server: LiveServer, token: str) -> ProtocolClient:
    client = await ProtocolClient.connect(ws_url(server), token)
    ack = await client.receive()
    assert ack is not None
    assert ack.msgtype == "ACK"
    return client


def test_pages_with_the_same_session_id_join_one_session(
    live_server: Callable[..., LiveServer],
) -> None:
    runs: list[str] = []

    def counted_app(doc: Document) -> None:
        session = cursession()
        assert session is not None
        runs.append(session.id)
        hello_app(doc)

    server = live_server({"/": counted_app})
    first_token = page_token(server.url() + "?bokeh-session-id=team-room")
    second_token = page_token(server.url() + "?bokeh-session-id=team-room")
    lone_token = page_token(server.url())

    async def scenario() -> None:
        first = await open_with(server, first_token)
        second = await open_with(server, second_token)
        doc = await pulled(first)
        await pulled(second)
        hello_id = root_named(doc, "hello")["id"]
        await first.request(patch_doc([value_change(hello_id, "text", "hi team")], {}))
        patch = await second.receive()
        assert patch is not None
        assert patch.content["events"][0]["new"] == "hi team"
        lone = await open_with(server, lone_token)
        assert root_named(await pulled(lone), "hello")["attributes"]["text"] == "hello"
        for client in (first, second, lone):
            client.close()

    asyncio.run(scenario())
    assert runs.count("team-room") == 1  # the app built the shared session once
    assert len(server.sessions()) == 2


def test_concurrent_connections_to_a_new_id_share_one_creation(
    live_server: Callable[..., LiveServer],
) -> None:
    runs: list[str] = []

    def counting_app(doc: Document) -> None:
        runs.append("built")
        hello_app(doc)

    server = live_server({"/": counting_app})
    token = page_token(server.url() + "?bokeh-session-id=crowd")
    server.call(server.server.contexts["/"].destroy_session("crowd"))  # let the sockets create it
    runs.clear()

    async def scenario() -> list[str]:
        clients = await asyncio.gather(*(open_with(server, token) for _ in range(5)))
        texts = [root_named(await pulled(c), "hello")["attributes"]["text"] for c in clients]
        for client in clients:
            client.close()
        return texts

    assert asyncio.run(scenario()) == ["hello"] * 5
    assert runs == ["built"]
    assert [session.id for session in server.sessions()] == ["crowd"]


def test_unused_sessions_expire_and_run_on_session_destroyed(
    live_server: Callable[..., LiveServer],
) -> None:
    destroyed: list[str] = []

    def app(doc: Document) -> None:
        hello_app(doc)
        doc.on_session_destroyed(lambda context: destroyed.append(context.id))

    server = live_server({"/": app}, unused_session_lifetime=0.3, check_unused_sessions=0.1)
    token = page_token(server.url())

    async def visit() -> str:
        client = await open_with(server, token)
        [session] = server.sessions()
        server.with_document("/", lambda doc: setattr(doc.get_model_by_name("hello"), "text", "x"))
        await asyncio.sleep(0.6)  # connected sessions are in use, however long they last
        assert server.sessions() == [session]
        client.close()
        return str(session.id)

    session_id = asyncio.run(visit())
    deadline = time.monotonic() + 10
    while server.sessions() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.sessions() == []
    assert destroyed == [session_id]

    async def come_back() -> str:
        client = await open_with(server, token)  # the token is still valid: a fresh session
        text = root_named(await pulled(client), "hello")["attributes"]["text"]
        client.close()
        return str(text)

    assert asyncio.run(come_back()) == "hello"
    assert [session.id for session in server.sessions()] == [session_id]


def test_reconnecting_with_the_same_token_gets_the_same_session(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})
    token = page_token(server.url())

    async def scenario() -> None:
        first = await open_with(server, token)
        server.with_document(
            "/", lambda doc: setattr(doc.get_model_by_name("hello"), "text", "kept")
        )
        first.close()
        second = await open_with(server, token)  # as BokehJS reconnects: same URL, same token
        reply = await second.request(pull_doc_req())
        assert root_named(reply.content["doc"], "hello")["attributes"]["text"] == "kept"
        second.close()

    asyncio.run(scenario())
    assert len(server.sessions()) == 1


def test_server_side_websocket_sockets_have_tcp_nodelay(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})

    async def scenario() -> tuple[int, bool]:
        client = await open_with(server, page_token(server.url()))
        client_address = client.connection.protocol.stream.socket.getsockname()  # type: ignore[union-attr]
        [session] = server.sessions()
        [connection] = session.connections
        # The socket the server accepted for this client (its peer is our client's socket).
        accepted = connection.transport.handler.ws_connection.stream.socket
        nodelay = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        same = accepted.getpeername() == client_address
        client.close()
        return nodelay, same

    nodelay, same_socket = asyncio.run(scenario())
    assert same_socket
    assert nodelay


def test_app_code_sees_the_page_requests_arguments_cookies_and_headers(
    live_server: Callable[..., LiveServer],
) -> None:
    def app(doc: Document) -> None:
        session = cursession()
        assert session is not None
        request = session.request
        seen = {
            "who": request.arguments.get("who", [b""])[0].decode(),
            "flavour": request.cookies.get("flavour"),
            "secret": request.cookies.get("secret"),
            "team": request.headers.get("X-Team"),
        }
        doc.add_root(Div(text=json.dumps(seen, sort_keys=True), name="seen"))

    server = live_server({"/": app}, exclude_cookies=("secret",))
    request = urllib.request.Request(
        server.url() + "?who=ada",
        headers={"Cookie": "flavour=mint; secret=hunter2", "X-Team": "blue"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        html = response.read().decode()
    match = re.search(r'"token":\s*"([^"]+)"', html)
    assert match is not None
    # Destroy the session the page built, so the websocket rebuilds it from the token alone,
    # as another process (--num-procs) would.
    server.call(server.server.contexts["/"].shutdown())

    async def scenario() -> dict[str, Any]:
        client = await open_with(server, match.group(1))
        doc = await pulled(client)
        client.close()
        seen: dict[str, Any] = json.loads(root_named(doc, "seen")["attributes"]["text"])
        return seen

    seen = asyncio.run(scenario())
    assert seen == {"who": "ada", "flavour": "mint", "secret": None, "team": "blue"}


def test_the_server_pings_idle_websockets(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": hello_app}, keep_alive=0.2)

    async def scenario() -> int:
        client = await open_with(server, page_token(server.url()))
        pings: list[bytes] = []
        client.connection.on_ping = pings.append  # type: ignore[method-assign,assignment]
        with contextlib.suppress(TimeoutError):  # nothing else arrives: we wait for pings only
            await client.receive(within=1.0)
        client.close()
        return len(pings)

    assert asyncio.run(scenario()) >= 2


def test_a_failing_callback_is_logged_with_its_session_and_the_rest_goes_on(
    live_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    def app(doc: Document) -> None:
        hello_app(doc)
        ticks = Div(text="0", name="ticks")
        doc.add_root(ticks)

        def explode() -> None:
            raise ValueError("callback exploded on purpose")

        def tick() -> None:
            ticks.text = str(int(ticks.text) + 1)

        doc.add_periodic_callback(explode, 20)
        doc.add_periodic_callback(tick, 20)

    server = live_server({"/": app})
    token = page_token(server.url())
    [session] = server.sessions()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        int(server.with_document("/", lambda doc: doc.get_model_by_name("ticks").text)) < 5
        or len([r for r in caplog.records if "callback exploded" in str(r.exc_info)]) < 3
    ):
        time.sleep(0.02)
    failures = [r for r in caplog.records if r.exc_info and "callback exploded" in str(r.exc_info)]
    assert len(failures) >= 3  # it keeps running, and each failure is logged...
    assert all(session.id in r.getMessage() for r in failures)  # ...naming its session
    assert int(server.with_document("/", lambda doc: doc.get_model_by_name("ticks").text)) >= 5

    async def still_serving() -> str:
        client = await open_with(server, token)
        text = root_named(await pulled(client), "hello")["attributes"]["text"]
        client.close()
        return str(text)

    assert asyncio.run(still_serving()) == "hello"


HELPER = """
import json, os
LOG = os.path.join(os.path.dirname(__file__), "hooks.log")

def record(event, session_id):
    with open(LOG, "a") as log:
        log.write(json.dumps([event, session_id]) + "\\n")
"""

HOOKS = """
from hooks_helper import record  # the app's own module: the directory is on sys.path

def on_server_loaded(server_context):
    record("server_loaded", None)

def on_session_created(session_context):
    record("session_created", session_context.id)

def on_session_destroyed(session_context):
    record("session_destroyed", session_context.id)

def on_server_unloaded(server_context):
    record("server_unloaded", None)
"""

MAIN = """
from hooks_helper import record
from livedoc import curdoc
from livedoc.application import cursession
from livedoc.models import Div
record("document_built", cursession().id)
curdoc().add_root(Div(text="hooked", name="hello"))
"""


def test_a_directory_apps_lifecycle_hooks_run_in_order(tmp_path: Path) -> None:
    from livedoc.application import build_application
    from tests.live_server import LiveServer

    app_dir = tmp_path / "hooked"
    app_dir.mkdir()
    (app_dir / "app_hooks.py").write_text(HOOKS)
    (app_dir / "hooks_helper.py").write_text(HELPER)
    (app_dir / "main.py").write_text(MAIN)
    server = LiveServer(
        {"/hooked": build_application(app_dir)},
        unused_session_lifetime=0.2,
        check_unused_sessions=0.1,
    )
    try:
        token = page_token(server.url("/hooked"))
        session_id = server.sessions("/hooked")[0].id
        deadline = time.monotonic() + 10
        while server.sessions("/hooked") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert token
    finally:
        server.stop()
    events = [tuple(json.loads(line)) for line in (app_dir / "hooks.log").read_text().splitlines()]
    assert events == [
        ("server_loaded", None),
        ("session_created", session_id),
        ("document_built", session_id),
        ("session_destroyed", session_id),
        ("server_unloaded", None),
    ]
