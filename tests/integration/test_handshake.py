"""The websocket handshake: tokens and origins are checked before the upgrade (403, not 101).

Each case is a raw upgrade request as a browser would send it, so the test sees the real HTTP
status line rather than a client library's interpretation of it.
"""

from __future__ import annotations

import base64
import json
import time
import zlib
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.models import Div
from livedoc.protocol.tokens import generate_session_id, generate_token

from .http_client import get, handshake_status
from .ws_client import page_token, ws_url

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.document import Document
    from tests.live_server import LiveServer

SECRET = "integration-secret-0123456789abcdef"
KEY = SECRET.encode()


def hello_app(doc: Document) -> None:
    doc.add_root(Div(text="hello", name="hello"))


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def raw_token(payload: dict[str, Any]) -> str:
    """An unsigned token around any payload, well-formed or not."""
    return b64(json.dumps(payload).encode())


def test_a_signed_server_accepts_its_own_tokens_and_refuses_every_other(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app}, session_ids="signed", secret_key=SECRET)
    url = ws_url(server)
    signed_id = generate_session_id(signed=True, secret_key=KEY)
    unsigned_id = generate_session_id()
    assert handshake_status(url, generate_token(signed_id, signed=True, secret_key=KEY)) == 101
    assert handshake_status(url, page_token(server.url())) == 101
    refused = {
        "forged": generate_token(
            signed_id, signed=True, secret_key=b"not-the-secret-key-at-all-000000"
        ),
        "expired": generate_token(
            signed_id, signed=True, secret_key=KEY, now=time.time() - 3600, lifetime=60
        ),
        "unsigned": generate_token(signed_id),
        "signed token around an unsigned id": generate_token(
            unsigned_id, signed=True, secret_key=KEY
        ),
        "expiry far beyond the token lifetime": generate_token(
            signed_id, signed=True, secret_key=KEY, lifetime=10 * 365 * 24 * 3600
        ),
    }
    statuses = {name: handshake_status(url, token) for name, token in refused.items()}
    assert statuses == dict.fromkeys(refused, 403)


MALFORMED_TOKENS = [
    pytest.param(raw_token({"session_id": 5, "session_expiry": 2**40}), id="integer session id"),
    pytest.param(raw_token({"session_id": None, "session_expiry": 2**40}), id="null session id"),
    pytest.param(raw_token({"session_id": "no-expiry"}), id="no expiry"),
    pytest.param("!!not-base64!!", id="not base64"),
    pytest.param(
        raw_token(
            {
                "session_id": "bomb",
                "session_expiry": int(time.time()) + 100,
                # 5 MB of JSON packed into a few kB: must be refused without inflating it all.
                "__bk__zlib_": b64(zlib.compress(b'{"a": "' + b"a" * 5_000_000 + b'"}', 9)),
            }
        ),
        id="extra payload that inflates to 5 MB",
    ),
]


@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_a_malformed_token_is_refused_before_the_upgrade_and_the_server_goes_on(
    live_server: Callable[..., LiveServer], token: str
) -> None:
    server = live_server({"/": hello_app})
    assert handshake_status(ws_url(server), token) == 403
    assert handshake_status(ws_url(server), generate_token(generate_session_id())) == 101


def test_a_request_without_the_bokeh_subprotocol_and_token_is_refused(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})
    assert handshake_status(ws_url(server), None) == 403
    assert (
        handshake_status(
            ws_url(server), None, extra_headers={"Sec-WebSocket-Protocol": "chat, something"}
        )
        == 403
    )


def test_the_default_origin_policy(live_server: Callable[..., LiveServer]) -> None:
    """No Origin (scripts), same origin and localhost:<port> may connect; other sites may not."""
    server = live_server({"/": hello_app})
    url, port = ws_url(server), server.server.port
    token = generate_token(generate_session_id())
    cases: dict[str, tuple[str | None, dict[str, Any]]] = {
        "no origin (a script)": (None, {}),
        "localhost:<port>": (f"http://localhost:{port}", {}),
        "the same origin as Host": (f"http://127.0.0.1:{port}", {}),
        "another site": ("http://evil.example", {}),
        "another site on our port": (f"http://evil.example:{port}", {}),
        # DNS rebinding: the page's origin and the Host header both name the attacker's site.
        "rebinding (Origin == Host == a foreign name)": (
            f"http://evil.example:{port}",
            {"host": f"evil.example:{port}"},
        ),
        "same origin but the browser says cross-site": (
            f"http://127.0.0.1:{port}",
            {"extra_headers": {"Sec-Fetch-Site": "cross-site"}},
        ),
    }
    statuses = {
        name: handshake_status(url, token, origin, **options)
        for name, (origin, options) in cases.items()
    }
    assert statuses == {
        "no origin (a script)": 101,
        "localhost:<port>": 101,
        "the same origin as Host": 101,
        "another site": 403,
        "another site on our port": 403,
        "rebinding (Origin == Host == a foreign name)": 403,
        "same origin but the browser says cross-site": 403,
    }


def test_allow_websocket_origin_replaces_the_default_list(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app}, allow_websocket_origin=("trusted.example", "*.lab:8080"))
    url, port = ws_url(server), server.server.port
    token = generate_token(generate_session_id())
    assert handshake_status(url, token, "http://trusted.example") == 101
    assert handshake_status(url, token, "http://box.lab:8080") == 101
    assert handshake_status(url, token, "http://box.lab:9090") == 403
    assert handshake_status(url, token, "http://evil.example") == 403
    assert handshake_status(url, token, f"http://localhost:{port}") == 403  # no longer listed


def test_a_refused_handshake_says_why(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": hello_app})
    http_ws_url = ws_url(server).replace("ws://", "http://")
    status, _, body = get(http_ws_url, headers={"Sec-WebSocket-Protocol": "bokeh, !!not-base64!!"})
    assert status == 403
    assert "token" in body
    status, _, body = get(http_ws_url, headers={"Origin": "http://evil.example"})
    assert status == 403
    assert "--allow-websocket-origin" in body
