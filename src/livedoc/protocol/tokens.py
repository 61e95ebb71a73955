"""Session ids and session tokens, in the format BokehJS and `bokeh.client` use (sans-I/O).

A session id is 44 random characters from ``[A-Za-z0-9]``. When sessions are signed it carries
its own signature: ``<id>.<base64url(HMAC-SHA256(secret, id))>``.

A token is one segment, or two when signed::

    token     = base64url(json(payload)) [ "." base64url(HMAC-SHA256(secret, first segment)) ]
    payload   = {"session_id": str, "session_expiry": int (unix seconds),
                 ["__bk__zlib_": base64url(zlib(json(extra payload)))]}

base64url is unpadded, so a token is a valid HTTP token and can travel as a websocket
subprotocol. The extra payload (request headers, cookies, arguments) is compressed; `bytes` in
it are ``{"bytes": base64url}``.

Decoding is strict because tokens come from the network: a length cap, a cap on the inflated
extra payload (Bokeh inflates without one), an expiry that must lie in the future and within
the configured lifetime, constant-time signature checks, and one `TokenError` saying why.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from livedoc.errors import LivedocError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "DEFAULT_TOKEN_LIMITS",
    "TokenError",
    "TokenLimits",
    "TokenPayload",
    "check_session_id",
    "decode_token",
    "generate_session_id",
    "generate_token",
    "session_id_from_token",
]

DEFAULT_TOKEN_LIFETIME: Final = 300
_ZLIB_KEY: Final = "__bk__zlib_"
_ID_ALPHABET: Final = string.ascii_letters + string.digits
_ID_LENGTH: Final = 44


class TokenError(LivedocError):
    """A session token or id is malformed, expired, or not signed with our secret."""


@dataclass(frozen=True, slots=True)
class TokenLimits:
    max_length: int = 16 * 1024
    """Characters in a whole token."""
    max_extra_bytes: int = 256 * 1024
    """Bytes the extra payload may inflate to."""
    max_lifetime: float = 24 * 3600
    """Seconds from now an expiry may lie (a far-future expiry is a forged or broken token)."""


DEFAULT_TOKEN_LIMITS: Final = TokenLimits()


@dataclass(frozen=True, slots=True)
class TokenPayload:
    """What a valid token says: the session, its expiry, and what the page request carried."""

    session_id: str
    expiry: int
    extra: Mapping[str, Any] = field(default_factory=dict)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    # validate=True: the lenient default silently drops characters outside the alphabet.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _signature(message: str, secret_key: bytes) -> str:
    return _b64encode(hmac.new(secret_key, message.encode(), hashlib.sha256).digest())


def _require_key(secret_key: bytes | None) -> bytes:
    if not secret_key:
        raise ValueError("signed sessions need a secret key (set LIVEDOC_SECRET_KEY)")
    return secret_key


# -- session ids -------------------------------------------------------------------------------


def generate_session_id(*, signed: bool = False, secret_key: bytes | None = None) -> str:
    """A fresh, unguessable session id; signed with `secret_key` when `signed`."""
    base = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    if not signed:
        return base
    return f"{base}.{_signature(base, _require_key(secret_key))}"


def check_session_id(session_id: object, *, signed: bool, secret_key: bytes | None = None) -> bool:
    """Whether `session_id` is acceptable: anything non-empty unsigned, a valid signature signed."""
    if not isinstance(session_id, str) or not session_id:
        return False
    if not signed:
        return True
    base, dot, signature = session_id.partition(".")
    if not dot:
        return False
    return hmac.compare_digest(_signature(base, _require_key(secret_key)), signature)


# -- tokens ------------------------------------------------------------------------------------


class _BytesEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes | bytearray | memoryview):
            return {"bytes": _b64encode(bytes(o))}
        return super().default(o)


def _bytes_hook(obj: dict[str, Any]) -> Any:
    if set(obj) == {"bytes"} and isinstance(obj["bytes"], str):
        try:
            return _b64decode(obj["bytes"])
        except (binascii.Error, ValueError):
            raise TokenError("the token's extra payload holds malformed bytes") from None
    return obj


def generate_token(
    session_id: str,
    *,
    signed: bool = False,
    secret_key: bytes | None = None,
    lifetime: float = DEFAULT_TOKEN_LIFETIME,
    extra: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> str:
    """A token for `session_id`, valid `lifetime` seconds from `now`, carrying `extra`."""
    if extra and "session_id" in extra:
        raise ValueError("the extra payload of a token may not contain 'session_id'")
    issued = time.time() if now is None else now
    payload: dict[str, Any] = {"session_id": session_id, "session_expiry": int(issued + lifetime)}
    if extra:
        packed = json.dumps(dict(extra), cls=_BytesEncoder).encode()
        payload[_ZLIB_KEY] = _b64encode(zlib.compress(packed, 9))
    token = _b64encode(json.dumps(payload).encode())
    if not signed:
        return token
    return f"{token}.{_signature(token, _require_key(secret_key))}"


def _load_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data, object_hook=_bytes_hook)
    except (ValueError, RecursionError):
        raise TokenError(f"the token's {what} is not valid JSON") from None


def _payload_segment(token: object, limits: TokenLimits) -> tuple[str, str | None]:
    if not isinstance(token, str) or not token:
        raise TokenError("no session token was given")
    if len(token) > limits.max_length:
        raise TokenError(f"the session token is longer than {limits.max_length} characters")
    first, dot, signature = token.partition(".")
    return first, (signature if dot else None)


def _decode_payload(first: str) -> dict[str, Any]:
    try:
        raw = _b64decode(first)
    except (binascii.Error, ValueError):
        raise TokenError("the session token is not base64url") from None
    payload = _load_json(raw, "payload")
    if not isinstance(payload, dict):
        raise TokenError("the session token's payload is not a JSON object")
    return payload


def session_id_from_token(token: str, limits: TokenLimits = DEFAULT_TOKEN_LIMITS) -> str:
    """The session id a token names, without checking signature or expiry (as BokehJS reads it)."""
    first, _ = _payload_segment(token, limits)
    session_id = _decode_payload(first).get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise TokenError("the session token has no 'session_id' string")
    return session_id


def _inflate(packed: Any, limits: TokenLimits) -> dict[str, Any]:
    if not isinstance(packed, str):
        raise TokenError("the token's extra payload is not a string")
    try:
        compressed = _b64decode(packed)
    except (binascii.Error, ValueError):
        raise TokenError("the token's extra payload is not base64url") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(compressed, limits.max_extra_bytes)
    except zlib.error:
        raise TokenError("the token's extra payload is not zlib data") from None
    if inflater.unconsumed_tail:
        raise TokenError(
            f"the token's extra payload inflates beyond {limits.max_extra_bytes} bytes"
        )
    extra = _load_json(raw, "extra payload")
    if not isinstance(extra, dict):
        raise TokenError("the token's extra payload is not a JSON object")
    if "session_id" in extra:
        raise TokenError("the token's extra payload may not name a session")
    return extra


def decode_token(
    token: str,
    *,
    signed: bool = False,
    secret_key: bytes | None = None,
    now: float | None = None,
    limits: TokenLimits = DEFAULT_TOKEN_LIMITS,
) -> TokenPayload:
    """Check a token completely and return what it says; raise `TokenError` saying why not.

    Order: size, signature of the token (when signed), payload shape, signature of the session
    id (when signed), expiry. Signatures are compared in constant time.
    """
    first, signature = _payload_segment(token, limits)
    if signed:
        key = _require_key(secret_key)
        if signature is None:
            raise TokenError(
                "the session token is not signed, and this server requires signed tokens"
            )
        if not hmac.compare_digest(_signature(first, key), signature):
            raise TokenError(
                "the session token's signature is wrong (was it made with another secret key?)"
            )
    payload = _decode_payload(first)
    session_id = payload.get("session_id")
    if not isinstance(session_id, str) or not session_id:
        raise TokenError("the session token has no 'session_id' string")
    if not check_session_id(session_id, signed=signed, secret_key=secret_key):
        raise TokenError("the session id inside the token is not signed with this server's key")
    expiry = payload.get("session_expiry")
    if type(expiry) is not int:
        raise TokenError("the session token has no integer 'session_expiry'")
    current = time.time() if now is None else now
    if expiry <= current:
        raise TokenError("the session token has expired; reload the page for a new one")
    if expiry > current + limits.max_lifetime:
        raise TokenError("the session token's expiry lies further ahead than this server allows")
    extra = _inflate(payload[_ZLIB_KEY], limits) if _ZLIB_KEY in payload else {}
    return TokenPayload(session_id, expiry, extra)
