"""One websocket attached to a session: message handling, replies and errors.

The connection is independent of Tornado: it talks to a `Transport` (write frames, close) and
is fed frames with `receive`. The websocket handler is the thin adapter between the two.

Replies follow Bokeh's protocol: ACK first; PULL-DOC-REQ gets PULL-DOC-REPLY; PUSH-DOC and
PATCH-DOC get OK after every change they caused has been sent; SERVER-INFO-REQ gets
SERVER-INFO-REPLY. A request that fails gets ERROR with its `reqid` and the connection stays
open; a broken frame stream, or a message type a server never accepts, closes the connection
with a 4xxx code and a reason. Peers see a one-line error, never a traceback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from livedoc import __version__
from livedoc.document import BOKEH_VERSION
from livedoc.errors import DocumentError, MessageRejected, ProtocolViolation, ReadOnlyError
from livedoc.protocol import (
    CLIENT_TO_SERVER,
    DEFAULT_LIMITS,
    CloseCode,
    Frame,
    Limits,
    Message,
    MessageAssembler,
    ack,
    encode_message,
    error,
    ok,
    pull_doc_reply,
    server_info_reply,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from livedoc._types import Buffer
    from livedoc.server.session import ServerSession

__all__ = ["ServerConnection", "Transport"]

log = logging.getLogger("livedoc.protocol")


class Transport(Protocol):
    """What a connection needs from its socket."""

    def write_frames(self, frames: Sequence[Frame]) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


class ServerConnection:
    """The protocol state of one websocket of a session."""

    def __init__(
        self, session: ServerSession, transport: Transport, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.session = session
        self.transport = transport
        self.assembler = MessageAssembler(limits)
        self.closed = False
        #: A viewer of a published document without write access: its changes are refused.
        self.read_only = False
        self.messages_in = 0
        self.log = logging.LoggerAdapter(log, {"session": session.id})

    def __repr__(self) -> str:
        return f"<ServerConnection of session {self.session.id[:8]}...>"

    def open(self) -> None:
        """Attach to the session and send the ACK, which must be the first message."""
        self.session.attach(self)
        self.send(ack())

    def detach(self) -> None:
        if not self.closed:
            self.closed = True
            self.session.detach(self)

    # -- sending ----------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        self.send_frames(encode_message(message))

    def send_frames(self, frames: Sequence[Frame]) -> None:
        if not self.closed:
            self.transport.write_frames(frames)

    def close(self, code: int, reason: str) -> None:
        self.log.info("closing connection of session %s: %s (%d)", self.session.id, reason, code)
        self.detach()
        self.transport.close(code, reason)

    # -- receiving --------------------------------------------------------------------------

    async def receive(self, frame: str | Buffer) -> None:
        """Consume one websocket frame; handles the message it completes, if any."""
        if self.closed:
            return
        try:
            message = self.assembler.receive(frame)
        except ProtocolViolation as exc:
            self.close(exc.close_code, exc.reason)
            return
        except MessageRejected as exc:
            self.log.warning("session %s: rejected message: %s", self.session.id, exc)
            self.send(error(exc.msgid, str(exc)))
            return
        if message is not None:
            self.messages_in += 1
            await self.handle(message)

    async def handle(self, message: Message) -> None:
        if message.msgtype not in CLIENT_TO_SERVER:
            self.close(
                CloseCode.UNEXPECTED_MESSAGE, f"a server does not accept {message.msgtype} messages"
            )
            return
        try:
            reply = await self._dispatch(message)
        except DocumentError as exc:
            self.log.info("session %s: %s failed: %s", self.session.id, message.msgtype, exc)
            reply = error(message.msgid, str(exc))
        except Exception:
            self.log.exception("session %s: %s failed", self.session.id, message.msgtype)
            reply = error(message.msgid, "the server failed to handle this message; see its log")
        self.send(reply)

    async def _dispatch(self, message: Message) -> Message:
        session = self.session
        kind = message.msgtype
        if kind == "SERVER-INFO-REQ":
            return server_info_reply(message.msgid, {"bokeh": BOKEH_VERSION, "server": __version__})
        async with session.lock:
            # Changes not yet sent must go out before a pull marks every model as known.
            session.flush()
            if kind == "PULL-DOC-REQ":
                doc_json, buffers = session.document.to_json()
                return pull_doc_reply(message.msgid, doc_json, buffers)
            if self.read_only:
                if kind == "PATCH-DOC" and _only_ui_events(message.content):
                    # DocumentReady, clicks, taps: a read-only viewer's UI events change no
                    # state and do not reach the owner's callbacks.
                    return ok(message.msgid)
                raise ReadOnlyError(
                    "this document is read-only for you: your changes stay in your browser"
                )
            session.flush_held = session.persist is not None
            try:
                if session.persist is None:
                    self._apply(message)
                else:  # durable before anyone sees it
                    await session.persist(message, lambda: self._apply(message))
            finally:
                session.flush_held = False
                session.flush()  # the changes this message caused go out before its OK
        return ok(message.msgid)

    def _apply(self, message: Message) -> None:
        """A client's PUSH-DOC or PATCH-DOC, applied to the session's document."""
        document = self.session.document
        with self.session.bound():
            if message.msgtype == "PUSH-DOC":
                document.replace_with_json(message.content["doc"], message.buffers, setter=self)
            else:
                document.apply_json_patch(message.content, message.buffers, setter=self)


def _only_ui_events(content: Any) -> bool:
    """Whether a PATCH-DOC carries UI events (`MessageSent`) and no change to the document."""
    events = content.get("events") if isinstance(content, dict) else None
    return (
        isinstance(events, list)
        and bool(events)
        and all(isinstance(e, dict) and e.get("kind") == "MessageSent" for e in events)
    )
