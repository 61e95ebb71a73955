"""`ScriptHandler`: a Python file run once per document, like `bokeh serve app.py`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from livedoc.application.handlers.base import Handler, HandlerFailure, binding_for, log
from livedoc.application.handlers.runner import CodeRunner, read_app_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from livedoc.document import Document

__all__ = ["ScriptHandler"]


class ScriptHandler(Handler):
    """Runs a Python script for every new document, with `curdoc()` bound to that document.

    The file is read and compiled once, here; a file that cannot be read raises
    `ApplicationError`, but one that does not compile makes the handler permanently `failed`
    (every document then stays empty, and the error is reported with each). Each run gets a
    fresh module (see `livedoc.application.handlers.runner`); an exception in the script
    makes that run fail, and the next run starts afresh.
    """

    def __init__(self, path: str | os.PathLike[str], argv: Sequence[str] = ()) -> None:
        super().__init__()
        self._path = os.fspath(path)
        loaded = self._load(self._path, tuple(argv))
        self._runner = loaded if isinstance(loaded, CodeRunner) else None
        failure = loaded if isinstance(loaded, HandlerFailure) else loaded.failure
        if failure is not None:
            self._record_failure(failure)

    def _load(self, path: str, argv: Sequence[str]) -> CodeRunner | HandlerFailure:
        """Read and compile the app code (subclasses read other formats)."""
        return CodeRunner(read_app_file(path), path, argv)

    @property
    def path(self) -> str:
        return self._path

    def modify_document(self, doc: Document) -> None:
        runner = self._runner
        if runner is None or runner.code is None:
            log.debug("%s is not run: it failed to load", self._path)
            return
        self._clear_failure()
        with binding_for(doc):
            failure = runner.run(runner.new_module())
        if failure is not None:
            self._record_failure(failure)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path!r}>"
