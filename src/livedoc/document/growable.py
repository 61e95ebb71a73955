"""Appending rows to NumPy columns in amortized O(rows appended), like a list grows.

Streaming 1,000 rows into a 1,000,000-row column with `np.concatenate` copies all 1,001,000 rows
every time. Instead, a streamed column is a view of a larger *backing* array that livedoc
allocated with spare room; an append writes the new rows into the room and returns a longer view.
Earlier views still show exactly the rows they showed (nothing is written inside them), so data
already handed out — to events, callbacks, the peer's encoder — never changes under its holder.

Each backing remembers its *high-water mark*: how far it has been filled. A view may grow in
place only if it ends exactly there. If two sources share a column and one appends, the other's
view ends below the mark and its next append copies into a backing of its own, so they never
overwrite each other's rows. With `rollover`, the view's start moves forward; when the room runs
out the live rows are copied to a fresh backing of twice their size, so each row is copied O(1)
times on average.
"""

from __future__ import annotations

import weakref
from typing import Any, Final

import numpy as np

__all__ = ["append_rows"]

AnyArray = np.ndarray[Any, Any]

#: id(backing) -> (weak reference to the backing, rows filled so far)
_BACKINGS: Final[dict[int, tuple[weakref.ref[AnyArray], int]]] = {}
_MIN_CAPACITY: Final = 1024


def _backing_of(view: AnyArray) -> tuple[AnyArray, int] | None:
    """The backing `view` is a slice of and the row it starts at, if livedoc owns that backing."""
    entry = _BACKINGS.get(id(view.base))
    base = entry[0]() if entry is not None else None
    if base is None or base is not view.base:
        return None
    if view.dtype != base.dtype or view.shape[1:] != base.shape[1:] or view.strides != base.strides:
        return None
    offset_bytes = view.ctypes.data - base.ctypes.data
    row_bytes = base.strides[0]
    if row_bytes <= 0 or offset_bytes % row_bytes:
        return None
    return base, offset_bytes // row_bytes


def _new_backing(
    row_shape: tuple[int, ...], dtype: np.dtype[Any], capacity: int, filled: int
) -> AnyArray:
    backing: AnyArray = np.empty((capacity, *row_shape), dtype=dtype)
    key = id(backing)

    def forget(_: object) -> None:
        _BACKINGS.pop(key, None)

    _BACKINGS[key] = (weakref.ref(backing, forget), filled)
    return backing


_FAMILIES: Final = ("biuf", "US", "M", "m")


def _common_dtype(old: np.dtype[Any], new: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype both kinds of rows fit in, without turning numbers into text.

    NumPy would promote float64 and str to str; a numeric column never takes strings here.
    """
    if old.kind == "O" or new.kind == "O":
        return np.dtype(object)
    for family in _FAMILIES:
        if old.kind in family and new.kind in family:
            return np.result_type(old, new)
    raise TypeError(f"rows of {new} cannot join a column of {old}")


def append_rows(old: AnyArray, new: AnyArray, rollover: int | None) -> AnyArray:
    """`old` followed by `new` (same row shape), keeping the last `rollover` rows if given.

    Returns a view of a livedoc-owned backing; neither `old` nor `new` is modified. Raises
    TypeError or ValueError when the rows cannot share one dtype.
    """
    dtype = _common_dtype(old.dtype, new.dtype)
    total = len(old) + len(new)
    keep = total if rollover is None else min(total, rollover)
    found = _backing_of(old) if dtype == old.dtype and old.flags.c_contiguous else None
    if found is not None:
        backing, start = found
        end = start + len(old)
        reference, filled = _BACKINGS[id(backing)]
        if end == filled and end + len(new) <= len(backing):
            backing[end : end + len(new)] = new
            _BACKINGS[id(backing)] = (reference, end + len(new))
            return backing[end + len(new) - keep : end + len(new)]
    # Copy only the rows that survive the rollover, into a backing with room to grow.
    from_old = max(0, keep - len(new))
    backing = _new_backing(old.shape[1:], dtype, max(2 * keep, _MIN_CAPACITY), keep)
    if from_old:
        backing[:from_old] = old[len(old) - from_old :]
    backing[from_old:keep] = new[len(new) - (keep - from_old) :]
    return backing[:keep]
