"""The blocking API for plain scripts: sessions on one event loop in a daemon thread.

    session = pull_session("http://127.0.0.1:5006/app")
    session.document.get_model_by_name("slider").value = 3     # reaches every browser tab
    session.close()

Changes from browsers are applied on the loop's thread; hold `session.lock` to read several
related values consistently while they may change.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from livedoc.client.session import ClientSession
from livedoc.client.urls import DEFAULT_URL

if TYPE_CHECKING:
    from collections.abc import Coroutine, Mapping

    from livedoc.document import Document

__all__ = ["BlockingSession", "pull_session", "push_session"]

T = TypeVar("T")


class _LoopThread:
    """One asyncio loop in a daemon thread, started on first use, shared by all sessions."""

    _lock = threading.Lock()
    _loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        with cls._lock:
            if cls._loop is None or cls._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="livedoc-client", daemon=True
                )
                thread.start()
                cls._loop = loop
            return cls._loop

    @classmethod
    def run(cls, coroutine: Coroutine[Any, Any, T], timeout: float | None) -> T:
        loop = cls.loop()
        try:
            if asyncio.get_running_loop() is loop:
                raise RuntimeError(
                    "a blocking livedoc.client call from the client's own loop (inside a "
                    "document callback) would wait forever; use the async ClientSession API"
                )
        except RuntimeError as exc:
            if "blocking" in str(exc):
                coroutine.close()
                raise
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


class BlockingSession:
    """A `ClientSession` driven from ordinary (non-async) code."""

    if TYPE_CHECKING:  # read through to the ClientSession underneath (see __getattr__)
        id: str
        url: str
        connected: bool
        lock: threading.RLock
        reconnects: int

    def __init__(self, session: ClientSession) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    @property
    def document(self) -> Document:
        return self._session.document

    @property
    def session(self) -> ClientSession:
        """The asyncio session underneath (its loop runs in the client thread)."""
        return self._session

    def flush(self, timeout: float | None = 30) -> None:
        """Block until the server has acknowledged every change made so far."""
        _LoopThread.run(self._session.flush(), timeout)

    def pull(self, timeout: float | None = 30) -> Document:
        """Replace `document` with a fresh copy of the server session's document."""
        return _LoopThread.run(self._session.pull(), timeout)

    def push(self, document: Document, timeout: float | None = 30) -> None:
        _LoopThread.run(self._session.push(document), timeout)

    def close(self, timeout: float | None = 30) -> None:
        _LoopThread.run(self._session.close(), timeout)

    def loop_until_closed(self) -> None:
        """Block (serving the document's callbacks) until the session is closed."""
        _LoopThread.run(self._session.wait_closed(), None)

    def __enter__(self) -> BlockingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._session)


def pull_session(
    url: str = DEFAULT_URL,
    *,
    session_id: str | None = None,
    arguments: Mapping[str, str] | None = None,
    token: str | None = None,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> BlockingSession:
    """Open a session of the app at `url` (or join `session_id`) and pull its document."""
    return _open(url, None, session_id, arguments, token, api_key, timeout)


def push_session(
    document: Document,
    url: str = DEFAULT_URL,
    *,
    session_id: str | None = None,
    arguments: Mapping[str, str] | None = None,
    token: str | None = None,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> BlockingSession:
    """Open a session of the app at `url` (or join `session_id`) and make `document` its
    document: every browser tab of the session shows it, and changes flow both ways."""
    return _open(url, document, session_id, arguments, token, api_key, timeout)


def _open(
    url: str,
    document: Document | None,
    session_id: str | None,
    arguments: Mapping[str, str] | None,
    token: str | None,
    api_key: str | None,
    timeout: float,
) -> BlockingSession:
    opening = ClientSession.open(
        url,
        document=document,
        session_id=session_id,
        arguments=arguments,
        token=token,
        api_key=api_key,
        request_timeout=timeout,
    )
    # Connecting, then a push or pull: each step is bounded by `timeout`.
    return BlockingSession(_LoopThread.run(opening, timeout * 3))
