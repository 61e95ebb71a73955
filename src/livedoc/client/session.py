"""`ClientSession`: a local Document kept in sync, both ways, with a server session.

Changes made to the local document (by any thread) go to the server as PATCH-DOC; the server
sends them on to every browser tab of the session. Changes made elsewhere (a slider moved in a
browser) arrive as PATCH-DOC, are applied to the local document and fire its `on_change`
callbacks, on the event loop's thread.

The session lives on one asyncio loop: the caller's (`await ClientSession.open(...)`, in a
notebook or an async program) or a background thread's (`livedoc.client.pull_session`, in a
plain script). If the connection drops, the session reconnects to the same session id, with
backoff, and sends the local document, which is the truth for the script that holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, WebSocketClosedError, websocket_connect

from livedoc.client.credentials import find_api_key
from livedoc.client.urls import DEFAULT_URL, websocket_url
from livedoc.document import Document
from livedoc.document.events import DocumentPatchedEvent
from livedoc.errors import ClientError, LivedocError, ServerUnreachable, SessionRefused
from livedoc.protocol import (
    Message,
    MessageAssembler,
    encode_message,
    patch_doc,
    pull_doc_req,
    push_doc,
)
from livedoc.protocol.tokens import generate_session_id, generate_token

if TYPE_CHECKING:
    from collections.abc import Coroutine, Mapping

    from livedoc.document.events import DocumentChangedEvent
    from livedoc.protocol import Frame

__all__ = ["ClientSession"]

log = logging.getLogger("livedoc.client")

#: Reconnection: first delay, cap, and how many attempts before giving up.
RECONNECT_FIRST, RECONNECT_CAP, RECONNECT_ATTEMPTS = 0.1, 5.0, 60


class ClientSession:
    """One session of a server app, mirrored in `document`. Build with `open()`."""

    def __init__(
        self,
        url: str,
        session_id: str,
        token: str,
        loop: asyncio.AbstractEventLoop,
        *,
        reconnect: bool = True,
        timeout: float = 10.0,
        api_key: str | None = None,
    ) -> None:
        self.url = url
        self._api_key = api_key
        self.id = session_id
        self.websocket_url = websocket_url(url)
        self._token = token
        self._loop = loop
        self._reconnect = reconnect
        self.timeout = timeout
        self.document = Document()
        #: Held while a patch is applied or encoded, so no thread sees a half-applied document.
        self.lock = threading.RLock()
        self._connection: WebSocketClientConnection | None = None
        self._assembler = MessageAssembler()
        self._replies: dict[str, asyncio.Future[Message]] = {}
        self._unacknowledged: set[asyncio.Future[Message]] = set()
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._write_lock = asyncio.Lock()
        self._closing = False
        self._closed = asyncio.Event()
        self._connected = asyncio.Event()
        self.reconnects = 0

    def __repr__(self) -> str:
        state = "connected" if self.connected else "closed" if self._closing else "reconnecting"
        return f"<ClientSession {self.id} at {self.websocket_url}: {state}>"

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        url: str = DEFAULT_URL,
        *,
        document: Document | None = None,
        session_id: str | None = None,
        arguments: Mapping[str, str] | None = None,
        token: str | None = None,
        api_key: str | None = None,
        reconnect: bool = True,
        request_timeout: float = 10.0,
    ) -> ClientSession:
        """Connect to a session of the app at `url` (a new one unless `session_id` is given):
        with `document`, push it (it becomes the session's document); without, pull the
        session's document into `session.document`.

        `arguments` reach the app as its request arguments. `token` is a session token made
        elsewhere (for a server with a secret key); by default an unsigned one is made.
        `api_key` identifies the user to a `--multi-user` server (default: $LIVEDOC_API_KEY or
        what `livedoc login` stored for this server). `request_timeout` bounds the connection
        and each request. Raises `ServerUnreachable`
        or `SessionRefused` (both `ClientError`s) with the reason.
        """
        session_id = session_id or generate_session_id()
        if token is None:
            extra = {"arguments": {k: [v.encode()] for k, v in (arguments or {}).items()}}
            token = generate_token(session_id, extra=extra if arguments else None)
        session = cls(
            url,
            session_id,
            token,
            asyncio.get_running_loop(),
            reconnect=reconnect,
            timeout=request_timeout,
            api_key=api_key or find_api_key(url),
        )
        await session._connect()
        if document is not None:
            await session.push(document)
        else:
            await session.pull()
        return session

    async def _connect(self) -> None:
        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        request = HTTPRequest(self.websocket_url, headers=headers, connect_timeout=self.timeout)
        try:
            connection = await asyncio.wait_for(
                websocket_connect(request, subprotocols=["bokeh", self._token]), self.timeout
            )
        except HTTPClientError as exc:
            raise SessionRefused(_refusal(self.websocket_url, exc)) from None
        except (OSError, TimeoutError) as exc:
            raise ServerUnreachable(
                f"cannot reach a server at {self.websocket_url} ({exc}); is it running?"
            ) from None
        _no_delay(connection)
        self._connection = connection
        self._assembler = MessageAssembler()
        first = await self._read_message(connection)
        if first is None or first.msgtype != "ACK":
            reason = connection.close_reason or "no ACK"
            _release(connection)
            raise SessionRefused(f"the server closed the session at once: {reason}")
        self._connected.set()
        self._reader = asyncio.ensure_future(self._read_loop(connection))

    async def _read_message(self, connection: WebSocketClientConnection) -> Message | None:
        while True:
            frame = await connection.read_message()
            if frame is None:
                return None
            message = self._assembler.receive(frame)
            if message is not None:
                return message

    # -- the document ---------------------------------------------------------------------------

    async def pull(self) -> Document:
        """Replace the local document's content with the server session's."""
        reply = await self._request(pull_doc_req())
        with self.lock:
            self._watch(Document.from_json(reply.content["doc"], reply.buffers))
        return self.document

    async def push(self, document: Document) -> None:
        """Make `document` the session's document (on the server and in every browser tab)."""
        with self.lock:
            content, buffers = document.to_json()
            if document is not self.document:
                self._watch(document)
        await self._request(push_doc(content, buffers))

    def _watch(self, document: Document) -> None:
        self._unwatch()
        self.document = document
        document.on_change(self._on_local_change)

    def _unwatch(self) -> None:
        with contextlib.suppress(ValueError):  # not watched yet
            self.document.remove_on_change(self._on_local_change)

    def _on_local_change(self, event: DocumentChangedEvent) -> None:
        """A change to the local document: encode it now (in the changing thread, so later
        changes cannot leak into it) and send it from the loop."""
        if not isinstance(event, DocumentPatchedEvent) or event.setter is self:
            return
        with self.lock:
            content, buffers = self.document.create_json_patch([event])
        if not content["events"]:
            return
        message = patch_doc(content["events"], buffers)
        frames = encode_message(message)
        if _on_loop(self._loop):
            self._send_patch(message.msgid, frames)
        else:
            self._loop.call_soon_threadsafe(self._send_patch, message.msgid, frames)

    def _send_patch(self, msgid: str, frames: list[Frame]) -> None:
        reply: asyncio.Future[Message] = self._loop.create_future()
        self._replies[msgid] = reply
        self._unacknowledged.add(reply)
        reply.add_done_callback(self._unacknowledged.discard)
        self._spawn(self._write(frames))

    async def flush(self) -> None:
        """Wait until the server has acknowledged every change sent so far (or failed it)."""
        pending = list(self._unacknowledged)
        if not pending:
            return
        done = await asyncio.gather(*pending, return_exceptions=True)
        failures = [result for result in done if isinstance(result, BaseException)]
        if failures:
            raise failures[0]

    # -- messages -------------------------------------------------------------------------------

    async def _request(self, message: Message) -> Message:
        reply: asyncio.Future[Message] = self._loop.create_future()
        self._replies[message.msgid] = reply
        await self._write(encode_message(message))
        result = await asyncio.wait_for(reply, self.timeout)
        return result

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, frames: list[Frame]) -> None:
        # One message's frames at a time, in the order the messages were made.
        async with self._write_lock:
            await self._connected.wait()
            connection = self._connection
            if connection is None:
                return
            try:
                for frame in frames:
                    await connection.write_message(bytes(frame.payload), binary=frame.binary)
            except WebSocketClosedError:
                pass  # the read loop notices and reconnects; the reply future still waits

    async def _read_loop(self, connection: WebSocketClientConnection) -> None:
        while True:
            try:
                message = await self._read_message(connection)
            except LivedocError as exc:
                log.error("session %s: the server broke the protocol: %s", self.id, exc)
                connection.close()
                message = None
            if message is None:
                break
            self._handle(message)
        self._connected.clear()
        self._connection = None
        _release(connection)
        if not self._closing:
            code, reason = connection.close_code, connection.close_reason
            log.warning("session %s: connection lost (%s %s)", self.id, code, reason or "")
            self._spawn(self._recover())

    def _handle(self, message: Message) -> None:
        if message.msgtype == "PATCH-DOC":
            try:
                with self.lock:
                    self.document.apply_json_patch(message.content, message.buffers, setter=self)
            except LivedocError as exc:
                log.error("session %s: could not apply the server's patch: %s", self.id, exc)
            return
        reply = self._replies.pop(message.reqid or "", None)
        if reply is None or reply.done():
            return
        if message.msgtype == "ERROR":
            reply.set_exception(ClientError(f"the server refused: {message.content.get('text')}"))
        else:
            reply.set_result(message)

    async def _recover(self) -> None:
        """Reconnect to the same session and send the local document, with backoff."""
        if not self._reconnect:
            self._fail_pending(ClientError("the connection to the server was lost"))
            self._closed.set()
            return
        delay = RECONNECT_FIRST
        for attempt in range(1, RECONNECT_ATTEMPTS + 1):
            if self._closing:
                return
            await asyncio.sleep(delay)
            try:
                await self._connect()
                self._fail_pending(ClientError("the connection was lost before the reply"))
                await self.push(self.document)
            except (ClientError, TimeoutError) as exc:
                log.info("session %s: reconnect attempt %d failed: %s", self.id, attempt, exc)
                delay = min(delay * 2, RECONNECT_CAP)
                continue
            self.reconnects += 1
            log.warning("session %s: reconnected; sent the local document", self.id)
            return
        log.error("session %s: gave up reconnecting after %d attempts", self.id, attempt)
        self._fail_pending(ClientError("the server stayed unreachable; the session is closed"))
        self._closing = True
        self._closed.set()

    def _fail_pending(self, error: Exception) -> None:
        replies, self._replies = self._replies, {}
        for reply in replies.values():
            if not reply.done():
                reply.set_exception(error)

    # -- closing --------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connected.is_set()

    async def wait_closed(self) -> None:
        """Until the session is closed (by `close()`, or after reconnecting failed)."""
        await self._closed.wait()

    async def close(self) -> None:
        """Send what is pending, then close the connection."""
        if self._closing:
            return
        with contextlib.suppress(ClientError, TimeoutError):
            await asyncio.wait_for(self.flush(), self.timeout)
        self._closing = True
        self._unwatch()
        connection, self._connection = self._connection, None
        if connection is not None:
            _release(connection)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 2)
        self._fail_pending(ClientError("the session was closed"))
        self._closed.set()


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _stream(connection: WebSocketClientConnection) -> Any:
    return getattr(connection, "stream", None) or getattr(connection.protocol, "stream", None)


def _release(connection: WebSocketClientConnection) -> None:
    """Close the websocket and its socket now (not when the close handshake would finish)."""
    connection.close()
    stream = _stream(connection)
    if stream is not None:
        stream.close()


def _no_delay(connection: WebSocketClientConnection) -> None:
    """TCP_NODELAY: a patch goes out at once instead of waiting ~40 ms for Nagle."""
    sock = getattr(_stream(connection), "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _refusal(url: str, exc: HTTPClientError) -> str:
    body = b""
    if exc.response is not None and exc.response.body:
        body = exc.response.body[:300]
    detail = body.decode(errors="replace").strip() or exc.message or ""
    if exc.code == 404:
        return f"no app at {url} (404): check the URL's path"
    if exc.code == 401:
        return f"the server at {url} wants to know who you are (401): {detail}"
    if exc.code == 403:
        return f"the server refused the session at {url} (403): {detail}"
    return f"the server answered {exc.code} at {url}: {detail}"
