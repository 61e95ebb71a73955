"""`FunctionHandler`: a Python function builds every new document."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from livedoc.application.handlers.base import (
    Handler,
    HandlerFailure,
    binding_for,
    exception_failure,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.document import Document

__all__ = ["FunctionHandler"]


class FunctionHandler(Handler):
    """Calls `func(doc)` for every new document, with `curdoc()` bound to it.

    An exception from `func` makes that run fail (recorded and logged, not raised). `func`
    must be synchronous: a coroutine function would build the document after the session was
    already serving it, so it is refused when it is called.
    """

    def __init__(self, func: Callable[[Document], object]) -> None:
        super().__init__()
        if not callable(func):
            raise TypeError(f"FunctionHandler needs a callable, not {type(func).__name__}")
        self._func = func
        self._origin = getattr(func, "__qualname__", None) or repr(func)
        code = getattr(func, "__code__", None)
        self._file: str | None = getattr(code, "co_filename", None)

    def modify_document(self, doc: Document) -> None:
        self._clear_failure()
        try:
            with binding_for(doc):
                result = self._func(doc)
        except Exception as exc:
            failure = exception_failure(
                self._origin, exc, runner_file=_THIS_FILE, app_file=self._file
            )
            self._record_failure(failure)
            return
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()  # never awaited: close it, or Python warns about it
            error = f"{self._origin} returned an awaitable: a document function must not be async"
            self._record_failure(HandlerFailure(self._origin, error, None))

    def __repr__(self) -> str:
        return f"<FunctionHandler {self._origin}>"


_THIS_FILE = FunctionHandler.modify_document.__code__.co_filename
