"""The one exception the application layer raises on purpose."""

from __future__ import annotations

from livedoc.errors import LivedocError

__all__ = ["ApplicationError"]


class ApplicationError(LivedocError):
    """An app path cannot be served: it is missing, unreadable, or not a kind livedoc runs.

    Raised when an application is built (by `livedoc serve`, before the server starts), never
    while a session runs: errors in the app's own code are reported by its handler instead
    (`Handler.failed`), so one broken session cannot take the server down.
    """
