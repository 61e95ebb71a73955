"""`Application`: the handlers of one app route, run for every new session's document.

How a failure reaches the server: handlers never raise for errors in app code. When
`create_document` runs a handler that fails, it keeps the handler's `HandlerFailure` for
that document, and the server asks for it with `errors_for(doc)` right after::

    doc = app.create_document(session_context)
    for failure in app.errors_for(doc):     # empty when every handler succeeded
        show(failure.error, failure.detail)  # the page, the log...

The failures are kept in a weak mapping, so they go away with the document. The document
is still served: it holds whatever the handlers built before (and after) the failure.
"""

from __future__ import annotations

import inspect
import os
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from livedoc.application.curdoc import bound_document
from livedoc.application.errors import ApplicationError
from livedoc.application.handlers import (
    DirectoryHandler,
    Handler,
    HandlerFailure,
    NotebookHandler,
    ScriptHandler,
)
from livedoc.application.handlers.base import exception_failure, log
from livedoc.document import Document

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from livedoc.application.contexts import ServerContext, SessionContext

__all__ = ["Application", "build_application", "empty_application"]


class Application:
    """A list of handlers that build each session's document and receive the lifecycle hooks.

    Handlers run in the order they were added, for documents and hooks alike. At most one
    handler may provide static files and at most one a page template. `metadata` is any
    JSON-serializable mapping the server publishes for the app.
    """

    def __init__(self, *handlers: Handler, metadata: Mapping[str, Any] | None = None) -> None:
        self._handlers: list[Handler] = []
        self._metadata = metadata
        #: How another process rebuilds this app (`{"path", "argv"}`), when it came from a file
        #: or directory (sessions in kernels need it).
        self.source: Mapping[str, Any] | None = None
        self._failures: WeakKeyDictionary[Document, tuple[HandlerFailure, ...]]
        self._failures = WeakKeyDictionary()
        for handler in handlers:
            self.add(handler)

    def add(self, handler: Handler) -> None:
        """Append a handler; `ApplicationError` if it adds a second static path or template."""
        if not isinstance(handler, Handler):
            raise TypeError(f"an application handler must be a Handler, not {type(handler)}")
        if handler.static_path() is not None and self.static_path is not None:
            raise ApplicationError("only one handler of an application may provide static files")
        if handler.template_path() is not None and self.template_path is not None:
            raise ApplicationError("only one handler of an application may provide a template")
        self._handlers.append(handler)

    @property
    def handlers(self) -> tuple[Handler, ...]:
        return tuple(self._handlers)

    @property
    def metadata(self) -> Mapping[str, Any] | None:
        return self._metadata

    @property
    def static_path(self) -> str | None:
        """The directory of static files some handler provides, if any."""
        return next((p for h in self._handlers if (p := h.static_path()) is not None), None)

    @property
    def template_path(self) -> str | None:
        """The page template some handler provides, if any."""
        return next((p for h in self._handlers if (p := h.template_path()) is not None), None)

    # -- documents ------------------------------------------------------------------------

    def create_document(self, session_context: SessionContext | None = None) -> Document:
        """A new document, built by every handler in turn.

        While the handlers run, `curdoc()` is the new document and `cursession()` is
        `session_context`. A failing handler does not stop the ones after it; see
        `errors_for`. Call it from one thread at a time (the server's event loop).
        """
        doc = Document()
        failures: list[HandlerFailure] = []
        with bound_document(doc, session_context):
            for handler in self._handlers:
                failure = self._run(handler, doc)
                if failure is not None:
                    failures.append(failure)
        if failures:
            self._failures[doc] = tuple(failures)
        return doc

    def errors_for(self, doc: Document) -> tuple[HandlerFailure, ...]:
        """Why handlers failed while `create_document` built `doc` (empty if none did)."""
        return self._failures.get(doc, ())

    @staticmethod
    def _run(handler: Handler, doc: Document) -> HandlerFailure | None:
        try:
            handler.modify_document(doc)
        except Exception as exc:  # a handler broke its contract; the server must not suffer
            log.exception("%r raised from modify_document", handler)
            return exception_failure(repr(handler), exc, runner_file=_THIS_FILE)
        return handler.failure

    # -- lifecycle hooks ------------------------------------------------------------------

    async def on_server_loaded(self, server_context: ServerContext) -> None:
        """Call every handler's `on_server_loaded`, in order."""
        await self._fan_out("on_server_loaded", server_context)

    async def on_server_unloaded(self, server_context: ServerContext) -> None:
        """Call every handler's `on_server_unloaded`, in order."""
        await self._fan_out("on_server_unloaded", server_context)

    async def on_session_created(self, session_context: SessionContext) -> None:
        """Call every handler's `on_session_created`, in order (before `create_document`)."""
        await self._fan_out("on_session_created", session_context)

    async def on_session_destroyed(self, session_context: SessionContext) -> None:
        """Call every handler's `on_session_destroyed`, in order."""
        await self._fan_out("on_session_destroyed", session_context)

    async def _fan_out(self, hook: str, context: ServerContext | SessionContext) -> None:
        """Await each handler's hook in turn; one that raises is logged, the rest still run."""
        for handler in self._handlers:
            try:
                result = getattr(handler, hook)(context)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("%s of %r failed", hook, handler)

    def __repr__(self) -> str:
        return f"<Application {self._handlers!r}>"


_THIS_FILE = Application._run.__code__.co_filename


def build_application(path: str | os.PathLike[str], argv: Sequence[str] = ()) -> Application:
    """The application for an app path: a `.py` script, a `.ipynb` notebook or a directory.

    `argv` becomes the app's `sys.argv[1:]`. A missing path, an unreadable file, a directory
    without `main.py` / `main.ipynb`, or another kind of file raises `ApplicationError`.
    Errors in the app's code do not: they make its handler `failed` (see `Handler.failure`),
    which the command line may report at startup and the server reports with each session.
    """
    name = os.fspath(path)
    handler: Handler
    if os.path.isdir(name):
        handler = DirectoryHandler(name, argv)
    elif not os.path.exists(name):
        raise ApplicationError(f"cannot serve {name}: no such file or directory")
    elif name.lower().endswith(".py"):
        handler = ScriptHandler(name, argv)
    elif name.lower().endswith(".ipynb"):
        handler = NotebookHandler(name, argv)
    else:
        raise ApplicationError(
            f"cannot serve {name}: livedoc serves .py scripts, .ipynb notebooks and "
            "directories with a main.py or main.ipynb"
        )
    application = Application(handler)
    application.source = {"path": os.path.abspath(name), "argv": list(argv)}
    return application


def empty_application() -> Application:
    """An application without handlers: each session starts with an empty document that
    clients fill (`livedoc serve` with no app)."""
    return Application()
