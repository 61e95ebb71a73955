"""Session callbacks: periodic, timeout and next-tick callbacks registered on a document.

The document only keeps the registry; it has no clock. Whoever runs the document (the server's
session) listens for `SessionCallbackAdded` / `SessionCallbackRemoved` and schedules the
callbacks on its event loop, holding the session's lock while they run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from livedoc.document.ids import make_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc._types import ID

__all__ = ["CallbackKind", "SessionCallback", "unlocked"]

CallbackKind = Literal["periodic", "timeout", "next_tick"]


@dataclass(eq=False)
class SessionCallback:
    """One registered callback.

    `period_ms` is the interval of a periodic callback and the delay of a timeout callback
    (0 for next tick). The callback may be a plain function or a coroutine function.
    """

    callback: Callable[[], Any]
    kind: CallbackKind
    period_ms: float = 0.0
    id: ID = field(default_factory=make_id)

    def __post_init__(self) -> None:
        if not callable(self.callback):
            raise TypeError(
                f"a session callback must be callable, not {type(self.callback).__name__}"
            )
        if self.kind == "periodic" and not self.period_ms > 0:
            raise ValueError(f"a periodic callback needs a period above 0 ms, not {self.period_ms}")
        if self.period_ms < 0:
            raise ValueError(f"a callback delay cannot be negative ({self.period_ms} ms)")

    @property
    def needs_lock(self) -> bool:
        """False when the callback was marked with `@unlocked`."""
        return not getattr(self.callback, "__livedoc_unlocked__", False)


def unlocked(function: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a callback that must run without the session's document lock.

    Such a callback may not touch the document directly; it schedules changes with
    `add_next_tick_callback` instead. Use it for slow work (I/O, computation) that should not
    hold up other changes to the session.
    """
    function.__livedoc_unlocked__ = True  # type: ignore[attr-defined]
    return function
