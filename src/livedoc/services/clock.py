"""Timestamps as Jupyter clients read them: ISO 8601 in UTC with microseconds and a `Z`.

jupyter_server's GatewayClient parses kernel models' `last_activity` with
`%Y-%m-%dT%H:%M:%S.%fZ`, so the fraction is always written, even when it is zero.
"""

from __future__ import annotations

import datetime as dt
import time

__all__ = ["iso_utc", "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_utc(moment: dt.datetime | float | None = None) -> str:
    """`moment` (an aware datetime, or seconds since the epoch; default: now) as
    `2026-11-22T05:33:06.279072Z`."""
    if moment is None:
        moment = time.time()
    if isinstance(moment, float | int):
        moment = dt.datetime.fromtimestamp(moment, dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
