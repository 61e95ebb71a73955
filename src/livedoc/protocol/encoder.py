"""Turn a message into the websocket frames to write, without copying buffer payloads.

Text frames are encoded to UTF-8 once, so a broadcast can write the same bytes to every
connection. Binary payloads are passed through as given: a memoryview of an array's memory stays
that memoryview, so the only copy of the data is the one the socket write makes.
"""

from __future__ import annotations

# ASCII-escaped, so an id with a lone surrogate (valid JSON as "\ud800") still encodes.
from json.encoder import encode_basestring_ascii as _string
from typing import TYPE_CHECKING, Final, NamedTuple

from livedoc.protocol import wirejson

if TYPE_CHECKING:
    from livedoc._types import Buffer
    from livedoc.protocol.messages import Message

__all__ = ["Frame", "encode_message", "message_size"]


class Frame(NamedTuple):
    """One websocket frame: UTF-8 text (`binary` False) or a binary payload."""

    payload: Buffer
    binary: bool

    def as_received(self) -> str | Buffer:
        """What a websocket library hands to the receiver: `str` for text, bytes for binary."""
        if self.binary:
            return self.payload
        return bytes(self.payload).decode()


_EMPTY_OBJECT: Final = b"{}"


def _header(message: Message) -> bytes:
    # Built by hand: the generic JSON encoder costs microseconds per call, and a small message
    # spends more time on its header and buffer headers than on its content.
    text = f'{{"msgid":{_string(message.msgid)},"msgtype":{_string(message.msgtype)}'
    if message.reqid is not None:
        text += f',"reqid":{_string(message.reqid)}'
    if message.buffers:
        text += f',"num_buffers":{len(message.buffers)}'
    return (text + "}").encode()


def encode_message(message: Message) -> list[Frame]:
    """The frames of `message`, in wire order: header, metadata, content, then id/payload pairs."""
    metadata = wirejson.dumps_bytes(message.metadata) if message.metadata else _EMPTY_OBJECT
    frames = [
        Frame(_header(message), False),
        Frame(metadata, False),
        Frame(wirejson.dumps_bytes(message.content), False),
    ]
    for buffer_id, payload in message.buffers.items():
        frames.append(Frame(f'{{"id":{_string(buffer_id)}}}'.encode(), False))
        frames.append(Frame(payload, True))
    return frames


def message_size(frames: list[Frame]) -> int:
    """Total payload bytes of a message's frames."""
    return sum(memoryview(frame.payload).nbytes for frame in frames)
