"""Tokens and session ids interoperate with the real bokeh 3.9.2 (`bokeh.util.token`)."""

from __future__ import annotations

import time

import pytest
from bokeh.util import token as bokeh_token

from livedoc.protocol import tokens

pytestmark = pytest.mark.oracle

KEY = b"shared secret between both implementations"


@pytest.mark.parametrize("signed", [False, True])
def test_bokeh_tokens_decode_in_livedoc(signed: bool) -> None:
    session_id = bokeh_token.generate_session_id(secret_key=KEY, signed=signed)
    extra = {"headers": {"Host": "h"}, "arguments": {"a": [b"1"]}}
    token = bokeh_token.generate_jwt_token(
        session_id, secret_key=KEY, signed=signed, extra_payload=extra
    )
    payload = tokens.decode_token(token, signed=signed, secret_key=KEY)
    assert payload.session_id == session_id
    assert payload.extra == extra
    assert payload.expiry > time.time()
    assert tokens.check_session_id(session_id, signed=signed, secret_key=KEY)


@pytest.mark.parametrize("signed", [False, True])
def test_livedoc_tokens_decode_in_bokeh(signed: bool) -> None:
    session_id = tokens.generate_session_id(signed=signed, secret_key=KEY)
    extra = {"cookies": {"c": "v"}, "arguments": {"a": [b"\x00\x01"]}}
    token = tokens.generate_token(session_id, signed=signed, secret_key=KEY, extra=extra)
    assert bokeh_token.check_token_signature(token, secret_key=KEY, signed=signed)
    assert bokeh_token.check_session_id_signature(session_id, secret_key=KEY, signed=signed)
    assert bokeh_token.get_session_id(token) == session_id
    payload = bokeh_token.get_token_payload(token)
    assert payload["session_expiry"] > time.time()
    assert payload["cookies"] == {"c": "v"}
    assert payload["arguments"] == {"a": [b"\x00\x01"]}


def test_a_token_signed_by_bokeh_with_another_key_is_refused() -> None:
    session_id = bokeh_token.generate_session_id(secret_key=b"other", signed=True)
    token = bokeh_token.generate_jwt_token(session_id, secret_key=b"other", signed=True)
    with pytest.raises(tokens.TokenError, match="signature is wrong"):
        tokens.decode_token(token, signed=True, secret_key=KEY)
