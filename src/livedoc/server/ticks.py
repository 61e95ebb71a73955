"""Fixed-rate repetition for periodic callbacks (session and server-wide ones alike)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ["at_fixed_rate"]


async def at_fixed_rate(
    period_seconds: float,
    run: Callable[[], Awaitable[None]],
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Await `run()` every `period_seconds` (first after one period) while `keep_going()`.

    A fixed rate, not a fixed gap: sleeping a full period after each run would stretch every
    cycle by the run's own time (a 10 ms stream became one every ~16 ms). When runs fall behind
    by whole periods, those ticks are skipped rather than run in a burst.
    """
    loop = asyncio.get_running_loop()
    due = loop.time() + period_seconds
    while keep_going():
        await asyncio.sleep(max(0.0, due - loop.time()))
        if not keep_going():
            return
        await run()
        due += period_seconds
        behind = loop.time() - due
        if behind >= period_seconds:
            due += (behind // period_seconds) * period_seconds
