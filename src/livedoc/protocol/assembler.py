"""Incremental assembly of protocol messages from websocket frames (sans-I/O).

One message on the wire is a run of frames, never interleaved with another message's::

    text    header     {"msgid": str, "msgtype": str, ["reqid": str], ["num_buffers": int]}
    text    metadata   {...}                      free-form, usually {}
    text    content    {...}                      shape depends on msgtype
    then num_buffers times:
    text    buffer header   {"id": str}
    binary  buffer payload  raw bytes, referenced from content as {"id": ...}

Errors come in two kinds. When a frame makes the stream impossible to follow (a frame of the
wrong type, an unreadable header, an absurd buffer count) the assembler raises
`ProtocolViolation` and the connection must be closed with its code. When one message is bad
but its frame count is known (unknown msgtype, bad content JSON, a message over the size limit,
a malformed buffer header) the assembler consumes the rest of that message, then raises
`MessageRejected` naming the message id, so the caller can answer ERROR and go on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
from typing import TYPE_CHECKING, Any, Final, NoReturn

from livedoc.errors import MessageRejected, ProtocolViolation
from livedoc.protocol import wirejson
from livedoc.protocol.close_codes import CloseCode
from livedoc.protocol.messages import MSGTYPES, Message, content_problem

if TYPE_CHECKING:
    from livedoc._types import ID, Buffer, JSONObject

__all__ = ["DEFAULT_LIMITS", "Limits", "MessageAssembler"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one incoming message may hold."""

    max_message_size: int = 20 * 1024 * 1024
    """Bytes (text frames counted in characters) summed over all frames of one message."""
    max_buffers: int = 1024
    """Binary buffers one message may announce."""

    def __post_init__(self) -> None:
        if self.max_message_size < 1:
            raise ValueError("max_message_size must be at least 1")
        if self.max_buffers < 0:
            raise ValueError("max_buffers must not be negative")


DEFAULT_LIMITS: Final = Limits()


class _Expect(Enum):
    HEADER = auto()
    METADATA = auto()
    CONTENT = auto()
    BUFFER_HEADER = auto()
    BUFFER_PAYLOAD = auto()


class MessageAssembler:
    """Feed websocket frames with `receive`; get back complete `Message` objects."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._reset()

    def _reset(self) -> None:
        self._expect = _Expect.HEADER
        self._msgid: ID | None = None
        self._msgtype: str | None = None
        self._reqid: ID | None = None
        self._num_buffers = 0
        self._size = 0
        self._metadata: JSONObject = {}
        self._content: JSONObject = {}
        self._buffers: dict[ID, Buffer] = {}
        self._buffer_id: ID | None = None
        self._payloads_seen = 0
        # The first problem found in the message being consumed; reported when it is complete.
        self._problem: tuple[str, str] | None = None

    @property
    def idle(self) -> bool:
        """True between messages (no partial message held)."""
        return self._expect is _Expect.HEADER

    def receive(self, frame: str | Buffer) -> Message | None:
        """Consume one frame: `str` is a text frame, bytes-like is a binary frame.

        Returns the message this frame completes, or None when more frames are needed.
        Raises `ProtocolViolation` (close the connection; the assembler resets) or
        `MessageRejected` (the bad message was consumed whole; the next frame starts a new one).
        """
        try:
            return self._dispatch(frame)
        except ProtocolViolation:
            self._reset()
            raise

    def _dispatch(self, frame: str | Buffer) -> Message | None:
        expect = self._expect
        if expect is _Expect.BUFFER_PAYLOAD:
            if isinstance(frame, str):
                self._violation(
                    "frame-type",
                    "a text frame arrived where a binary buffer payload was expected",
                    CloseCode.FRAME_TYPE,
                )
            # Bytes, not items: a memoryview with wider items has fewer items than bytes.
            self._account(memoryview(frame).nbytes)
            return self._on_payload(frame)
        if not isinstance(frame, str):
            where = {
                _Expect.HEADER: "a message header",
                _Expect.METADATA: "message metadata",
                _Expect.CONTENT: "message content",
                _Expect.BUFFER_HEADER: "a buffer header",
            }[expect]
            self._violation(
                "frame-type",
                f"a binary frame arrived where {where} (text) was expected",
                CloseCode.FRAME_TYPE,
            )
        if expect is _Expect.HEADER:
            self._on_header(frame)
            return None
        self._account(len(frame))
        if expect is _Expect.METADATA:
            self._metadata = self._parse_object(frame, "metadata")
            self._expect = _Expect.CONTENT
            return None
        if expect is _Expect.CONTENT:
            self._content = self._parse_object(frame, "content")
            if self._problem is None and self._msgtype in MSGTYPES:
                problem = content_problem(self._msgtype, self._content)
                if problem is not None:
                    self._flag("content-shape", problem)
            return self._after_part()
        return self._on_buffer_header(frame)

    # -- header -----------------------------------------------------------------------------

    def _on_header(self, frame: str) -> None:
        self._size = len(frame)
        try:
            header = wirejson.loads(frame)
        except (ValueError, RecursionError):
            self._violation(
                "header-json", "the message header is not valid JSON", CloseCode.BAD_HEADER
            )
        if not isinstance(header, dict):
            self._violation(
                "header-json", "the message header is not a JSON object", CloseCode.BAD_HEADER
            )
        msgid = header.get("msgid")
        if not isinstance(msgid, str) or not msgid:
            self._violation(
                "header-msgid", "the message header has no 'msgid' string", CloseCode.BAD_HEADER
            )
        msgtype = header.get("msgtype")
        if not isinstance(msgtype, str):
            self._violation(
                "header-msgtype", "the message header has no 'msgtype' string", CloseCode.BAD_HEADER
            )
        num_buffers = header.get("num_buffers", 0)
        # bool is an int subclass; `true` buffers is not a count.
        if type(num_buffers) is not int or num_buffers < 0:
            self._violation(
                "header-num-buffers",
                "'num_buffers' in the message header must be a non-negative integer",
                CloseCode.BAD_HEADER,
            )
        if num_buffers > self.limits.max_buffers:
            self._violation(
                "too-many-buffers",
                f"the message announces {num_buffers} buffers; the limit is {self.limits.max_buffers}",
                CloseCode.TOO_MANY_BUFFERS,
            )
        self._msgid, self._msgtype, self._num_buffers = msgid, msgtype, num_buffers
        reqid = header.get("reqid")
        if reqid is not None and not isinstance(reqid, str):
            self._flag("header-reqid", "'reqid' in the message header must be a string")
        else:
            self._reqid = reqid
        if msgtype not in MSGTYPES:
            self._flag("unknown-msgtype", f"unknown message type {msgtype!r}")
        self._check_size()
        self._expect = _Expect.METADATA

    # -- parts ------------------------------------------------------------------------------

    def _parse_object(self, frame: str, part: str) -> JSONObject:
        if self._problem is not None:
            return {}  # already rejected: don't spend time parsing what will be dropped
        try:
            value = wirejson.loads(frame)
        except (ValueError, RecursionError):
            self._flag(f"{part}-json", f"the message {part} is not valid JSON")
            return {}
        if not isinstance(value, dict):
            self._flag(f"{part}-json", f"the message {part} is not a JSON object")
            return {}
        return value

    def _on_buffer_header(self, frame: str) -> Message | None:
        self._expect = _Expect.BUFFER_PAYLOAD
        self._buffer_id = None
        if self._problem is not None:
            return None
        try:
            header: Any = wirejson.loads(frame)
        except (ValueError, RecursionError):
            header = None
        if (
            not isinstance(header, dict)
            or set(header) != {"id"}
            or not isinstance(header["id"], str)
        ):
            self._flag("buffer-header", 'a buffer header must be exactly {"id": "<string>"}')
        elif header["id"] in self._buffers:
            self._flag("buffer-id", f"buffer id {header['id']!r} appears twice in one message")
        else:
            self._buffer_id = header["id"]
        return None

    def _on_payload(self, frame: Buffer) -> Message | None:
        self._payloads_seen += 1
        if self._problem is None and self._buffer_id is not None:
            self._buffers[self._buffer_id] = frame
        self._buffer_id = None
        return self._after_part()

    def _after_part(self) -> Message | None:
        # Payloads of a rejected message are counted but not kept, so count payloads seen.
        if self._payloads_seen < self._num_buffers:
            self._expect = _Expect.BUFFER_HEADER
            return None
        return self._complete()

    def _complete(self) -> Message:
        msgid, msgtype, problem = self._msgid, self._msgtype, self._problem
        assert msgid is not None
        assert msgtype is not None
        message = Message(
            msgtype=msgtype,  # type: ignore[arg-type]  # unknown types raise just below
            content=self._content,
            msgid=msgid,
            reqid=self._reqid,
            metadata=self._metadata,
            buffers=self._buffers,
        )
        self._reset()
        if problem is not None:
            rule, text = problem
            raise MessageRejected(rule, text, msgid, msgtype)
        return message

    # -- limits and errors ------------------------------------------------------------------

    def _account(self, size: int) -> None:
        self._size += size
        self._check_size()

    def _check_size(self) -> None:
        if self._size > self.limits.max_message_size and self._problem is None:
            self._flag(
                "message-size",
                f"the message is larger than the limit of {self.limits.max_message_size} bytes",
            )
            # Drop what was kept so far; the rest of the message is counted, not stored.
            self._metadata, self._content, self._buffers = {}, {}, {}

    def _flag(self, rule: str, text: str) -> None:
        if self._problem is None:
            self._problem = (rule, text)

    def _violation(self, rule: str, text: str, code: CloseCode) -> NoReturn:
        raise ProtocolViolation(rule, text, int(code))
