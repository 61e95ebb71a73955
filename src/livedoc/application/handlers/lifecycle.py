"""`ServerLifecycleHandler`: the lifecycle hooks a directory app defines in `app_hooks.py`."""

from __future__ import annotations

import inspect
import os
from typing import TYPE_CHECKING, Any, Final

from livedoc.application.handlers.base import Handler, HandlerFailure
from livedoc.application.handlers.runner import CodeRunner, read_app_file

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from livedoc.application.contexts import ServerContext, SessionContext
    from livedoc.document import Document

__all__ = ["HOOK_NAMES", "ServerLifecycleHandler"]

#: The functions `app_hooks.py` may define; each takes the server or session context.
HOOK_NAMES: Final = (
    "on_server_loaded",
    "on_server_unloaded",
    "on_session_created",
    "on_session_destroyed",
)


class ServerLifecycleHandler(Handler):
    """Runs a hooks file once, here, and calls the hook functions it defines.

    The file may define any of `HOOK_NAMES`; each takes one argument (the server context or
    the session context) and may be a plain or a coroutine function. It adds nothing to
    documents. If the file fails to load, or defines a hook that is not a one-argument
    function, the handler is permanently `failed` and calls none of its hooks. Exceptions
    raised by a hook propagate to the caller (the `Application` logs them).
    """

    def __init__(self, path: str | os.PathLike[str], argv: Sequence[str] = ()) -> None:
        super().__init__()
        self._path = os.fspath(path)
        self._hooks: dict[str, Callable[[Any], object]] = {}
        runner = CodeRunner(read_app_file(self._path), self._path, tuple(argv))
        failure = runner.failure
        if failure is None:
            module = runner.new_module()
            failure = runner.run(module)
            if failure is None:
                failure = self._collect(vars(module))
        if failure is not None:
            self._hooks.clear()
            self._record_failure(failure)

    def _collect(self, namespace: dict[str, Any]) -> HandlerFailure | None:
        for name in HOOK_NAMES:
            hook = namespace.get(name)
            if hook is None:
                continue
            if not callable(hook) or not _takes_one_argument(hook):
                error = (
                    f"{name} in {os.path.basename(self._path)} must be a function taking one "
                    f"argument (the {'server' if 'server' in name else 'session'} context)"
                )
                return HandlerFailure(self._path, error, None)
            self._hooks[name] = hook
        return None

    @property
    def path(self) -> str:
        return self._path

    @property
    def hooks(self) -> tuple[str, ...]:
        """The names of the hooks the file defines."""
        return tuple(self._hooks)

    def modify_document(self, doc: Document) -> None:
        pass

    def _call(self, name: str, context: object) -> Awaitable[None] | None:
        hook = self._hooks.get(name)
        if hook is None:
            return None
        result = hook(context)
        return result if inspect.isawaitable(result) else None

    def on_server_loaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        return self._call("on_server_loaded", server_context)

    def on_server_unloaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        return self._call("on_server_unloaded", server_context)

    async def on_session_created(self, session_context: SessionContext) -> None:
        result = self._call("on_session_created", session_context)
        if result is not None:
            await result

    async def on_session_destroyed(self, session_context: SessionContext) -> None:
        result = self._call("on_session_destroyed", session_context)
        if result is not None:
            await result

    def __repr__(self) -> str:
        return f"<ServerLifecycleHandler {self._path!r}>"


def _takes_one_argument(function: Callable[..., object]) -> bool:
    try:
        inspect.signature(function).bind(None)
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): let the call decide
        return True
    return True
