"""Writing websocket frames straight to the socket stream, without copying payloads.

Tornado's `WebSocketHandler.write_message` accepts only `str`/`bytes` and builds each frame by
concatenating header and payload, so a 16 MB column would be copied twice before it reaches
the socket. A server frame is unmasked and, with compression off, is just a 2-10 byte header
followed by the payload: the header goes to the stream as small bytes and the payload as the
memoryview it already is (Tornado's stream keeps large buffers by reference). Small payloads
are copied next to their headers instead, so a typical message costs one send syscall.

All frames of one message are written in one synchronous run, so two messages never
interleave, and the stream sends them together.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tornado.iostream import IOStream

    from livedoc.protocol import Frame

__all__ = ["frame_header", "write_frame", "write_frames"]

_TEXT: Final = 0x81  # FIN + text opcode
_BINARY: Final = 0x82  # FIN + binary opcode


def frame_header(binary: bool, length: int) -> bytes:
    """The header of one unfragmented, unmasked server frame carrying `length` bytes."""
    first = _BINARY if binary else _TEXT
    if length < 126:
        return struct.pack("!BB", first, length)
    if length <= 0xFFFF:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def _as_bytes_view(payload: memoryview) -> memoryview | bytes:
    # The stream measures buffers with len(), which counts items, not bytes: give it bytes.
    if payload.format == "B" and payload.c_contiguous:
        return payload
    try:
        return payload.cast("B")
    except (TypeError, ValueError):  # a non-native format or a non-contiguous view
        return payload.tobytes()


#: Payloads up to this size are copied next to their header, so that a whole message usually
#: leaves in one write (one send syscall: Tornado writes eagerly on every `write`); larger
#: ones go by reference, uncopied.
COALESCE_LIMIT: Final = 64 * 1024


class _Coalescer:
    """Collects small pieces into one write; a large piece goes to the stream by reference."""

    def __init__(self, stream: IOStream) -> None:
        self.stream = stream
        self.pending = bytearray()

    def add(self, piece: bytes | bytearray | memoryview) -> None:
        view = memoryview(piece)
        if view.nbytes <= COALESCE_LIMIT:
            self.pending += _as_bytes_view(view)
        else:
            self.flush()
            self.stream.write(_as_bytes_view(view))

    def flush(self) -> None:
        if self.pending:
            self.stream.write(bytes(self.pending))
            self.pending.clear()


def write_frames(stream: IOStream, frames: Sequence[Frame]) -> int:
    """Queue `frames` on `stream`; returns the bytes queued. The caller checks the stream is open."""
    total = 0
    writer = _Coalescer(stream)
    for frame in frames:
        size = memoryview(frame.payload).nbytes
        header = frame_header(frame.binary, size)
        writer.add(header)
        writer.add(frame.payload)
        total += len(header) + size
    writer.flush()
    return total


def write_frame(stream: IOStream, binary: bool, pieces: Sequence[bytes | memoryview]) -> int:
    """Queue one frame whose payload is `pieces` end to end (not joined first); returns the
    bytes queued. The caller checks the stream is open."""
    size = sum(memoryview(piece).nbytes for piece in pieces)
    header = frame_header(binary, size)
    writer = _Coalescer(stream)
    writer.add(header)
    for piece in pieces:
        writer.add(piece)
    writer.flush()
    return len(header) + size
