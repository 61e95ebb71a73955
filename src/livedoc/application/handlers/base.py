"""The `Handler` ABC: one way of building a document, plus the app's lifecycle hooks.

An `Application` runs its handlers in order on every new document. A handler never lets an
exception from app code escape into the server: it records it instead (`failure`, and the
`failed` / `error` / `error_detail` views of it) and logs it on the `livedoc.application`
logger, and the application hands the record to the server with the document.
"""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from livedoc.application.curdoc import bound_document, curdoc

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from livedoc.application.contexts import ServerContext, SessionContext
    from livedoc.document import Document

__all__ = ["Handler", "HandlerFailure", "binding_for", "exception_failure", "log"]

log = logging.getLogger("livedoc.application")


@dataclass(frozen=True, slots=True)
class HandlerFailure:
    """Why a handler could not build its part of a document.

    `origin` names the app code (a file path or a function name), `error` is one line for a
    page or a status ("ZeroDivisionError: division by zero (app.py, line 3)"), and `detail`
    is the traceback, trimmed to the app's own frames, for logs and the error page.
    """

    origin: str
    error: str
    detail: str | None = None


class Handler(ABC):
    """Builds (part of) every new document of an application, and receives its lifecycle hooks.

    `modify_document` runs once per session, after `on_session_created`. The hooks default
    to doing nothing; `on_server_loaded` / `on_server_unloaded` may return an awaitable,
    which the application awaits.
    """

    def __init__(self) -> None:
        self._failure: HandlerFailure | None = None

    @abstractmethod
    def modify_document(self, doc: Document) -> None:
        """Add this handler's content to `doc`; record (do not raise) app code failures."""

    def on_server_loaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        """The server has loaded the application."""
        return None

    def on_server_unloaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        """The server is unloading the application (its sessions are already gone)."""
        return None

    async def on_session_created(self, session_context: SessionContext) -> None:
        """A session was opened; its document is built right after this returns."""
        return None

    async def on_session_destroyed(self, session_context: SessionContext) -> None:
        """A session was discarded; its callbacks no longer run."""
        return None

    def static_path(self) -> str | None:
        """A directory of files the server serves under the app's `static/` route."""
        return None

    def template_path(self) -> str | None:
        """An HTML template for the app's page, instead of the default page."""
        return None

    @property
    def failure(self) -> HandlerFailure | None:
        """Why the last `modify_document` (or loading the app code) failed; None if it did not.

        A failure to load the code (a syntax error) is permanent; a failure of one run is
        replaced by the outcome of the next run.
        """
        return self._failure

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def error(self) -> str | None:
        """One line saying what went wrong."""
        failure = self.failure
        return None if failure is None else failure.error

    @property
    def error_detail(self) -> str | None:
        """The traceback of what went wrong."""
        failure = self.failure
        return None if failure is None else failure.detail

    def _record_failure(self, failure: HandlerFailure) -> None:
        self._failure = failure
        if failure.detail:
            log.error("%s failed: %s\n%s", failure.origin, failure.error, failure.detail.rstrip())
        else:
            log.error("%s failed: %s", failure.origin, failure.error)

    def _clear_failure(self) -> None:
        self._failure = None


def binding_for(doc: Document) -> contextlib.AbstractContextManager[object]:
    """Bind `doc` to `curdoc()` for a handler's run, unless the caller already bound it.

    An application binds the document together with its session; a handler run inside that
    binding keeps it, and `cursession()` keeps working in the app code.
    """
    if curdoc() is doc:
        return contextlib.nullcontext()
    return bound_document(doc)


def exception_failure(
    origin: str,
    exc: BaseException,
    *,
    runner_file: str,
    app_file: str | None = None,
    locate: Callable[[int], str] | None = None,
) -> HandlerFailure:
    """A failure record for `exc`, raised by app code that livedoc called from `runner_file`.

    Leading traceback frames in `runner_file` (livedoc's own) are dropped from the detail. The
    one-line error ends with the innermost position in `app_file`, described by
    `locate(lineno)` (by default "<file name>, line <n>").
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == runner_file:
        tb = tb.tb_next
    detail = "".join(traceback.format_exception(type(exc), exc, tb))
    lines = str(exc).splitlines()
    error = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    lineno = _innermost_line(tb, app_file) if app_file is not None else None
    if app_file is not None and lineno is not None:
        where = locate(lineno) if locate is not None else f"line {lineno}"
        error += f" ({os.path.basename(app_file)}, {where})"
    return HandlerFailure(origin, error, detail)


def _innermost_line(tb: TracebackType | None, filename: str | None) -> int | None:
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno
