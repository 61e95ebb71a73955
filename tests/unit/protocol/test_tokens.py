from __future__ import annotations

import base64
import json
import re
import zlib

import pytest

from livedoc.protocol.tokens import (
    TokenError,
    TokenLimits,
    check_session_id,
    decode_token,
    generate_session_id,
    generate_token,
    session_id_from_token,
)

KEY = b"a secret key of reasonable length"
NOW = 1_800_000_000.0


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_session_ids_are_random_alphanumeric_and_optionally_signed() -> None:
    ids = {generate_session_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9]{44}", session_id) for session_id in ids)
    signed = generate_session_id(signed=True, secret_key=KEY)
    base, signature = signed.split(".")
    assert (len(base), len(signature)) == (44, 43)
    assert check_session_id(signed, signed=True, secret_key=KEY)
    assert not check_session_id(base, signed=True, secret_key=KEY)
    assert not check_session_id(signed, signed=True, secret_key=b"other key")
    assert check_session_id("any-id", signed=False)
    assert not check_session_id("", signed=False)
    with pytest.raises(ValueError, match="LIVEDOC_SECRET_KEY"):
        generate_session_id(signed=True)


def test_token_round_trip_with_extra_payload() -> None:
    extra = {"headers": {"Host": "x"}, "cookies": {"c": "v"}, "arguments": {"q": [b"\x00bytes"]}}
    token = generate_token("sess", lifetime=300, extra=extra, now=NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # one segment, a valid HTTP token
    payload = decode_token(token, now=NOW + 10)
    assert payload.session_id == "sess"
    assert payload.expiry == int(NOW) + 300
    assert payload.extra == extra
    assert session_id_from_token(token) == "sess"


def test_signed_tokens() -> None:
    session_id = generate_session_id(signed=True, secret_key=KEY)
    token = generate_token(session_id, signed=True, secret_key=KEY, now=NOW)
    assert decode_token(token, signed=True, secret_key=KEY, now=NOW).session_id == session_id
    unsigned = generate_token(session_id, now=NOW)
    with pytest.raises(TokenError, match="not signed"):
        decode_token(unsigned, signed=True, secret_key=KEY, now=NOW)
    forged = generate_token(session_id, signed=True, secret_key=b"attacker", now=NOW)
    with pytest.raises(TokenError, match="signature is wrong"):
        decode_token(forged, signed=True, secret_key=KEY, now=NOW)
    around_unsigned_id = generate_token("plain-id", signed=True, secret_key=KEY, now=NOW)
    with pytest.raises(TokenError, match="session id inside the token is not signed"):
        decode_token(around_unsigned_id, signed=True, secret_key=KEY, now=NOW)


def test_expiry_must_be_ahead_and_not_too_far() -> None:
    token = generate_token("s", lifetime=300, now=NOW)
    with pytest.raises(TokenError, match="expired"):
        decode_token(token, now=NOW + 301)
    far = generate_token("s", lifetime=10**12, now=NOW)
    with pytest.raises(TokenError, match="further ahead"):
        decode_token(far, now=NOW)


def raw_token(payload: object) -> str:
    return b64(json.dumps(payload).encode())


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "no session token"),
        ("!!!", "not valid JSON|not base64url"),
        (b64(b"not json"), "not valid JSON"),
        (raw_token([1]), "not a JSON object"),
        (raw_token({"session_expiry": 1}), "no 'session_id'"),
        (raw_token({"session_id": 5, "session_expiry": 1}), "no 'session_id'"),
        (raw_token({"session_id": None, "session_expiry": 1}), "no 'session_id'"),
        (raw_token({"session_id": "s"}), "no integer 'session_expiry'"),
        (raw_token({"session_id": "s", "session_expiry": 1e30}), "no integer 'session_expiry'"),
        (raw_token({"session_id": "s", "session_expiry": True}), "no integer"),
        (
            raw_token({"session_id": "s", "session_expiry": int(NOW) + 5, "__bk__zlib_": 5}),
            "not a string",
        ),
        (
            raw_token({"session_id": "s", "session_expiry": int(NOW) + 5, "__bk__zlib_": "@@"}),
            "not base64url|not zlib",
        ),
        (
            raw_token(
                {"session_id": "s", "session_expiry": int(NOW) + 5, "__bk__zlib_": b64(b"raw")}
            ),
            "not zlib",
        ),
        (
            raw_token(
                {
                    "session_id": "s",
                    "session_expiry": int(NOW) + 5,
                    "__bk__zlib_": b64(zlib.compress(b"[1]")),
                }
            ),
            "not a JSON object",
        ),
        (
            raw_token(
                {
                    "session_id": "s",
                    "session_expiry": int(NOW) + 5,
                    "__bk__zlib_": b64(zlib.compress(b'{"session_id": "x"}')),
                }
            ),
            "may not name a session",
        ),
        (
            raw_token(
                {
                    "session_id": "s",
                    "session_expiry": int(NOW) + 5,
                    "__bk__zlib_": b64(zlib.compress(b'{"a": {"bytes": "%%"}}')),
                }
            ),
            "malformed bytes",
        ),
        ("x" * 20_000, "longer than"),
    ],
)
def test_malformed_tokens_say_what_is_wrong(token: str, message: str) -> None:
    with pytest.raises(TokenError, match=message):
        decode_token(token, now=NOW)


def test_extra_payload_bombs_are_refused_before_inflating_fully() -> None:
    bomb = zlib.compress(json.dumps({"pad": "x" * 5_000_000}).encode(), 9)
    token = raw_token({"session_id": "s", "session_expiry": int(NOW) + 5, "__bk__zlib_": b64(bomb)})
    with pytest.raises(TokenError, match="inflates beyond"):
        decode_token(token, now=NOW, limits=TokenLimits(max_length=100_000))


def test_extra_payload_may_not_name_the_session() -> None:
    with pytest.raises(ValueError, match="session_id"):
        generate_token("s", extra={"session_id": "other"})
