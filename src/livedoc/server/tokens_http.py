"""Minting a session token for an HTTP page request (spec §4.2-4.3).

The session is chosen in this order: a `bokeh-token` argument (kept as it is); a
`bokeh-session-id` argument or `Bokeh-Session-Id` header (not both); else a new id (refused
with `--session-ids external-signed`). With signed sessions a given id must carry a valid
signature. The token carries what app code may see of the request: headers (without `Cookie`
unless asked for), cookies and query arguments, filtered by the include/exclude settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livedoc.protocol.tokens import (
    TokenError,
    TokenPayload,
    check_session_id,
    decode_token,
    generate_session_id,
    generate_token,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tornado.httputil import HTTPServerRequest

    from livedoc.server.settings import ServerSettings

__all__ = ["RequestRefused", "request_payload", "token_for_request"]


class RequestRefused(Exception):
    """A page request names a session it may not have; `status` is the HTTP status to send."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _pick(
    items: Mapping[str, Any], include: Iterable[str] | None, exclude: Iterable[str]
) -> dict[str, Any]:
    if include is not None:
        wanted = {name.lower() for name in include}
        return {key: value for key, value in items.items() if key.lower() in wanted}
    unwanted = {name.lower() for name in exclude}
    return {key: value for key, value in items.items() if key.lower() not in unwanted}


def request_payload(request: HTTPServerRequest, settings: ServerSettings) -> dict[str, Any]:
    """What the token carries of `request`: headers, cookies and arguments (as lists of bytes)."""
    headers = dict(request.headers.items())
    if settings.include_headers is None or "cookie" not in {
        h.lower() for h in settings.include_headers
    }:
        headers = {key: value for key, value in headers.items() if key.lower() != "cookie"}
    cookies = {name: morsel.value for name, morsel in request.cookies.items()}
    arguments = {
        name: list(values)
        for name, values in request.query_arguments.items()
        if not name.startswith("bokeh-")
    }
    return {
        "headers": _pick(headers, settings.include_headers, settings.exclude_headers),
        "cookies": _pick(cookies, settings.include_cookies, settings.exclude_cookies),
        "arguments": arguments,
    }


def token_for_request(
    request: HTTPServerRequest,
    settings: ServerSettings,
    grants: Mapping[str, str] | None = None,
) -> tuple[str, TokenPayload]:
    """The token (text and decoded) for a page request, carrying `grants` (server-made proofs,
    such as a share link's) in its payload; raises `RequestRefused`."""
    key = settings.secret_key_bytes
    token = request.query_arguments.get("bokeh-token")
    given_id = request.query_arguments.get("bokeh-session-id")
    header_id = request.headers.get("Bokeh-Session-Id")
    if token is not None and (given_id is not None or header_id is not None):
        raise RequestRefused(403, "give a session token or a session id, not both")
    if token is not None:
        text = token[0].decode(errors="replace")
        try:
            return text, decode_token(text, signed=settings.signed, secret_key=key)
        except TokenError as exc:
            raise RequestRefused(403, f"invalid session token: {exc}") from None
    if given_id is not None and header_id is not None:
        raise RequestRefused(403, "give the session id as an argument or as a header, not both")
    session_id = given_id[0].decode(errors="replace") if given_id is not None else header_id
    if session_id is None:
        if settings.session_ids == "external-signed":
            raise RequestRefused(
                403, "this server only opens sessions whose signed id the page supplies"
            )
        session_id = generate_session_id(signed=settings.signed, secret_key=key)
    elif not check_session_id(session_id, signed=settings.signed, secret_key=key):
        raise RequestRefused(403, "invalid session id (it must be signed with this server's key)")
    text = generate_token(
        session_id,
        signed=settings.signed,
        secret_key=key,
        lifetime=settings.session_token_expiration,
        extra={**request_payload(request, settings), **(grants or {})},
    )
    return text, decode_token(text, signed=settings.signed, secret_key=key)
