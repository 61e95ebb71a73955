"""A server session: one document, its lock, its connections, its scheduled callbacks.

Every change to the document becomes a patch event. Events are gathered while code runs and
flushed as soon as that code is done (at the latest on the next loop iteration): consecutive
events with the same origin are encoded **once** into one PATCH-DOC, and the same frames are
written to every connection except the one that caused them (its `setter`), which already has
the change. Changes made by server code (callbacks, `on_change` handlers) carry no setter and
reach every connection, the originating one included.

Code that touches the document holds `lock`: the handling of a client message, and every
callback unless it was marked `@unlocked`. An async callback keeps the lock until it finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from itertools import groupby
from typing import TYPE_CHECKING, Any

from livedoc.document import (
    DocumentPatchedEvent,
    SessionCallback,
    SessionCallbackAdded,
    SessionCallbackRemoved,
)
from livedoc.protocol import encode_message, patch_doc
from livedoc.server.ticks import at_fixed_rate

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from livedoc.document import Document, DocumentChangedEvent
    from livedoc.protocol import Message
    from livedoc.server.connection import ServerConnection

__all__ = ["ServerSession"]

log = logging.getLogger("livedoc.session")


class ServerSession:
    """The server side of one session."""

    def __init__(
        self,
        session_id: str,
        document: Document,
        *,
        bind_document: Callable[[Document], contextlib.AbstractContextManager[Any]] | None = None,
    ) -> None:
        self.id = session_id
        self.document = document
        self.lock = asyncio.Lock()
        self.connections: set[ServerConnection] = set()
        self.destroyed = False
        #: When the last connection left (monotonic seconds); the session is unused since then.
        self.unused_since: float | None = time.monotonic()
        self._bind_document = bind_document
        self._pending: list[DocumentPatchedEvent] = []
        self._flush_handle: asyncio.Handle | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        #: For a published document: applies a client's PUSH-DOC / PATCH-DOC (by calling the
        #: function it is given) and stores it durably, before it is sent on and acknowledged.
        self.persist: Callable[[Message, Callable[[], None]], Awaitable[None]] | None = None
        self.flush_held = False
        document.on_change(self._on_change)
        for callback in document.session_callbacks:  # added while the app code ran
            self._schedule(callback)

    def __repr__(self) -> str:
        return f"<ServerSession {self.id[:8]}... {len(self.connections)} connections>"

    # -- connections ------------------------------------------------------------------------

    def attach(self, connection: ServerConnection) -> None:
        self.connections.add(connection)
        self.unused_since = None

    def detach(self, connection: ServerConnection) -> None:
        self.connections.discard(connection)
        if not self.connections:
            self.unused_since = time.monotonic()

    # -- outgoing changes -------------------------------------------------------------------

    def _on_change(self, event: DocumentChangedEvent) -> None:
        if isinstance(event, SessionCallbackAdded):
            self._schedule(event.callback)
        elif isinstance(event, SessionCallbackRemoved):
            self._unschedule(event.callback)
        elif isinstance(event, DocumentPatchedEvent):
            self._pending.append(event)
            if self._flush_handle is None:
                self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Send the changes gathered so far: one PATCH-DOC per run of events of one origin.

        Every batch goes through `create_json_patch` even with no connection attached, so the
        document's record of which models the peers know stays right.
        """
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self.flush_held:
            return  # a change being stored: it goes out once durable (see the connection)
        events, self._pending = self._pending, []
        for origin, run in groupby(events, key=lambda event: event.setter):
            content, buffers = self.document.create_json_patch(list(run))
            if not content["events"]:
                continue
            recipients = [c for c in self.connections if c is not origin]
            if recipients:
                frames = encode_message(patch_doc(content["events"], buffers))
                for connection in recipients:
                    connection.send_frames(frames)

    # -- callbacks --------------------------------------------------------------------------

    @contextlib.contextmanager
    def bound(self) -> Iterator[None]:
        """`curdoc()` is this session's document inside the block."""
        if self._bind_document is None:
            yield
        else:
            with self._bind_document(self.document):
                yield

    def _schedule(self, callback: SessionCallback) -> None:
        if self.destroyed or callback.id in self._tasks:
            return
        runner = self._periodic(callback) if callback.kind == "periodic" else self._once(callback)
        task = asyncio.get_running_loop().create_task(
            runner, name=f"livedoc callback {callback.id}"
        )
        self._tasks[callback.id] = task

    def _unschedule(self, callback: SessionCallback) -> None:
        task = self._tasks.pop(callback.id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _periodic(self, callback: SessionCallback) -> None:
        await at_fixed_rate(
            callback.period_ms / 1000,
            lambda: self.run_callback(callback),
            lambda: not self.destroyed and callback.id in self._tasks,
        )

    async def _once(self, callback: SessionCallback) -> None:
        if callback.period_ms:
            await asyncio.sleep(callback.period_ms / 1000)
        self._tasks.pop(callback.id, None)
        await self.run_callback(callback)
        self.document.callback_done(callback)

    async def run_callback(self, callback: SessionCallback) -> None:
        """Run one callback (under the lock unless `@unlocked`); failures are logged, not raised."""
        if self.destroyed:
            return
        try:
            if callback.needs_lock:
                async with self.lock:
                    await self._invoke(callback.callback)
            else:
                await self._invoke(callback.callback)
        except Exception:
            log.exception("session %s: callback %s failed", self.id, _describe(callback.callback))
        finally:
            self.flush()

    async def _invoke(self, function: Callable[[], Any]) -> None:
        with self.bound():  # held across the await: an async callback's body runs there
            result = function()
            if inspect.isawaitable(result):
                await result

    async def with_locked_document(self, function: Callable[[Document], Any]) -> Any:
        """Run `function(document)` holding the lock, then send what it changed."""
        async with self.lock:
            try:
                with self.bound():
                    result = function(self.document)
                    if inspect.isawaitable(result):
                        result = await result
                return result
            finally:
                self.flush()

    # -- end --------------------------------------------------------------------------------

    def destroy(self) -> None:
        """Stop every callback and release the document; connections are closed by their owner."""
        if self.destroyed:
            return
        self.destroyed = True
        for task in self._tasks.values():
            if task is not asyncio.current_task():
                task.cancel()
        self._tasks.clear()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        self._pending.clear()
        self.document.remove_on_change(self._on_change)


def _describe(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)
