"""The kernel websocket framings, checked byte for byte against jupyter_server's own functions."""

from __future__ import annotations

import array
import contextlib
import json
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from livedoc.kernels import wire
from livedoc.kernels.wire import (
    MAX_BUFFERS,
    RawMessage,
    WireError,
    decode_legacy,
    decode_v1,
    dump_part,
    encode_legacy,
    encode_v1,
    header_of,
    load_part,
)

try:  # a test-only oracle; product code never imports it
    from jupyter_client.jsonutil import json_default
    from jupyter_client.session import Session
    from jupyter_server.services.kernels.connection import base as oracle
except ImportError:  # pragma: no cover
    oracle = None

needs_oracle = pytest.mark.skipif(oracle is None, reason="jupyter_server is not installed")
SESSION = Session(key=b"", username="u") if oracle is not None else None

# No "explain" phase: it traces every line, which is slow before Python 3.12.
FUZZ = settings(
    max_examples=200,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)

HEADER = b'{"msg_id": "m1", "msg_type": "execute_request", "session": "s", "username": "u", "date": "2026-11-22T00:00:00.000001Z", "version": "5.4"}'
SIMPLE = RawMessage("shell", HEADER, b"{}", b"{}", b'{"code": "1+1"}')


def v1_frame(offsets: list[int], body: bytes, count: int | None = None) -> bytes:
    count = len(offsets) if count is None else count
    return struct.pack(f"<{len(offsets) + 1}Q", count, *offsets) + body


def legacy_frame(offsets: list[int], body: bytes, count: int | None = None) -> bytes:
    count = len(offsets) if count is None else count
    return struct.pack(f">{len(offsets) + 1}I", count, *offsets) + body


def _error_id(value: object) -> str | None:
    """Name malformed-frame cases after the error they expect, not their unreadable bytes."""
    return None if isinstance(value, bytes) else str(value)[:60]


# -- strategies ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(), json_values, max_size=5)
headers = st.builds(
    lambda extra, msg_id, msg_type: {**extra, "msg_id": msg_id, "msg_type": msg_type},
    json_objects,
    st.text(),
    st.text(min_size=1),
)
channels = st.sampled_from(sorted(wire.CHANNELS))
buffer_lists = st.lists(st.binary(max_size=40), max_size=4)


@st.composite
def compact_messages(draw: st.DrawFn) -> RawMessage:
    """Messages whose parts are compact JSON, as `decode_legacy` makes them."""
    parts = [dump_part(draw(headers)), *(dump_part(draw(json_objects)) for _ in range(3))]
    return RawMessage(draw(channels), *parts, buffers=tuple(draw(buffer_lists)))


@st.composite
def byte_messages(draw: st.DrawFn) -> RawMessage:
    """Messages with arbitrary part bytes: v1 must carry whatever the kernel wrote."""
    parts = [draw(st.binary(max_size=30)) for _ in range(4)]
    return RawMessage(draw(channels), *parts, buffers=tuple(draw(buffer_lists)))


# -- v1 ----------------------------------------------------------------------------------------


def test_v1_worked_example_of_the_spec() -> None:
    message = RawMessage("shell", b'{"h":1}', b"{}", b"{}", b'{"c":2}', (b"\x01\x02\x03",))
    frame = encode_v1(message)
    assert len(frame) == 90
    assert struct.unpack_from("<8Q", frame) == (7, 64, 69, 76, 78, 80, 87, 90)
    assert frame[64:] == b'shell{"h":1}{}{}{"c":2}\x01\x02\x03'
    assert decode_v1(frame) == message


@needs_oracle
@settings(FUZZ, max_examples=100)
@given(byte_messages())
def test_v1_encoding_is_jupyter_servers_byte_for_byte(message: RawMessage) -> None:
    parts = [*message.parts, *message.buffers]
    assert encode_v1(message) == oracle.serialize_msg_to_ws_v1(parts, message.channel)


@needs_oracle
@settings(FUZZ, max_examples=100)
@given(compact_messages())
def test_v1_frames_decode_like_jupyter_servers(message: RawMessage) -> None:
    frame = oracle.serialize_msg_to_ws_v1([*message.parts, *message.buffers], message.channel)
    assert decode_v1(frame) == message
    channel, parts = oracle.deserialize_msg_from_ws_v1(encode_v1(message))
    assert (channel, parts) == (message.channel, [*message.parts, *message.buffers])


@settings(FUZZ, max_examples=100)
@given(compact_messages())
def test_v1_round_trips(message: RawMessage) -> None:
    assert decode_v1(encode_v1(message)) == message
    assert decode_v1(memoryview(encode_v1(message))) == message


def test_v1_buffers_are_views_of_the_frame_and_json_parts_bytes() -> None:
    frame = encode_v1(RawMessage("iopub", HEADER, b"{}", b"{}", b"{}", (b"abc", b"")))
    message = decode_v1(frame)
    assert [bytes(buffer) for buffer in message.buffers] == [b"abc", b""]
    assert all(isinstance(buffer, memoryview) and buffer.obj is frame for buffer in message.buffers)
    assert all(type(part) is bytes for part in message.parts)


def test_v1_measures_buffers_in_bytes_whatever_their_item_size() -> None:
    numbers = array.array("d", [1.5, 2.5])
    with_view = RawMessage("shell", HEADER, b"{}", b"{}", b"{}", (memoryview(numbers),))
    with_bytes = RawMessage("shell", HEADER, b"{}", b"{}", b"{}", (numbers.tobytes(),))
    assert encode_v1(with_view) == encode_v1(with_bytes)
    assert encode_legacy(with_view) == encode_legacy(with_bytes)
    framed = memoryview(encode_v1(with_bytes)).cast("c")  # any format is read as bytes
    assert decode_v1(framed) == with_bytes


def _valid_v1() -> bytes:
    return encode_v1(RawMessage("shell", b'{"h":1}', b"{}", b"{}", b'{"c":2}', (b"\x01\x02\x03",)))


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (b"", "cannot hold the offset count"),
        (b"\x07\x00\x00", "cannot hold the offset count"),
        (
            v1_frame([48, 48, 48, 48, 48], b""),
            "5 offsets: channel and the four JSON parts need at least 6",
        ),
        (struct.pack("<Q", 0), "0 offsets"),
        (struct.pack("<Q", MAX_BUFFERS + 7), f"more than {MAX_BUFFERS} buffers"),
        (struct.pack("<Q", 2**64 - 1), "more than"),
        (_valid_v1()[:60], "offset table (7 offsets) runs past the 60-byte frame"),
        (_valid_v1()[:70], "offset 2 (76) points past the 70-byte frame"),
        (_valid_v1() + b"!", "last offset 90 is not the frame length 91"),
        (
            v1_frame([0, 69, 76, 78, 80, 87, 90], _valid_v1()[64:]),
            "first piece starts at 0, not after the offset table at 64",
        ),
        (
            v1_frame([64, 69, 66, 78, 80, 87, 90], _valid_v1()[64:]),
            "offsets decrease at piece 2 (69 -> 66)",
        ),
        (
            v1_frame([64, 69, 76, 78, 80, 87, 2**64 - 1], _valid_v1()[64:]),
            "points past the 90-byte frame",
        ),
        (
            v1_frame([56, 58, 60, 62, 64, 66], b"\xff\xfe{}{}{}{}"),
            "channel is not UTF-8 (invalid start byte at byte 0)",
        ),
        (v1_frame([56, 58, 60, 62, 64, 66], b"hb{}{}{}{}"), "unknown channel 'hb'"),
        (v1_frame([56, 56, 58, 60, 62, 64], b"{}{}{}{}"), "unknown channel ''"),
    ],
    ids=_error_id,
)
def test_v1_refuses_malformed_frames(frame: bytes, error: str) -> None:
    with pytest.raises(WireError) as caught:
        decode_v1(frame)
    assert error in str(caught.value)


@pytest.mark.parametrize(
    ("part", "error"),
    [
        (b"[]", "header is an array, not a JSON object"),
        (b'"x"', "header is a string, not a JSON object"),
        (b"null", "header is null, not a JSON object"),
        (b"{", "header is not valid JSON"),
        (b"", "header is not valid JSON"),
        (b'{"a": NaN}', "bare NaN is not JSON"),
        (b'{"a": "\xff"}', "header is not UTF-8"),
        # A byte order mark: UTF-8 JSON must not start with one.
        (b"\xef\xbb\xbf{}", "header is not valid JSON"),
        (b"[" * 100_000, "header is not valid JSON"),  # nested past the recursion limit
    ],
    ids=_error_id,
)
def test_v1_refuses_json_parts_that_are_not_objects(part: bytes, error: str) -> None:
    frame = encode_v1(RawMessage("shell", part, b"{}", b"{}", b"{}"))
    with pytest.raises(WireError) as caught:
        decode_v1(frame)
    assert error in str(caught.value)


@pytest.mark.parametrize("index", [1, 2, 3])
def test_v1_checks_every_json_part(index: int) -> None:
    parts = [HEADER, b"{}", b"{}", b"{}"]
    parts[index] = b"1"
    name = ["header", "parent_header", "metadata", "content"][index]
    with pytest.raises(WireError, match=f"{name} is a number"):
        decode_v1(encode_v1(RawMessage("control", *parts)))


# -- legacy ------------------------------------------------------------------------------------


def jupyter_message(
    content: dict[str, Any], buffers: list[bytes], channel: str
) -> tuple[RawMessage, dict[str, Any]]:
    """A kernel message packed by jupyter_client, and the dict jupyter_server makes of it."""
    session = SESSION
    parent = session.msg("execute_request", content={"code": "x"})
    msg = session.msg("display_data", content=content, parent=parent, metadata={"m": [1, 2.5]})
    parts = session.serialize(msg)[2:]  # after the delimiter and the (empty) signature
    unpacked = session.deserialize([b"", *parts, *buffers])
    unpacked["channel"] = channel
    return RawMessage(channel, *parts, buffers=tuple(buffers)), unpacked


# Printable ASCII: where jupyter_server's ensure_ascii=True output equals the kernel's own bytes.
ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8)
ascii_objects = st.dictionaries(
    ascii_text,
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | ascii_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ascii_text, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=4,
)


@needs_oracle
@settings(FUZZ, max_examples=100)
@given(ascii_objects, buffer_lists, channels)
def test_legacy_encoding_is_jupyter_servers_byte_for_byte(
    content: dict[str, Any], buffers: list[bytes], channel: str
) -> None:
    # What jupyter_server's _reserialize_reply writes: json.dumps for a text frame,
    # serialize_binary_message when there are buffers. Byte-equal for ASCII JSON, where
    # jupyter_server's ensure_ascii and the kernel's verbatim UTF-8 agree.
    message, unpacked = jupyter_message(content, buffers, channel)
    expected = (
        oracle.serialize_binary_message(unpacked)
        if buffers
        else json.dumps(unpacked, default=json_default)
    )
    assert encode_legacy(message) == expected


@needs_oracle
@settings(FUZZ, max_examples=100)
@given(json_objects, buffer_lists, channels)
def test_legacy_frames_carry_what_jupyter_server_reads(
    content: dict[str, Any], buffers: list[bytes], channel: str
) -> None:
    # Any JSON, non-ASCII included: the frames hold the same values jupyter_server's would.
    message, unpacked = jupyter_message(content, buffers, channel)
    frame = encode_legacy(message)
    if buffers:
        assert isinstance(frame, bytes)
        read = oracle.deserialize_binary_message(frame)
        assert [bytes(buffer) for buffer in read.pop("buffers")] == buffers
        assert read == {key: value for key, value in unpacked.items() if key != "buffers"}
    else:
        assert isinstance(frame, str)
        assert json.loads(frame) == json.loads(json.dumps(unpacked, default=json_default))


@needs_oracle
@settings(FUZZ, max_examples=100)
@given(headers, json_objects, buffer_lists, channels)
def test_legacy_decodes_jupyter_servers_frames(
    header: dict[str, Any], content: dict[str, Any], buffers: list[bytes], channel: str
) -> None:
    msg = {
        "channel": channel,
        "header": header,
        "parent_header": {},
        "metadata": {"x": 1},
        "content": content,
        "buffers": buffers,
    }
    frame = oracle.serialize_binary_message(msg) if buffers else json.dumps(msg)
    message = decode_legacy(frame)
    assert message == RawMessage(
        channel, dump_part(header), b"{}", b'{"x":1}', dump_part(content), tuple(buffers)
    )


def test_legacy_text_frame_has_jupyter_servers_keys_in_order() -> None:
    frame = encode_legacy(SIMPLE)
    assert isinstance(frame, str)
    decoded = json.loads(frame)
    assert list(decoded) == [
        "header",
        "msg_id",
        "msg_type",
        "parent_header",
        "metadata",
        "content",
        "buffers",
        "channel",
    ]
    assert (decoded["msg_id"], decoded["msg_type"], decoded["buffers"]) == (
        "m1",
        "execute_request",
        [],
    )
    assert frame.startswith('{"header": ' + HEADER.decode() + ', "msg_id": "m1"')  # verbatim


def test_legacy_binary_frame_layout_of_the_spec() -> None:
    frame = encode_legacy(
        RawMessage("shell", b'{"msg_id":"a","msg_type":"b"}', b"{}", b"{}", b"{}", (b"xy", b""))
    )
    assert isinstance(frame, bytes)
    count, *offsets = struct.unpack_from(">4I", frame)
    json_end = offsets[1]
    assert (count, offsets[0], offsets[2], len(frame)) == (3, 16, json_end + 2, json_end + 2)
    assert "buffers" not in json.loads(frame[16:json_end])
    message = decode_legacy(frame)
    assert [bytes(buffer) for buffer in message.buffers] == [b"xy", b""]
    assert all(isinstance(buffer, memoryview) and buffer.obj is frame for buffer in message.buffers)


def test_legacy_keeps_non_ascii_as_utf8() -> None:
    message = RawMessage(
        "iopub",
        b'{"msg_id":"\xc3\xa9","msg_type":"stream"}',
        b"{}",
        b"{}",
        '{"text":"héllo ☃"}'.encode(),
    )
    frame = encode_legacy(message)
    assert isinstance(frame, str)
    assert '"text":"héllo ☃"' in frame
    assert decode_legacy(frame) == message


@settings(FUZZ, max_examples=100)
@given(compact_messages())
def test_legacy_round_trips(message: RawMessage) -> None:
    frame = encode_legacy(message)
    assert isinstance(frame, bytes if message.buffers else str)
    assert decode_legacy(frame) == message
    if isinstance(frame, bytes):
        assert decode_legacy(memoryview(frame)) == message


def test_legacy_defaults_of_a_client_message() -> None:
    message = decode_legacy('{"header": {"msg_id": "x"}, "content": {"a": 1}, "msg_id": "ignored"}')
    assert message == RawMessage("shell", b'{"msg_id":"x"}', b"{}", b"{}", b'{"a":1}')
    assert decode_legacy('{"header": {}, "channel": null, "buffers": null}').channel == "shell"
    assert decode_legacy('{"header": {}, "channel": "stdin", "buffers": []}').channel == "stdin"


def test_legacy_escapes_lone_surrogates_it_cannot_write_as_utf8() -> None:
    message = decode_legacy('{"header": {"msg_id": "\\ud800"}}')
    assert message.header == b'{"msg_id":"\\ud800"}'
    assert header_of(message) == {"msg_id": "\ud800"}


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ("", "legacy frame is not valid JSON"),
        ("[1]", "legacy frame is an array, not a JSON object"),
        ('{"channel": "shell"}', "legacy message has no header"),
        ('{"header": []}', "header is an array, not a JSON object"),
        ('{"header": {}, "content": null}', "content is null, not a JSON object"),
        ('{"header": {}, "parent_header": 1}', "parent_header is a number"),
        ('{"header": {}, "metadata": "m"}', "metadata is a string"),
        ('{"header": {}, "channel": 3}', "channel is a number, not a string"),
        (
            '{"header": {}, "channel": "hb"}',
            "unknown channel 'hb' (expected one of control, iopub, shell, stdin)",
        ),
        ('{"header": {}, "buffers": ["AAAA"]}', "buffers must be empty in the JSON"),
        ('{"header": {}, "buffers": {}}', "buffers must be empty"),
        ('{"header": {"a": Infinity}}', "bare Infinity is not JSON"),
        ('{"header": ' + "[" * 100_000, "not valid JSON"),
        (b"", "cannot hold the offset count"),
        (b"\x00\x00\x00", "cannot hold the offset count"),
        (legacy_frame([], b"{}", 0), "0 offsets"),
        (struct.pack(">I", MAX_BUFFERS + 2), f"more than {MAX_BUFFERS} buffers"),
        (struct.pack(">I", 2**32 - 1), "more than"),
        (legacy_frame([12], b"", 2), "offset table (2 offsets) runs past the 8-byte frame"),
        (legacy_frame([12, 40], b'{"header": {}}'), "offset 1 (40) points past the 26-byte frame"),
        (legacy_frame([9], b"x{}"), "first piece starts at 9, not after the offset table at 8"),
        (legacy_frame([16, 30, 20], b'{"header": {}}xy'), "offsets decrease at piece 2 (30 -> 20)"),
        (legacy_frame([8], b"[]"), "legacy JSON is an array"),
        (legacy_frame([8], b'{"header": "\xff"}'), "legacy JSON is not UTF-8"),
    ],
    ids=_error_id,
)
def test_legacy_refuses_malformed_frames(frame: str | bytes, error: str) -> None:
    with pytest.raises(WireError) as caught:
        decode_legacy(frame)
    assert error in str(caught.value)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (b'{"msg_type": "status"}', "header has no string msg_id"),
        (b'{"msg_id": "a", "msg_type": 5}', "header has no string msg_type"),
        (b"[]", "header is an array"),
    ],
)
def test_encode_legacy_needs_a_header_with_ids(header: bytes, error: str) -> None:
    with pytest.raises(WireError, match=error):
        encode_legacy(RawMessage("iopub", header, b"{}", b"{}", b"{}"))


def test_encode_legacy_refuses_parts_that_are_not_json_objects() -> None:
    with pytest.raises(WireError, match="content is not valid JSON"):
        encode_legacy(RawMessage("iopub", HEADER, b"{}", b"{}", b"{oops"))
    with pytest.raises(WireError, match="metadata is not UTF-8"):
        encode_legacy(RawMessage("iopub", HEADER, b"{}", b"\x80", b"{}"))


# -- the message and its helpers ---------------------------------------------------------------


def test_raw_message_only_on_websocket_channels() -> None:
    with pytest.raises(WireError, match="unknown channel 'hb'"):
        RawMessage("hb", b"{}", b"{}", b"{}", b"{}")
    assert SIMPLE.parts == (HEADER, b"{}", b"{}", b'{"code": "1+1"}')


def test_header_of_and_load_part() -> None:
    assert header_of(SIMPLE)["msg_type"] == "execute_request"
    assert load_part(memoryview(b' {"a": [1]} ')) == {"a": [1]}
    with pytest.raises(WireError, match="header is an array"):
        header_of(RawMessage("shell", b"[]", b"{}", b"{}", b"{}"))
    with pytest.raises(WireError, match="message part is not valid JSON"):
        load_part(b"{")


def test_dump_part_is_compact_utf8() -> None:
    assert dump_part({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'.encode()
    with pytest.raises(ValueError, match="Out of range float"):
        dump_part({"a": float("nan")})


# -- robustness: nothing but WireError out of a decoder ----------------------------------------


def _only_wire_errors(decode: Any, frame: Any) -> None:
    with contextlib.suppress(WireError):
        decode(frame)


@pytest.mark.fuzz
@settings(FUZZ)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_wire_errors(frame: bytes) -> None:
    _only_wire_errors(decode_v1, frame)
    _only_wire_errors(decode_legacy, frame)


@pytest.mark.fuzz
@settings(FUZZ)
@given(
    st.text(max_size=200)
    | st.builds(
        json.dumps,
        st.dictionaries(
            st.sampled_from(
                ["header", "parent_header", "metadata", "content", "channel", "buffers"]
            ),
            json_values,
        ),
    )
)
def test_random_text_raises_only_wire_errors(frame: str) -> None:
    _only_wire_errors(decode_legacy, frame)


@pytest.mark.fuzz
@settings(FUZZ)
@given(
    st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 120), min_size=1, max_size=12),
    st.binary(max_size=60),
)
def test_random_v1_offset_tables_raise_only_wire_errors(offsets: list[int], body: bytes) -> None:
    _only_wire_errors(decode_v1, v1_frame(offsets, body))
    _only_wire_errors(decode_legacy, legacy_frame([offset % 2**32 for offset in offsets], body))


@pytest.mark.fuzz
@settings(FUZZ, max_examples=100)
@given(compact_messages(), st.data())
def test_damaged_frames_raise_only_wire_errors(message: RawMessage, data: st.DataObject) -> None:
    for frame in (encode_v1(message), encode_legacy(message)):
        raw = frame.encode() if isinstance(frame, str) else frame
        at = data.draw(st.integers(0, len(raw) - 1))
        damaged = raw[:at] + data.draw(st.binary(min_size=1, max_size=3)) + raw[at + 1 :]
        truncated = raw[: data.draw(st.integers(0, len(raw)))]
        for candidate in (damaged, truncated):
            _only_wire_errors(decode_v1, candidate)
            _only_wire_errors(decode_legacy, candidate)
            _only_wire_errors(decode_legacy, candidate.decode(errors="replace"))
