"""The kernel websocket's two framings, sans I/O: kernel messages as byte parts <-> frames.

A kernel message is four UTF-8 JSON objects (header, parent_header, metadata, content) and
any number of raw buffers, as on ZMQ after the signature. `RawMessage` keeps them as bytes,
so the relay can hand a kernel's parts on without parsing them.

`v1.kernel.websocket.jupyter.org` (binary frames only; every integer is a uint64 LE)::

    [n][offset_0] ... [offset_{n-1}] channel | header | parent_header | metadata | content | buffer_0 | ...
    piece k starts at offset_k and ends at offset_{k+1}; offset_0 = 8 * (n + 1),
    offset_{n-1} = frame length, so n = 6 + number of buffers.

Legacy ("default"): a text frame with one JSON object, or, when the message has buffers, a
binary frame (every integer a uint32 BE; the last buffer runs to the end of the frame)::

    {"header": {...}, "msg_id": ..., "msg_type": ..., "parent_header": {...},
     "metadata": {...}, "content": {...}, "buffers": [], "channel": "iopub"}

    [N][offset_0] ... [offset_{N-1}] json (without "buffers") | buffer_0 | ... | buffer_{N-2}
    N = 1 + number of buffers, offset_0 = 4 * (N + 1).

Decoders raise `WireError` (and nothing else) on any malformed frame.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NoReturn

__all__ = [
    "CHANNELS",
    "MAX_BUFFERS",
    "V1_PROTOCOL",
    "RawMessage",
    "WireError",
    "decode_legacy",
    "decode_v1",
    "dump_part",
    "encode_legacy",
    "encode_v1",
    "header_of",
    "load_part",
    "v1_pieces",
]

V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"

#: The channels a kernel websocket multiplexes; the heartbeat is not one of them.
CHANNELS = frozenset({"shell", "iopub", "stdin", "control"})

#: Buffers one frame may carry: bounds the offset table a decoder will unpack.
MAX_BUFFERS = 10_000

_PARTS = ("header", "parent_header", "metadata", "content")
_U32_MAX = 0xFFFF_FFFF

_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"bare {name} is not JSON")


# Bare NaN/Infinity are not JSON; jupyter_client refuses to pack them too (allow_nan=False).
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


class WireError(ValueError):
    """A frame or message part that does not follow the framing; the text says what is wrong."""


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A kernel message as byte parts, as it comes off or goes onto ZMQ."""

    channel: str
    header: bytes
    parent_header: bytes
    metadata: bytes
    content: bytes
    buffers: tuple[bytes | memoryview, ...] = ()

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise WireError(f"unknown channel {self.channel!r} (expected one of {_names()})")

    @property
    def parts(self) -> tuple[bytes, bytes, bytes, bytes]:
        """The four JSON parts in wire order (what the HMAC signs)."""
        return (self.header, self.parent_header, self.metadata, self.content)


def _names() -> str:
    return ", ".join(sorted(CHANNELS))


def _kind(value: object) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return "null" if value is None else kinds.get(type(value), "a number")


def _decode_text(data: bytes | memoryview, what: str) -> str:
    try:
        return str(data, "utf-8")
    except UnicodeDecodeError as exc:
        raise WireError(f"{what} is not UTF-8 ({exc.reason} at byte {exc.start})") from None


def _parse_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise WireError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise WireError(f"{what} is {_kind(value)}, not a JSON object")
    return value


def load_part(data: bytes | memoryview, what: str = "message part") -> dict[str, Any]:
    """One JSON part parsed; WireError unless it is a UTF-8 JSON object."""
    return _parse_object(_decode_text(data, what), what)


def header_of(message: RawMessage) -> dict[str, Any]:
    """The message's header, parsed (for msg_type filters, rate limits, correlation)."""
    return load_part(message.header, "header")


def dump_part(value: dict[str, Any]) -> bytes:
    """A JSON part as compact UTF-8 (for messages the server makes or re-packs)."""
    try:
        try:
            return _COMPACT.encode(value).encode()
        except UnicodeEncodeError:
            # A lone surrogate ("\ud800" is valid JSON) has no UTF-8 form: escape it instead.
            return _COMPACT_ASCII.encode(value).encode()
    except RecursionError:
        raise WireError("message part is nested too deeply to encode") from None


def _size(piece: bytes | memoryview) -> int:
    return piece.nbytes if isinstance(piece, memoryview) else len(piece)


def _byte_view(frame: bytes | memoryview) -> memoryview:
    view = memoryview(frame)
    if view.format == "B" and view.ndim == 1:
        return view
    try:
        return view.cast("B")
    except TypeError:
        raise WireError("frame is not a contiguous byte buffer") from None


def _check_offsets(offsets: tuple[int, ...], first: int, size: int) -> None:
    """Refuse tables whose pieces would not tile the frame from `first` on, in order."""
    if offsets[0] != first:
        raise WireError(
            f"first piece starts at {offsets[0]}, not after the offset table at {first}"
        )
    for index, (start, end) in enumerate(pairwise(offsets)):
        if end > size:
            raise WireError(f"offset {index + 1} ({end}) points past the {size}-byte frame")
        if end < start:
            raise WireError(f"offsets decrease at piece {index + 1} ({start} -> {end})")


# -- v1 ----------------------------------------------------------------------------------------


def v1_pieces(message: RawMessage) -> list[bytes | memoryview]:
    """The v1 frame as the pieces it is made of, end to end (for writing without joining)."""
    pieces: list[bytes | memoryview] = [message.channel.encode(), *message.parts, *message.buffers]
    count = len(pieces) + 1
    offsets = [8 * (count + 1)]
    for piece in pieces:
        offsets.append(offsets[-1] + _size(piece))
    return [struct.pack(f"<{count + 1}Q", count, *offsets), *pieces]


def encode_v1(message: RawMessage) -> bytes:
    """The v1 binary frame; the JSON parts are copied verbatim, never re-serialised."""
    return b"".join(v1_pieces(message))


def decode_v1(frame: bytes | memoryview) -> RawMessage:
    """A v1 frame's message; buffers are views into `frame`, JSON parts are checked objects."""
    view = _byte_view(frame)
    size = len(view)
    if size < 8:
        raise WireError(f"a {size}-byte frame cannot hold the offset count")
    (count,) = struct.unpack_from("<Q", view)
    if count < 6:
        raise WireError(f"{count} offsets: channel and the four JSON parts need at least 6")
    if count > MAX_BUFFERS + 6:
        raise WireError(f"{count} offsets: more than {MAX_BUFFERS} buffers")
    first = 8 * (count + 1)
    if first > size:
        raise WireError(f"offset table ({count} offsets) runs past the {size}-byte frame")
    offsets = struct.unpack_from(f"<{count}Q", view, 8)
    _check_offsets(offsets, first, size)
    if offsets[-1] != size:
        raise WireError(f"last offset {offsets[-1]} is not the frame length {size}")
    pieces = [view[start:end] for start, end in pairwise(offsets)]
    channel = _decode_text(pieces[0], "channel")
    header, parent_header, metadata, content = (bytes(piece) for piece in pieces[1:5])
    message = RawMessage(channel, header, parent_header, metadata, content, tuple(pieces[5:]))
    for what, part in zip(_PARTS, message.parts, strict=True):
        load_part(part, what)  # validate only: the bytes go on to the kernel unchanged
    return message


# -- legacy ------------------------------------------------------------------------------------


def encode_legacy(message: RawMessage) -> str | bytes:
    """A text frame (str) for a message without buffers, else a binary frame (bytes).

    The JSON parts are checked and spliced in verbatim, so dates stay as the kernel wrote
    them; the envelope is laid out like jupyter_server's `json.dumps`, key order included.
    """
    texts = [_decode_text(part, what) for what, part in zip(_PARTS, message.parts, strict=True)]
    header = _parse_object(texts[0], "header")
    for what, text in zip(_PARTS[1:], texts[1:], strict=True):
        _parse_object(text, what)
    ids = []
    for key in ("msg_id", "msg_type"):
        if not isinstance(header.get(key), str):
            raise WireError(f"header has no string {key}")
        ids.append(json.dumps(header[key]))
    fields = [("header", texts[0]), ("msg_id", ids[0]), ("msg_type", ids[1])]
    fields += zip(_PARTS[1:], texts[1:], strict=True)
    if not message.buffers:
        fields.append(("buffers", "[]"))
    fields.append(("channel", json.dumps(message.channel)))
    text = "{" + ", ".join(f'"{key}": {value}' for key, value in fields) + "}"
    if not message.buffers:
        return text
    pieces = [text.encode(), *message.buffers]
    count = len(pieces)
    offsets = [4 * (count + 1)]
    for piece in pieces[:-1]:  # the last piece's end is the frame's: no offset records it
        offsets.append(offsets[-1] + _size(piece))
    if offsets[-1] > _U32_MAX:
        raise WireError("message too large for the legacy framing's 32-bit offsets")
    return b"".join([struct.pack(f">{count + 1}I", count, *offsets), *pieces])


def decode_legacy(frame: str | bytes | memoryview) -> RawMessage:
    """A legacy text (str) or binary frame's message; parts re-packed as compact JSON.

    A missing (or null) channel means shell, as in jupyter_server; missing parent_header,
    metadata or content mean `{}`. Top-level keys other than these (msg_id, ...) are ignored.
    """
    if isinstance(frame, str):
        return _from_envelope(_parse_object(frame, "legacy frame"), ())
    view = _byte_view(frame)
    size = len(view)
    if size < 4:
        raise WireError(f"a {size}-byte frame cannot hold the offset count")
    (count,) = struct.unpack_from(">I", view)
    if count < 1:
        raise WireError("0 offsets: a binary legacy frame needs at least the JSON piece")
    if count > MAX_BUFFERS + 1:
        raise WireError(f"{count} offsets: more than {MAX_BUFFERS} buffers")
    first = 4 * (count + 1)
    if first > size:
        raise WireError(f"offset table ({count} offsets) runs past the {size}-byte frame")
    offsets = struct.unpack_from(f">{count}I", view, 4)
    _check_offsets((*offsets, size), first, size)
    pieces = [view[start:end] for start, end in pairwise((*offsets, size))]
    envelope = _parse_object(_decode_text(pieces[0], "legacy JSON"), "legacy JSON")
    return _from_envelope(envelope, tuple(pieces[1:]))


def _from_envelope(envelope: dict[str, Any], buffers: tuple[memoryview, ...]) -> RawMessage:
    channel = envelope.get("channel")
    if channel is None:
        channel = "shell"
    elif not isinstance(channel, str):
        raise WireError(f"channel is {_kind(channel)}, not a string")
    if envelope.get("buffers") not in (None, []):
        # JSON cannot hold bytes: buffers travel only as the pieces of a binary frame.
        raise WireError("buffers must be empty in the JSON; send them in a binary frame")
    if "header" not in envelope:
        raise WireError("legacy message has no header")
    values = [envelope.get(what, {}) for what in _PARTS]
    for what, value in zip(_PARTS, values, strict=True):
        if not isinstance(value, dict):
            raise WireError(f"{what} is {_kind(value)}, not a JSON object")
    header, parent_header, metadata, content = map(dump_part, values)
    return RawMessage(channel, header, parent_header, metadata, content, buffers)
