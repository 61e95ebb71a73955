"""What the server keeps per app and per session, and what app code sees of them.

`ApplicationContext` owns one app route: its `Application`, its sessions, and the app-level
callbacks registered through the `ServerContext`. Sessions are created lazily — at page load,
or when a websocket arrives with an id the server does not know (a reconnect after expiry, a
`bokeh.client`, another process's token) — and concurrent requests for one id share one
creation. A session with no connection for longer than the unused lifetime is destroyed:
its callbacks stop and `on_session_destroyed` runs.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any

from livedoc.application import (
    Application,
    ServerContext,
    SessionContext,
    SessionRequest,
    bound_document,
)
from livedoc.document.ids import make_id
from livedoc.server.session import ServerSession
from livedoc.server.ticks import at_fixed_rate
from livedoc.server.tokens_http import request_payload

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tornado.httputil import HTTPServerRequest

    from livedoc.document import Document
    from livedoc.protocol.tokens import TokenPayload
    from livedoc.server.kernel_sessions import KernelBridge, KernelSessions
    from livedoc.server.origins import OriginPolicy
    from livedoc.server.settings import ServerSettings

__all__ = ["ApplicationContext", "LiveServerContext", "LiveSessionContext"]

log = logging.getLogger("livedoc.server")

#: What a token minted for a page records of its request (see `tokens_http.request_payload`).
_REQUEST_PARTS = frozenset({"arguments", "cookies", "headers"})


class LiveServerContext(ServerContext):
    """The server as one app sees it: its sessions, and callbacks that live as long as the app."""

    def __init__(self, app_context: ApplicationContext) -> None:
        self._app_context = app_context
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def sessions(self) -> list[SessionContext]:
        return [self._app_context.session_contexts[sid] for sid in self._app_context.sessions]

    def _start(self, runner: Any, *, once: bool = False) -> str:
        callback_id = make_id()
        task = asyncio.get_running_loop().create_task(runner)
        self._tasks[callback_id] = task
        if once:  # a one-shot callback forgets its id once it has run
            task.add_done_callback(lambda _: self._tasks.pop(callback_id, None))
        return callback_id

    async def _run(self, callback: Callable[[], Any]) -> None:
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("app %s: server callback %r failed", self._app_context.url, callback)

    def add_next_tick_callback(self, callback: Callable[[], Any]) -> str:
        return self._start(self._run(callback), once=True)

    def add_timeout_callback(self, callback: Callable[[], Any], timeout_milliseconds: float) -> str:
        async def later() -> None:
            await asyncio.sleep(timeout_milliseconds / 1000)
            await self._run(callback)

        return self._start(later(), once=True)

    def add_periodic_callback(self, callback: Callable[[], Any], period_milliseconds: float) -> str:
        if not period_milliseconds > 0:
            raise ValueError("a periodic callback needs a period above 0 ms")

        return self._start(at_fixed_rate(period_milliseconds / 1000, lambda: self._run(callback)))

    def remove_callback(self, callback_id: str) -> None:
        task = self._tasks.pop(callback_id, None)
        if task is None:
            raise ValueError(f"no server callback {callback_id!r}")
        task.cancel()

    def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()


class LiveSessionContext(SessionContext):
    """One session as app code sees it (through `curdoc().session_context` or the hooks)."""

    def __init__(
        self,
        session_id: str,
        server_context: LiveServerContext,
        token: TokenPayload,
        opening_request: Mapping[str, Any] | None = None,
    ) -> None:
        self._id = session_id
        self._server_context = server_context
        self._token = token
        # A token minted for a page carries that page's request. A client that makes its own
        # token (bokeh.client passes `arguments` in the websocket URL) carries none: then what
        # the token lacks comes from the request that opened the session, as in Bokeh.
        self._request = SessionRequest.from_token_payload(
            {**(opening_request or {}), **token.extra}
        )
        self.session: ServerSession | None = None

    @property
    def id(self) -> str:
        return self._id

    @property
    def server_context(self) -> ServerContext:
        return self._server_context

    @property
    def request(self) -> SessionRequest:
        return self._request

    @property
    def token_payload(self) -> Mapping[str, Any]:
        return {
            "session_id": self._token.session_id,
            "session_expiry": self._token.expiry,
            **self._token.extra,
        }

    @property
    def destroyed(self) -> bool:
        return self.session is not None and self.session.destroyed

    async def with_locked_document(self, func: Callable[[Document], Any]) -> Any:
        if self.session is None:
            raise RuntimeError("the session is not open yet")
        return await self.session.with_locked_document(func)


class ApplicationContext:
    """One app route and its sessions."""

    def __init__(
        self,
        application: Application,
        url: str,
        settings: ServerSettings,
        origins: OriginPolicy,
        kernel_sessions: KernelSessions | None = None,
    ) -> None:
        self.application = application
        #: Set with --isolation kernel: sessions are opened in kernels of their own.
        self.kernel_sessions = kernel_sessions
        self._bridges: dict[str, KernelBridge] = {}
        self.url = url
        self.settings = settings
        self.origins = origins
        self.server_context = LiveServerContext(self)
        self.sessions: dict[str, ServerSession] = {}
        self.session_contexts: dict[str, LiveSessionContext] = {}
        self._creating: dict[str, asyncio.Task[ServerSession]] = {}
        self._errors: dict[str, str] = {}

    @property
    def metadata(self) -> Any:
        return self.application.metadata or {}

    def template(self) -> str | None:
        path = self.application.template_path
        if path is None:
            return None
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    def error_for(self, session: ServerSession) -> str | None:
        return self._errors.get(session.id)

    async def session_for(
        self, token: TokenPayload, request: HTTPServerRequest | None = None
    ) -> ServerSession:
        """The session a token names, created (running the app code) if this process lacks it."""
        session = self.sessions.get(token.session_id)
        if session is not None:
            return session
        task = self._creating.get(token.session_id)
        if task is None:
            opening = None
            if request is not None and not token.extra.keys() >= _REQUEST_PARTS:
                opening = request_payload(request, self.settings)
            task = asyncio.get_running_loop().create_task(self._create(token, opening))
            self._creating[token.session_id] = task
            task.add_done_callback(lambda _: self._creating.pop(token.session_id, None))
        return await asyncio.shield(task)

    async def _create(
        self, token: TokenPayload, opening_request: Mapping[str, Any] | None
    ) -> ServerSession:
        started = time.perf_counter()
        context = LiveSessionContext(token.session_id, self.server_context, token, opening_request)
        if self.kernel_sessions is not None:
            return await self._create_in_kernel(token, context, opening_request)
        await self.application.on_session_created(context)
        document = self.application.create_document(context)
        document.accept_unknown_models = True  # peers may send any model type (a pushed bokeh doc)
        failures = self.application.errors_for(document)
        error = "; ".join(failure.error for failure in failures) or None
        session = ServerSession(
            token.session_id, document, bind_document=lambda doc: bound_document(doc, context)
        )
        context.session = session
        self.sessions[session.id] = session
        self.session_contexts[session.id] = context
        if error is not None:
            self._errors[session.id] = error
        log.info(
            "app %s: session %s opened in %.1f ms%s",
            self.url,
            session.id,
            (time.perf_counter() - started) * 1000,
            f" (the app failed: {error})" if error else "",
        )
        return session

    async def _create_in_kernel(
        self,
        token: TokenPayload,
        context: LiveSessionContext,
        opening_request: Mapping[str, Any] | None,
    ) -> ServerSession:
        assert self.kernel_sessions is not None
        session, bridge, error = await self.kernel_sessions.open(
            token, opening_request, self.settings.kernel_info_timeout
        )
        context.session = session
        self.sessions[session.id] = session
        self.session_contexts[session.id] = context
        self._bridges[session.id] = bridge
        if error is not None:
            self._errors[session.id] = error
            log.info("app %s: session %s: the app failed: %s", self.url, session.id, error)
        return session

    async def destroy_session(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        context = self.session_contexts.pop(session_id, None)
        self._errors.pop(session_id, None)
        bridge = self._bridges.pop(session_id, None)
        if session is None:
            return
        for connection in list(session.connections):
            connection.close(1001, "the session ended")
        if bridge is not None:  # the hooks run in the session's kernel, which then stops
            session.destroy()
            await bridge.close()
            log.info("app %s: session %s destroyed (its kernel is shut down)", self.url, session_id)
            return
        callbacks = list(session.document.session_destroyed_callbacks)
        session.destroy()
        if context is not None:
            await self.application.on_session_destroyed(context)
            for callback in callbacks:
                try:
                    result = callback(context)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("session %s: an on_session_destroyed callback failed", session_id)
        log.info("app %s: session %s destroyed", self.url, session_id)

    async def discard_unused(self, lifetime: float) -> int:
        """Destroy sessions with no connection for more than `lifetime` seconds."""
        now = time.monotonic()
        stale = [
            sid
            for sid, session in self.sessions.items()
            if session.unused_since is not None and now - session.unused_since > lifetime
        ]
        for session_id in stale:
            await self.destroy_session(session_id)
        return len(stale)

    async def shutdown(self) -> None:
        for session_id in list(self.sessions):
            await self.destroy_session(session_id)
        self.server_context.stop()
