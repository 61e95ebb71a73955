"""Column memory livedoc owns: amortized appends, and patches that never touch others' arrays.

**Appends.** Streaming 1,000 rows into a 1,000,000-row column with `np.concatenate` copies all
1,001,000 rows every time. Instead, a streamed column is a view of a larger *backing* array that
livedoc allocated with spare room; an append writes the new rows into the room and returns a
longer view. Earlier views still show exactly the rows they showed (nothing is written inside
them), so rows already handed out never change because of an append.

Each backing remembers its *high-water mark*: how far it has been filled. A view may grow in
place only if it ends exactly there. If two sources share a column and one appends, the other's
view ends below the mark and its next append copies into a backing of its own, so they never
overwrite each other's rows. With `rollover`, the view's start moves forward; when the room runs
out the live rows are copied to a fresh backing of twice their size, so each row is copied O(1)
times on average.

**Patches.** Each backing also records its *owner*: the (model id, attribute) whose column it
was made for. A patch writes in place only into memory its own column owns; any other array
(the caller's, a received buffer, another source's) is copied once first, and the copy is owned.
When an owned array is stored into a different source it becomes shared and owned by nobody, so
neither source ever changes the other's data behind the peers' backs.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

__all__ = ["Owner", "append_rows", "disown_foreign", "owned_copy", "owns"]

AnyArray = np.ndarray[Any, Any]
Owner = Hashable
_MIN_CAPACITY: Final = 1024


@dataclass(slots=True)
class _Backing:
    ref: weakref.ref[AnyArray]
    filled: int
    owner: Owner | None
    #: The view the last append returned and its first row: the next append of a live stream
    #: starts from exactly that view, and finding its row this way skips the pointer arithmetic.
    last_view: weakref.ref[AnyArray] | None = None
    last_start: int = 0


#: id(backing array) -> what livedoc knows about it
_BACKINGS: Final[dict[int, _Backing]] = {}


def _register(backing: AnyArray, filled: int, owner: Owner | None) -> AnyArray:
    key = id(backing)

    def forget(_: object) -> None:
        _BACKINGS.pop(key, None)

    _BACKINGS[key] = _Backing(weakref.ref(backing, forget), filled, owner)
    return backing


def _entry(view: AnyArray) -> tuple[_Backing, AnyArray] | None:
    base = view if view.base is None else view.base
    entry = _BACKINGS.get(id(base))
    if entry is None or entry.ref() is not base or not isinstance(base, np.ndarray):
        return None
    return entry, base


def _start_row(view: AnyArray, base: AnyArray) -> int | None:
    """The row of `base` where `view` starts, if `view` is a run of whole rows of `base`."""
    if view.dtype != base.dtype or view.shape[1:] != base.shape[1:] or view.strides != base.strides:
        return None
    offset_bytes = view.ctypes.data - base.ctypes.data
    row_bytes = base.strides[0]
    if row_bytes <= 0 or offset_bytes % row_bytes:
        return None
    return offset_bytes // row_bytes


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


def append_rows(
    old: AnyArray, new: AnyArray, rollover: int | None, owner: Owner | None = None
) -> AnyArray:
    """`old` followed by `new` (same row shape), keeping the last `rollover` rows if given.

    Returns a view of a livedoc-owned backing; neither `old` nor `new` is modified. Raises
    TypeError or ValueError when the rows cannot share one dtype.
    """
    dtype = _common_dtype(old.dtype, new.dtype)
    total = len(old) + len(new)
    keep = total if rollover is None else min(total, rollover)
    found = _entry(old) if dtype == old.dtype and old.flags.c_contiguous else None
    if found is not None:
        entry, backing = found
        if entry.last_view is not None and entry.last_view() is old:
            start: int | None = entry.last_start
        else:
            start = _start_row(old, backing)
        if start is not None:
            end = start + len(old)
            if end == entry.filled and end + len(new) <= len(backing):
                backing[end : end + len(new)] = new
                entry.filled = end + len(new)
                view = backing[end + len(new) - keep : end + len(new)]
                entry.last_view, entry.last_start = weakref.ref(view), end + len(new) - keep
                return view
    # Copy only the rows that survive the rollover, into a backing with room to grow.
    from_old = max(0, keep - len(new))
    backing = np.empty((max(2 * keep, _MIN_CAPACITY), *old.shape[1:]), dtype=dtype)
    _register(backing, keep, owner)
    if from_old:
        backing[:from_old] = old[len(old) - from_old :]
    backing[from_old:keep] = new[len(new) - (keep - from_old) :]
    view = backing[:keep]
    _BACKINGS[id(backing)].last_view = weakref.ref(view)
    return view


def owns(column: AnyArray, owner: Owner | None) -> bool:
    """Whether a patch for `owner` may write into `column` in place."""
    if owner is None or not column.flags.writeable:
        return False
    found = _entry(column)
    return found is not None and found[0].owner == owner


def owned_copy(
    column: AnyArray, owner: Owner | None, dtype: np.dtype[Any] | None = None
) -> AnyArray:
    """A private copy of `column` (optionally widened to `dtype`) that `owner` may patch in place."""
    copy: AnyArray = np.array(column, dtype=dtype or column.dtype, copy=True, order="C")
    return _register(copy, len(copy), owner)


def disown_foreign(data: Mapping[str, Any], owner: Owner | None) -> None:
    """`data` is being stored for `owner`: arrays owned by another column become shared."""
    for column in data.values():
        if isinstance(column, np.ndarray):
            found = _entry(column)
            if found is not None and found[0].owner not in (None, owner):
                found[0].owner = None
