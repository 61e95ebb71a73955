"""HTTP pages, the websocket handshake's checks, session lifetime, socket options, backpressure."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.models import ColumnDataSource, Div
from livedoc.protocol import pull_doc_req
from livedoc.protocol.tokens import generate_session_id, generate_token

from .ws_client import ProtocolClient, page_token

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.document import Document
    from tests.live_server import LiveServer

SECRET = "integration-secret-0123456789abcdef"


def hello_app(doc: Document) -> None:
    doc.title = "hello"
    doc.add_root(Div(text="hello", name="hello"))


def broken_app(doc: Document) -> None:
    raise RuntimeError("this app is broken on purpose")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def ws_url(server: LiveServer, app: str = "/") -> str:
    return server.url(app).replace("http://", "ws://").rstrip("/") + "/ws"


def upgrade_request(url: str, token: str, origin: str | None = None) -> bytes:
    """The HTTP request a browser sends to open the Bokeh websocket at `url`."""
    host_port, path = url.removeprefix("ws://").split("/", 1)
    lines = [
        f"GET /{path} HTTP/1.1",
        f"Host: {host_port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Protocol: bokeh, {token}",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def handshake_status(url: str, token: str, origin: str | None = None) -> int:
    """101 when the websocket opens, else the HTTP status of the refusal."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(upgrade_request(url, token, origin))
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_app_page_loads_versioned_bundles_and_embeds_a_session(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})
    status, _, html = get(server.url())
    assert status == 200
    assert "<title>hello</title>" in html
    for bundle in ("bokeh.min.js", "bokeh-widgets.min.js", "bokeh-tables.min.js"):
        assert f"/static/js/{bundle}?v=" in html
    assert page_token(server.url())
    status, headers, _ = get(server.url() + "static/js/bokeh.min.js")
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert get(server.url() + "favicon.ico")[0] == 200


def test_index_lists_apps_and_a_broken_app_shows_its_error(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/hello": hello_app, "/broken": broken_app})
    status, _, index = get(server.url())
    assert status == 200
    assert "/hello" in index
    assert "/broken" in index
    status, _, page = get(server.url("/broken"))
    assert "this app is broken on purpose" in page
    assert "Traceback" not in page  # no traceback for an unauthenticated visitor
    assert get(server.url("/hello"))[0] == 200  # the other app keeps working


def test_one_app_redirects_and_prefix_applies(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/hello": hello_app}, prefix="apps")
    base = server.url("/hello").rsplit("/hello", 1)[0]
    assert base.endswith("/apps")
    status, headers, _ = get(base + "/")
    assert status in (301, 302)
    assert headers["Location"].endswith("/apps/hello")
    assert get(server.url("/hello"))[0] == 200


def test_metadata_and_autoload_with_cors(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": hello_app})
    status, _, metadata = get(server.url() + "metadata")
    assert status == 200
    assert "url" in json.loads(metadata)
    status, headers, script = get(
        server.url()
        + "autoload.js?bokeh-autoload-element=target-1&bokeh-absolute-url="
        + server.url().rstrip("/"),
        headers={"Origin": "http://elsewhere.example"},
    )
    assert status == 200
    assert "target-1" in script
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_signed_server_refuses_forged_expired_and_unsigned_tokens(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app}, session_ids="signed", secret_key=SECRET)
    url = ws_url(server)
    good_id = generate_session_id(signed=True, secret_key=SECRET.encode())
    valid = generate_token(good_id, signed=True, secret_key=SECRET.encode())
    forged = generate_token(good_id, signed=True, secret_key=b"not-the-secret-key-at-all-000000")
    expired = generate_token(
        good_id, signed=True, secret_key=SECRET.encode(), now=time.time() - 3600, lifetime=60
    )
    unsigned = generate_token(generate_session_id())
    assert handshake_status(url, valid) == 101
    assert handshake_status(url, page_token(server.url())) == 101
    for bad in (forged, expired, unsigned):
        assert handshake_status(url, bad) == 403


def test_origin_checks(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": hello_app}, allow_websocket_origin=("trusted.example",))
    token = generate_token(generate_session_id())
    assert handshake_status(ws_url(server), token, origin="http://evil.example") == 403
    assert handshake_status(ws_url(server), token, origin="http://trusted.example") == 101


def test_unused_sessions_expire_and_run_on_session_destroyed(
    live_server: Callable[..., LiveServer],
) -> None:
    destroyed: list[str] = []

    def app(doc: Document) -> None:
        hello_app(doc)
        doc.on_session_destroyed(lambda context: destroyed.append(context.id))

    server = live_server({"/": app}, unused_session_lifetime=0.3, check_unused_sessions=0.1)

    async def visit() -> str:
        client = await ProtocolClient.connect(ws_url(server), page_token(server.url()))
        await client.receive()  # ACK: the session exists
        [session] = server.sessions()
        client.close()
        return str(session.id)

    session_id = asyncio.run(visit())
    deadline = time.monotonic() + 10
    while server.sessions() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.sessions() == []
    assert destroyed == [session_id]


def test_reconnecting_with_the_same_token_gets_the_same_session(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})
    token = page_token(server.url())

    async def scenario() -> None:
        first = await ProtocolClient.connect(ws_url(server), token)
        await first.receive()
        server.with_document(
            "/", lambda doc: setattr(doc.get_model_by_name("hello"), "text", "kept")
        )
        first.close()
        second = await ProtocolClient.connect(ws_url(server), token)
        await second.receive()
        reply = await second.request(pull_doc_req())
        [root] = reply.content["doc"]["roots"]
        assert root["attributes"]["text"] == "kept"
        second.close()

    asyncio.run(scenario())
    assert len(server.sessions()) == 1


def test_server_sockets_have_tcp_nodelay(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": hello_app})

    async def scenario() -> list[int]:
        client = await ProtocolClient.connect(ws_url(server), page_token(server.url()))
        await client.receive()
        [session] = server.sessions()
        flags = []
        for connection in session.connections:
            stream = connection.transport.handler.ws_connection.stream  # type: ignore[attr-defined]
            flags.append(stream.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        client.close()
        return flags

    flags = asyncio.run(scenario())
    assert flags
    assert all(flags)


def test_a_client_that_stops_reading_is_disconnected_and_others_keep_receiving(
    live_server: Callable[..., LiveServer],
) -> None:
    def big_app(doc: Document) -> None:
        doc.add_root(ColumnDataSource(data={"x": [0.0]}, name="source"))

    server = live_server({"/": big_app}, websocket_max_write_buffer=256 * 1024)
    token = page_token(server.url())
    host, port = "127.0.0.1", server.server.port
    assert port is not None
    stalled = socket.create_connection((host, port))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a client that never reads
    stalled.sendall(upgrade_request(ws_url(server), token))
    for frame in pull_request_frames():  # subscribe it to the session's patches, then stall
        stalled.sendall(frame)
    try:

        async def scenario() -> tuple[int, int]:
            reader = await ProtocolClient.connect(ws_url(server), token)
            await reader.receive()  # ACK
            await reader.request(pull_doc_req())  # subscribes to the session's patches
            [session] = server.sessions()
            received = 0
            # Up to 200 x 80 kB: past the stalled client's socket buffers and the 256 kB cap.
            while len(session.connections) > 1 and received < 200:
                server.with_document(
                    "/",
                    lambda doc: doc.get_model_by_name("source").stream(
                        {"x": [float(i) for i in range(10_000)]}
                    ),
                )
                message = await reader.receive()
                assert message is not None
                received += 1
            remaining = len(session.connections)
            reader.close()
            return received, remaining

        received, remaining = asyncio.run(scenario())
        assert remaining == 1  # only the reader: the stalled client was disconnected
        assert received < 200
    finally:
        stalled.close()


def pull_request_frames() -> list[bytes]:
    """A PULL-DOC request as three masked text frames, as a browser would send it."""
    header = json.dumps({"msgid": "stalled-1", "msgtype": "PULL-DOC-REQ"}).encode()
    frames = []
    for payload in (header, b"{}", b"{}"):
        mask = b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        frames.append(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return frames


@pytest.mark.parametrize("mode", ["external-signed"])
def test_external_signed_mode_refuses_pages_without_a_session_id(
    live_server: Callable[..., LiveServer], mode: str
) -> None:
    server = live_server({"/": hello_app}, session_ids=mode, secret_key=SECRET)
    status, _, _ = get(server.url())
    assert status == 403
    signed_id = generate_session_id(signed=True, secret_key=SECRET.encode())
    status, _, _ = get(server.url() + "?bokeh-session-id=" + signed_id)
    assert status == 200
    unsigned_id = generate_session_id()
    assert get(server.url() + "?bokeh-session-id=" + unsigned_id)[0] == 403


def test_app_code_sees_the_page_requests_arguments_cookies_and_headers(
    live_server: Callable[..., LiveServer],
) -> None:
    from livedoc.application import cursession

    def app(doc: Document) -> None:
        request = cursession().request  # type: ignore[union-attr]
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
    token = re.search(r'"token":\s*"([^"]+)"', html).group(1)  # type: ignore[union-attr]

    async def scenario() -> dict[str, Any]:
        client = await ProtocolClient.connect(ws_url(server), token)
        await client.receive()
        reply = await client.request(pull_doc_req())
        client.close()
        [root] = reply.content["doc"]["roots"]
        seen: dict[str, Any] = json.loads(root["attributes"]["text"])
        return seen

    seen = asyncio.run(scenario())
    assert seen == {"who": "ada", "flavour": "mint", "secret": None, "team": "blue"}


def test_the_server_pings_idle_websockets(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": hello_app}, keep_alive=0.2)

    async def scenario() -> int:
        client = await ProtocolClient.connect(ws_url(server), page_token(server.url()))
        await client.receive()  # ACK
        pings: list[bytes] = []
        client.connection.on_ping = pings.append  # type: ignore[method-assign]
        with contextlib.suppress(TimeoutError):  # nothing else arrives: we wait for pings only
            await client.receive(within=1.0)
        client.close()
        return len(pings)

    assert asyncio.run(scenario()) >= 2
