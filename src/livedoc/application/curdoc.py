"""`curdoc()`: the document that the code running now is building or changing.

The binding lives in a `ContextVar`, so it follows the code that runs: a script run for one
session, that session's callbacks (the server binds the document around each one), and the
asyncio tasks they start, each see their own document even when sessions interleave. Outside
any session `curdoc()` returns one process-wide default document, created on first use, so a
script run with plain `python` still works.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

from livedoc.document import Document

if TYPE_CHECKING:
    from collections.abc import Iterator

    from livedoc.application.contexts import SessionContext

__all__ = ["bound_document", "curdoc", "cursession"]

_document: ContextVar[Document | None] = ContextVar("livedoc_curdoc", default=None)
_session: ContextVar[SessionContext | None] = ContextVar("livedoc_cursession", default=None)
_default: Document | None = None


def curdoc() -> Document:
    """The document bound to the running code, or the process-wide default document."""
    document = _document.get()
    if document is not None:
        return document
    global _default
    if _default is None:
        _default = Document()
    return _default


def cursession() -> SessionContext | None:
    """The session whose document is bound (None outside a session, or when not given).

    App code reads the page's query arguments with `cursession().request.arguments`.
    """
    return _session.get()


@contextlib.contextmanager
def bound_document(
    document: Document, session_context: SessionContext | None = None
) -> Iterator[Document]:
    """`curdoc()` is `document` (and `cursession()` is `session_context`) inside the block.

    Bindings nest; leaving the block restores the previous ones. An async callback must be
    awaited inside the block for its body to see the binding.
    """
    document_token = _document.set(document)
    session_token = _session.set(session_context)
    try:
        yield document
    finally:
        _session.reset(session_token)
        _document.reset(document_token)
