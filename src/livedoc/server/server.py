"""The server: apps at routes, a Tornado application around them, start and stop.

    server = Server({"/": make_document}, ServerSettings(port=0))
    await server.start()          # listens; server.port is the real port
    ...
    await server.stop()           # destroys sessions, runs on_server_unloaded

`Server.run()` is the blocking form the command line uses, with SIGINT/SIGTERM handling and
`--num-procs` (the listening sockets are bound once, then the process forks).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication, StaticFileHandler

from livedoc.application import Application, FunctionHandler
from livedoc.bokehjs import bundle_paths
from livedoc.server.contexts import ApplicationContext
from livedoc.server.handlers import (
    STATIC_ROOT,
    AutoloadHandler,
    DocHandler,
    FaviconHandler,
    IndexHandler,
    MetadataHandler,
    VersionedStaticHandler,
)
from livedoc.server.identity import Identities
from livedoc.server.jupyter import JupyterServices, jupyter_routes
from livedoc.server.kernel_sessions import KernelSessions
from livedoc.server.login import ApiKeysHandler, LoginHandler, LogoutHandler
from livedoc.server.origins import OriginPolicy
from livedoc.server.published import PublishedDocuments
from livedoc.server.published_handlers import (
    PublishedAutoloadHandler,
    PublishedIndexHandler,
    PublishedPageHandler,
    PublishedWebsocketHandler,
    ShareHandler,
)
from livedoc.server.settings import ServerSettings, storage_url
from livedoc.server.ws import WebsocketHandler

if TYPE_CHECKING:
    import socket

    from livedoc.auth import AccessPolicy
    from livedoc.document import Document

__all__ = ["AppSpec", "Server"]

log = logging.getLogger("livedoc.server")

AppSpec = Application | Callable[["Document"], Any]


def _as_application(spec: AppSpec) -> Application:
    return spec if isinstance(spec, Application) else Application(FunctionHandler(spec))


def _app_url(route: str) -> str:
    cleaned = "/" + route.strip("/")
    return cleaned


class Server:
    """Serves apps (by route) over HTTP and the Bokeh websocket protocol."""

    def __init__(
        self,
        apps: Mapping[str, AppSpec],
        settings: ServerSettings | None = None,
        *,
        access_policy: AccessPolicy | None = None,
    ) -> None:
        """`access_policy` replaces the built-in single-user / --multi-user rules (for an
        organisation's own login: see `livedoc.auth.AccessPolicy`)."""
        if not apps:
            raise ValueError("a server needs at least one app")
        self.settings = settings or ServerSettings.from_environment()
        self.applications = {_app_url(route): _as_application(spec) for route, spec in apps.items()}
        self.contexts: dict[str, ApplicationContext] = {}
        self.published = PublishedDocuments(storage_url(self.settings.storage))
        self.identities = Identities(self.settings, access_policy)
        self.jupyter = JupyterServices(self.settings)
        self._http: HTTPServer | None = None
        self._sockets: list[socket.socket] = []
        self._cleanup: asyncio.Task[None] | None = None
        self.port: int | None = None

    # -- building -----------------------------------------------------------------------------

    def _origins(self, port: int) -> OriginPolicy:
        return OriginPolicy.default(port, self.settings.allow_websocket_origin)

    def make_tornado_app(self, port: int) -> TornadoApplication:
        settings, prefix = self.settings, self.settings.url_prefix
        origins = self._origins(port)
        routes: list[Any] = jupyter_routes(prefix, self.jupyter, origins)
        for url, application in self.applications.items():
            route = prefix + url if url != "/" else prefix or "/"
            kernel_sessions = (
                KernelSessions(
                    self.jupyter, application, route, callback_timeout=settings.callback_timeout
                )
                if settings.isolation == "kernel"
                else None
            )
            context = ApplicationContext(application, route, settings, origins, kernel_sessions)
            self.contexts[url] = context
            base = prefix + ("" if url == "/" else url)
            common = {"app_context": context, "settings": settings}
            routes += [
                (f"{base}/?", DocHandler, common),
                (f"{base}/ws", WebsocketHandler, {**common, "origins": origins}),
                (f"{base}/metadata", MetadataHandler, common),
                (f"{base}/autoload.js", AutoloadHandler, common),
            ]
            if application.static_path is not None:
                routes.append(
                    (f"{base}/static/(.*)", StaticFileHandler, {"path": application.static_path})
                )
        if "/" not in self.applications:
            listing = [(url.strip("/"), prefix + url) for url in self.applications]
            routes.append(
                (
                    f"{prefix}/?",
                    IndexHandler,
                    {"apps": listing, "redirect": settings.index_redirect},
                )
            )
        published = {
            "published": self.published,
            "settings": settings,
            "identities": self.identities,
        }
        accounts = {"identities": self.identities, "settings": settings}
        if settings.multi_user:
            routes += [
                (f"{prefix}/login", LoginHandler, accounts),
                (f"{prefix}/logout", LogoutHandler, accounts),
                (f"{prefix}/api/keys", ApiKeysHandler, accounts),
            ]
        routes += [
            (f"{prefix}/docs/?", PublishedIndexHandler, published),
            (
                f"{prefix}/docs/([^/]+)/([^/]+)/ws",
                PublishedWebsocketHandler,
                {**published, "origins": origins},
            ),
            (
                f"{prefix}/docs/([^/]+)/([^/]+)/publish/ws",
                PublishedWebsocketHandler,
                {**published, "origins": origins, "publishing": True},
            ),
            (f"{prefix}/docs/([^/]+)/([^/]+)/autoload.js", PublishedAutoloadHandler, published),
            (f"{prefix}/docs/([^/]+)/([^/]+)/share", ShareHandler, published),
            (f"{prefix}/docs/([^/]+)/([^/]+)/?", PublishedPageHandler, published),
        ]
        routes.append((f"{prefix}/static/(.*)", VersionedStaticHandler, {"path": str(STATIC_ROOT)}))
        routes.append((f"{prefix}/favicon.ico", FaviconHandler))
        return TornadoApplication(
            routes,
            websocket_ping_interval=settings.keep_alive or None,
            websocket_ping_timeout=settings.keep_alive or None,
            websocket_max_message_size=settings.websocket_max_message_size,
            compress_response=True,
            cookie_secret=self.identities.cookie_secret,
            xsrf_cookies=True,  # every state-changing HTTP request carries an XSRF token
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def bind(self) -> list[socket.socket]:
        """Bind the listening sockets (before forking workers)."""
        bundle_paths()  # a missing bundle is a clear error now, not a blank page later
        self._sockets = bind_sockets(self.settings.port, self.settings.address)
        self.port = self._sockets[0].getsockname()[1]
        return self._sockets

    async def start(self) -> None:
        """Listen, load the apps, and start the unused-session check."""
        if not self._sockets:
            self.bind()
        assert self.port is not None
        app = self.make_tornado_app(self.port)
        self._http = HTTPServer(app, xheaders=True)
        self._http.add_sockets(self._sockets)
        for context in self.contexts.values():
            if context.kernel_sessions is None:  # in kernel mode no app code runs here
                await context.application.on_server_loaded(context.server_context)
        self._cleanup = asyncio.get_running_loop().create_task(self._discard_unused())
        self.jupyter.start()
        for url in self.contexts:
            log.info("serving app at %s", self.url_for(url))
        log.info("Jupyter API (kernels, sessions, contents) at %s", self.jupyter_url(redact=True))
        log.info(
            "published documents at %s (kept in %s)",
            self.url_for("/docs"),
            self.published.store_url,
        )

    def url_for(self, app_url: str = "/") -> str:
        host = (
            self.settings.address
            if self.settings.address not in ("0.0.0.0", "::", "")
            else "localhost"
        )
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        path = self.settings.url_prefix + ("" if app_url == "/" else app_url)
        return f"http://{host}:{self.port}{path or '/'}"

    def jupyter_url(self, *, redact: bool = False) -> str:
        """The Jupyter API's URL, with the token a client needs (`redact`: only its start)."""
        token = self.jupyter.token
        shown = f"{token[:6]}..." if redact and not self.jupyter.token_generated else token
        base = self.url_for("/api")
        return f"{base}?token={shown}" if token else base

    async def _discard_unused(self) -> None:
        while True:
            await asyncio.sleep(self.settings.check_unused_sessions)
            for context in self.contexts.values():
                try:
                    await context.discard_unused(self.settings.unused_session_lifetime)
                except Exception:
                    log.exception("app %s: discarding unused sessions failed", context.url)

    async def stop(self) -> None:
        """Stop listening, close every session, run `on_server_unloaded`."""
        if self._cleanup is not None:
            self._cleanup.cancel()
            self._cleanup = None
        if self._http is not None:
            self._http.stop()
            self._http = None
        for context in self.contexts.values():
            await context.shutdown()
            if context.kernel_sessions is None:
                await context.application.on_server_unloaded(context.server_context)
        await self.published.shutdown()
        await self.jupyter.stop()
        self.identities.close()
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (the command line's entry point)."""
        if not self._sockets:
            self.bind()
        if self.settings.num_procs != 1 and not _fork_workers(self.settings.num_procs):
            return  # the parent: every worker has exited
        asyncio.run(self._serve_forever())

    async def _serve_forever(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        await self.start()
        try:
            await stop.wait()
        finally:
            log.info("stopping")
            await self.stop()


def _fork_workers(count: int) -> bool:
    """Fork `count` workers (0: one per CPU) sharing the bound sockets.

    Returns True in a worker. The parent forwards SIGINT/SIGTERM to the workers, waits until
    they have all exited and returns False, so stopping the parent stops the whole server.
    """
    count = count or os.cpu_count() or 1
    workers: list[int] = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            return True
        workers.append(pid)
    log.info("started %d worker processes: %s", count, " ".join(map(str, workers)))

    def forward(signum: int, _frame: object) -> None:
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, forward)
    while workers:
        pid, status = os.wait()
        if pid in workers:
            workers.remove(pid)
            if status != 0:
                log.warning("worker %d exited with status %d", pid, status)
    return False
