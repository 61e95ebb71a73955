"""The Jupyter side of a livedoc server: kernels, their warm pool, sessions, contents, the token.

Built from the server's settings; nothing starts until `start()`, and `stop()` leaves no kernel
running.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import TYPE_CHECKING

from livedoc.kernels.manager import KernelManager
from livedoc.kernels.pool import KernelPool
from livedoc.kernels.ratelimit import IopubRateLimit
from livedoc.kernels.specs import KernelSpecs
from livedoc.server.jupyter.sessions import JupyterSessions
from livedoc.services.contents import ContentsManager
from livedoc.services.sessions import SessionRecords

if TYPE_CHECKING:
    from tornado.websocket import WebSocketHandler

    from livedoc.kernels.channels import KernelChannels
    from livedoc.server.settings import ServerSettings

__all__ = ["JupyterServices"]

log = logging.getLogger("livedoc.jupyter")

#: Seconds a departed client's kernel channels are kept, holding messages, for it to return.
PARK_TIME = 600.0

#: What a pooled kernel runs before it is handed to a session: the session's side of the
#: bridge, imported and warmed (see `in_kernel.prepare`), ~0.3 s that a page would wait.
WARMUP = "import livedoc.server.in_kernel as _livedoc_session\n_livedoc_session.prepare()"


class JupyterServices:
    def __init__(self, settings: ServerSettings) -> None:
        self.prefix = settings.url_prefix
        #: The API token; "" turns authentication off. Without one a random token is made.
        self.token = settings.token if settings.token is not None else secrets.token_hex(24)
        self.token_generated = settings.token is None
        self.started = time.time()
        self.api_last_activity = self.started
        self.contents = ContentsManager(settings.root_dir)
        self.specs = KernelSpecs(default_name=settings.default_kernel_name, url_prefix=self.prefix)
        self.kernels = KernelManager(
            self.specs,
            root_dir=self.contents.root,
            shutdown_wait_time=settings.shutdown_wait_time,
            restart_limit=settings.restart_limit,
            time_to_dead=settings.time_to_dead,
            kernel_info_timeout=settings.kernel_info_timeout,
            cull_idle_timeout=settings.cull_idle_timeout,
            cull_interval=settings.cull_interval,
            cull_connected=settings.cull_connected,
            cull_busy=settings.cull_busy,
        )
        self.pool = KernelPool(
            self.kernels,
            settings.kernel_pool,
            warmup=WARMUP if settings.isolation == "kernel" else None,
        )
        self.sessions = JupyterSessions(
            SessionRecords(settings.session_db), self.kernels, self.contents
        )
        self._rates = (
            settings.iopub_msg_rate_limit,
            settings.iopub_data_rate_limit,
            settings.rate_limit_window,
        )
        self._connections: dict[str, WebSocketHandler] = {}
        self._parked: dict[str, tuple[KernelChannels, asyncio.TimerHandle]] = {}
        if self.token == "":
            log.warning(
                "the Jupyter API has no token: anyone who reaches this port can run code in"
                " its kernels"
            )

    def rate_limit(self) -> IopubRateLimit | None:
        """A fresh limit for one client's iopub (None when both limits are off)."""
        messages, data, window = self._rates
        if messages <= 0 and data <= 0:
            return None
        return IopubRateLimit(messages, data, window)

    def start(self) -> None:
        self.pool.start()

    async def stop(self) -> None:
        for handler in list(self._connections.values()):
            handler.close(1001, "the server is stopping")
        for key in list(self._parked):
            self._discard(key)
        await self.pool.close()
        await self.kernels.shutdown_all()
        self.sessions.records.close()

    # -- kernel websockets ------------------------------------------------------------------

    def replace_connection(self, key: str, handler: WebSocketHandler) -> None:
        """Register a kernel websocket under `<kernel id>:<session id>`; a stale one with the
        same key (a client reconnecting before its old socket timed out) is closed."""
        old = self._connections.get(key)
        if old is not None and old is not handler:
            log.info("replacing the stale kernel connection %s", key)
            release = getattr(old, "release", None)
            if release is not None:
                release()
            old.close(1000, "replaced by a new connection of the same session")
        self._connections[key] = handler

    def connection(self, key: str) -> WebSocketHandler | None:
        """The kernel websocket registered under `key`, if any."""
        return self._connections.get(key)

    # -- clients that come back -----------------------------------------------------------

    def park(self, key: str, channels: KernelChannels) -> None:
        """Keep a departed client's channels (holding what the kernel sends) for `PARK_TIME`,
        for it to come back to with the same session id."""
        self._discard(key)
        channels.park()
        expiry = asyncio.get_running_loop().call_later(PARK_TIME, self._discard, key)
        self._parked[key] = (channels, expiry)

    def unpark(self, key: str) -> KernelChannels | None:
        """The channels a client left under `key`, if they are still there (and their kernel)."""
        found = self._parked.pop(key, None)
        if found is None:
            return None
        channels, expiry = found
        expiry.cancel()
        if channels.closed or channels.kernel.id not in self.kernels:
            channels.close()
            return None
        return channels

    def _discard(self, key: str) -> None:
        found = self._parked.pop(key, None)
        if found is not None:
            channels, expiry = found
            expiry.cancel()
            channels.close()

    def forget_connection(self, handler: WebSocketHandler) -> None:
        for key, known in list(self._connections.items()):
            if known is handler:
                del self._connections[key]
