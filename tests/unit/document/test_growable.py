"""Amortized appends: streamed columns grow in place without disturbing earlier views."""

from __future__ import annotations

import numpy as np

from livedoc.document.growable import append_rows


def test_appends_reuse_the_backing_and_leave_earlier_views_intact() -> None:
    first = append_rows(np.arange(3.0), np.array([3.0]), None)
    second = append_rows(first, np.array([4.0, 5.0]), None)
    assert first.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert second.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert np.shares_memory(first, second)  # grown in place, not copied


def test_inputs_are_never_modified_or_aliased() -> None:
    old, new = np.arange(3.0), np.array([9.0])
    result = append_rows(old, new, None)
    assert not np.shares_memory(result, old)
    assert not np.shares_memory(result, new)
    result[0] = -1
    assert old[0] == 0


def test_two_holders_of_one_view_never_overwrite_each_other() -> None:
    shared = append_rows(np.arange(2.0), np.array([2.0]), None)
    mine = append_rows(shared, np.array([10.0]), None)
    theirs = append_rows(shared, np.array([20.0]), None)  # `shared` no longer ends at the mark
    assert mine.tolist() == [0.0, 1.0, 2.0, 10.0]
    assert theirs.tolist() == [0.0, 1.0, 2.0, 20.0]
    assert not np.shares_memory(mine, theirs)


def test_rollover_keeps_the_newest_rows_and_copies_rarely() -> None:
    column = np.arange(10.0)
    copies = 0
    for step in range(1000):
        grown = append_rows(column, np.array([10.0 + step]), 10)
        copies += not np.shares_memory(grown, column)
        column = grown
    assert column.tolist() == [float(v) for v in range(1000, 1010)]
    assert copies < 10  # one copy per ~capacity rows, not one per append


def test_rows_of_a_new_dtype_promote_the_column() -> None:
    result = append_rows(np.arange(3, dtype=np.int32), np.array([0.5]), None)
    assert result.dtype == np.float64
    assert result.tolist() == [0.0, 1.0, 2.0, 0.5]


def test_two_dimensional_rows() -> None:
    stack = append_rows(np.zeros((2, 2, 2)), np.ones((1, 2, 2)), 2)
    assert stack.shape == (2, 2, 2)
    assert stack[1].tolist() == [[1.0, 1.0], [1.0, 1.0]]
