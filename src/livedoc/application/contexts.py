"""What application code sees of the server and of its session.

The server implements both ABCs; app code receives them in the lifecycle hooks
(`on_server_loaded(server_context)`, `on_session_created(session_context)`, ...) and through
`cursession()`. Neither gives direct access to a session's document: code outside a session's
own callbacks reaches it only through `SessionContext.with_locked_document`, which holds the
session's lock (see DESIGN.md, "Lifecycle hooks").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from livedoc._types import ID
    from livedoc.document import Document

__all__ = ["ServerContext", "SessionContext", "SessionRequest"]


class ServerContext(ABC):
    """The server as one application sees it: its sessions and app-level callbacks.

    Callbacks registered here belong to the application, not to a session: they live until
    they are removed or the application is unloaded, and the server cancels whatever is left
    when it unloads the app. Implementations must honour this contract:

    - the callback takes no argument and may be a plain function or a coroutine function
      (the coroutine is awaited);
    - it runs on the server's event loop, holding **no** session lock and with no document
      bound to `curdoc()`; to change a session it calls `session.with_locked_document(...)`;
    - an exception it raises is logged and does not stop a periodic callback;
    - the returned id is unique in the process; `remove_callback` with an id that is not (or
      no longer) registered raises `ValueError`; a one-shot callback forgets its id once run.
    """

    @property
    @abstractmethod
    def sessions(self) -> Sequence[SessionContext]:
        """The application's live sessions in this process (not in the whole cluster)."""

    @abstractmethod
    def add_next_tick_callback(self, callback: Callable[[], Any]) -> ID:
        """Run `callback` once, as soon as the event loop is free; return its id."""

    @abstractmethod
    def add_timeout_callback(self, callback: Callable[[], Any], timeout_milliseconds: float) -> ID:
        """Run `callback` once, `timeout_milliseconds` from now; return its id."""

    @abstractmethod
    def add_periodic_callback(self, callback: Callable[[], Any], period_milliseconds: float) -> ID:
        """Run `callback` every `period_milliseconds` (above 0) until removed; return its id."""

    @abstractmethod
    def remove_callback(self, callback_id: ID) -> None:
        """Unregister a callback by the id an `add_*_callback` method returned."""


class SessionContext(ABC):
    """One session as app code sees it: its id, the request that opened it, its document.

    `on_session_created` receives the context before the session's document exists; the
    server decides what `with_locked_document` does then (run on the fresh document, or
    raise) and documents it.
    """

    @property
    @abstractmethod
    def id(self) -> ID:
        """The session id."""

    @property
    @abstractmethod
    def server_context(self) -> ServerContext:
        """The server context of the session's application."""

    @property
    @abstractmethod
    def token_payload(self) -> Mapping[str, Any]:
        """What the session token carried: the session id, expiry and the extra payload."""

    @property
    @abstractmethod
    def destroyed(self) -> bool:
        """True once the session has been discarded (its callbacks no longer run)."""

    @property
    def request(self) -> SessionRequest:
        """The page request that opened the session, as the token recorded it."""
        return SessionRequest.from_token_payload(self.token_payload)

    @abstractmethod
    async def with_locked_document(self, func: Callable[[Document], Any]) -> Any:
        """Run `func(document)` holding the session's lock and return its result.

        `func` may be a plain function or a coroutine function; a coroutine is awaited with
        the lock still held, and the changes it made are sent to the session's connections.
        """


@dataclass(frozen=True, slots=True)
class SessionRequest:
    """The HTTP request that opened a session: query arguments, cookies and headers.

    Sessions are created lazily, possibly in another process than the one that served the
    page, so the request travels inside the session token and is rebuilt from it here.
    """

    arguments: dict[str, list[bytes]] = field(default_factory=dict)
    """Query arguments, each a list of raw values (`?x=1&x=2` gives `{"x": [b"1", b"2"]}`)."""
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_token_payload(cls, payload: Mapping[str, Any]) -> SessionRequest:
        """Read `{"arguments": ..., "cookies": ..., "headers": ...}` from a token payload.

        `payload` is the token's extra payload (or the whole payload with the extra merged
        in; other keys are ignored). Tokens come from the network, so entries of the wrong
        shape are dropped rather than trusted: argument values may be bytes or str (a single
        value or a list), cookie values must be strings, and a header given as a list of
        strings is joined with ", ". When the cookies were sent separately and the headers
        lack a `Cookie` header, one is rebuilt from them, as the browser sent it.
        """
        arguments: dict[str, list[bytes]] = {}
        for name, raw in _mapping(payload.get("arguments")).items():
            values = raw if isinstance(raw, list | tuple) else [raw]
            arguments[name] = [value for value in map(_as_bytes, values) if value is not None]
        cookies = {
            name: value
            for name, value in _mapping(payload.get("cookies")).items()
            if isinstance(value, str)
        }
        headers: dict[str, str] = {}
        for name, value in _mapping(payload.get("headers")).items():
            if isinstance(value, str):
                headers[name] = value
            elif isinstance(value, list) and all(isinstance(item, str) for item in value):
                headers[name] = ", ".join(value)
        if cookies and not any(name.lower() == "cookie" for name in headers):
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        return cls(arguments=arguments, cookies=cookies, headers=headers)


def _mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    return {key: item for key, item in value.items() if isinstance(key, str)}


def _as_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return None
