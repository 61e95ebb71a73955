"""A real livedoc server for tests: port 0 on 127.0.0.1, on its own thread's event loop, so the
test's thread can run blocking clients (Playwright's sync API, bokeh.client, raw sockets).
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from livedoc.server.server import AppSpec, Server
from livedoc.server.settings import ServerSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator

__all__ = ["LiveServer", "live_server"]

T = TypeVar("T")


class LiveServer:
    """A livedoc Server on 127.0.0.1, port 0, on a private event loop thread."""

    def __init__(self, apps: dict[str, AppSpec], **settings: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        settings.setdefault("storage", "memory://")  # published documents: nothing on disk
        policy = settings.pop("access_policy", None)
        self.server = Server(apps, ServerSettings(port=0, **settings), access_policy=policy)
        self.call(self.server.start())

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def url(self, app: str = "/") -> str:
        return self.server.url_for(app)

    def sessions(self, app: str = "/") -> list[Any]:
        return list(self.server.contexts[app].sessions.values())

    def with_document(self, app: str, change: Callable[[Any], T]) -> T:
        """Run `change(document)` under the session lock of the app's only session."""

        async def locked() -> T:
            [session] = self.sessions(app)
            return await session.with_locked_document(change)  # type: ignore[no-any-return]

        return self.call(locked())

    def stop(self) -> None:
        if self.loop.is_closed():
            return  # stopped already (a test that restarts a server)
        try:
            self.call(self.server.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(apps: dict[str, AppSpec], **settings: Any) -> LiveServer:
        server = LiveServer(apps, **settings)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
