from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from livedoc.application import ServerContext, SessionContext, SessionRequest
from livedoc.protocol.tokens import decode_token, generate_token

from ._support import FakeServerContext, FakeSessionContext

if TYPE_CHECKING:
    from livedoc.document import Document


def test_request_from_a_real_token_keeps_bytes_arguments() -> None:
    extra = {
        "arguments": {"n": [b"10", b"20"], "name": [b"caf\xc3\xa9"]},
        "cookies": {"user": "ann"},
        "headers": {"Host": "example.com", "Cookie": "user=ann"},
    }
    token = generate_token("s" * 44, extra=extra, now=time.time())
    request = SessionRequest.from_token_payload(decode_token(token).extra)
    assert request.arguments == {"n": [b"10", b"20"], "name": [b"caf\xc3\xa9"]}
    assert request.cookies == {"user": "ann"}
    assert request.headers == {"Host": "example.com", "Cookie": "user=ann"}


def test_request_accepts_str_and_single_values_and_drops_malformed_entries() -> None:
    request = SessionRequest.from_token_payload(
        {
            "arguments": {"a": "x", "b": [b"1", "2", 3], "c": b"raw", 4: [b"bad key"]},
            "cookies": {"ok": "1", "bad": 2},
            "headers": {"Accept": ["text/html", "text/plain"], "X-Bad": 5},
            "session_id": "ignored",
        }
    )
    assert request.arguments == {"a": [b"x"], "b": [b"1", b"2"], "c": [b"raw"]}
    assert request.cookies == {"ok": "1"}
    assert request.headers == {"Accept": "text/html, text/plain", "Cookie": "ok=1"}


def test_request_rebuilds_the_cookie_header_only_when_missing() -> None:
    rebuilt = SessionRequest.from_token_payload({"cookies": {"a": "1", "b": "2"}})
    assert rebuilt.headers == {"Cookie": "a=1; b=2"}
    kept = SessionRequest.from_token_payload(
        {"cookies": {"a": "1"}, "headers": {"cookie": "a=1; tracking=x"}}
    )
    assert kept.headers == {"cookie": "a=1; tracking=x"}


@pytest.mark.parametrize("payload", [{}, {"arguments": None, "cookies": [], "headers": "x"}])
def test_request_of_an_empty_or_malformed_payload_is_empty(payload: dict[str, object]) -> None:
    assert SessionRequest.from_token_payload(payload) == SessionRequest()


def test_request_is_frozen() -> None:
    request = SessionRequest()
    with pytest.raises(AttributeError):
        request.cookies = {}  # type: ignore[misc]


def test_the_abcs_require_the_server_to_implement_everything() -> None:
    with pytest.raises(TypeError, match="abstract"):
        ServerContext()  # type: ignore[abstract]
    with pytest.raises(TypeError, match="abstract"):
        SessionContext()  # type: ignore[abstract]


def test_session_context_request_comes_from_its_token_payload() -> None:
    server = FakeServerContext()
    session = FakeSessionContext(
        "abc", server, {"session_id": "abc", "arguments": {"x": [b"1"]}, "cookies": {"k": "v"}}
    )
    server.session_contexts.append(session)
    assert session.request.arguments == {"x": [b"1"]}
    assert session.request.cookies == {"k": "v"}
    assert session.server_context.sessions == [session]
    assert not session.destroyed


def test_with_locked_document_takes_sync_and_async_functions() -> None:
    session = FakeSessionContext()

    async def set_title(doc: Document) -> int:
        await asyncio.sleep(0)
        doc.title = "async"
        return 2

    async def main() -> None:
        assert await session.with_locked_document(lambda doc: len(doc.roots)) == 0
        assert await session.with_locked_document(set_title) == 2

    asyncio.run(main())
    assert session.document.title == "async"
