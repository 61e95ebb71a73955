"""Fuzzing the column operations of `ColumnDataSource` with valid and invalid arguments.

A stateful test runs random sequences of stream / patch / update / add / remove / replace on a
source with NumPy and list columns. Every operation either succeeds, leaving the data equal to
what a plain-list oracle computes (equal column lengths, rollover respected), or raises
`ColumnDataError` (`ValidationError` too for `source.data = ...`) with the data unchanged.
Each success is announced by exactly one event, and that event, sent as a patch, brings a
replica of the document to the same state.

Indices must be refused when out of range (negative, `index == length`), bools or floats;
rollovers when 0, negative, bools or not integers. Values of the column's own kind must always
be accepted; values of other kinds ("wild" ones, one time in five) may be refused, and so may
anything on a column that earlier received wild values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from livedoc.document import Document, DocumentChangedEvent, DocumentPatchedEvent
from livedoc.errors import ColumnDataError, LivedocError, ValidationError
from livedoc.models import ColumnDataSource
from livedoc.protocol import wirejson

from ._common import MARKS, PHASES, SUPPRESSED

pytestmark = MARKS

Plain = list[Any]

# -- values -----------------------------------------------------------------------------------

#: Numbers exact in float32, so patching a float32 column stores exactly what the oracle does.
numbers = st.integers(min_value=-400, max_value=400).map(lambda n: n / 4)
ints = st.integers(min_value=-(2**31), max_value=2**31 - 1)
anything = (
    st.none()
    | st.booleans()
    | ints
    | st.integers(min_value=2**40, max_value=2**70)
    | numbers
    | st.floats(allow_nan=False)
    | st.text(max_size=3)
)
KINDS = {"x": "float", "i": "int", "name": "str", "img": "img", "cube": "cube"}


def value_of(kind: str, *, wild: bool) -> st.SearchStrategy[Any]:
    """One row's value for a column of `kind`; with `wild`, sometimes any value at all."""
    good: st.SearchStrategy[Any]
    if kind == "float":
        good = numbers
    elif kind == "int":
        good = ints
    elif kind == "str":
        good = st.text(max_size=3)
    elif kind == "img":
        good = st.lists(st.lists(numbers, min_size=3, max_size=3), min_size=2, max_size=2)
    else:
        good = st.lists(st.lists(numbers, min_size=2, max_size=2), min_size=2, max_size=2)
    if not wild:
        return good
    bad = (
        anything
        | st.lists(numbers, max_size=3)
        | st.lists(st.lists(numbers, max_size=3), max_size=2)
    )
    return st.sampled_from([good, good, good, good, bad, good]).flatmap(lambda s: s)


@st.composite
def column(draw: st.DrawFn, kind: str, length: int, wild: bool) -> Any:
    """`length` rows of `kind` as a list or a NumPy array (with the column's own dtype or not)."""
    items = draw(st.lists(value_of(kind, wild=wild), min_size=length, max_size=length))
    form = draw(st.sampled_from(["list", "array", "array", "typed"]))
    if form == "list":
        return items
    try:
        if (
            form == "typed"
            and kind in ("int", "float")
            and all(type(item) in (int, float) for item in items)
        ):
            dtype = {"int": np.int32, "float": np.float64, "cube": np.float32}[kind]
            with np.errstate(all="ignore"):
                return np.array(items, dtype=dtype)
        array = np.array(items)
    except (TypeError, ValueError, OverflowError):
        return items
    return items if array.dtype.kind == "O" and array.ndim != 1 else array


def plain(value: Any, *, wire: bool = False) -> Any:
    """A column (or a cell) as nested Python lists, for comparing values (NaN equals NaN).

    With `wire`, as a peer gets it: integers beyond 2**53 travel as floats.
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [plain(item, wire=wire) for item in value]
    if isinstance(value, float) and value != value:
        return "NaN"
    if wire and type(value) is int and abs(value) > 2**53 - 1:
        return float(value)
    return value


def initial_data(length: int) -> dict[str, Any]:
    return {
        "x": np.arange(length, dtype=np.float64),
        "i": np.arange(length, dtype=np.int32),
        "name": [f"r{row}" for row in range(length)],
        "img": [np.full((2, 3), float(row)) for row in range(length)],
        "cube": np.zeros((length, 2, 2), dtype=np.float32),
    }


rollovers = (
    st.none()
    | st.integers(min_value=-3, max_value=12)
    | st.sampled_from([True, False, 2.0, "3", 2**70, -(2**70)])
    | st.integers(min_value=1, max_value=8).map(np.int64)
)


def is_int(value: Any) -> bool:
    """An integer index or count: bools and floats are not."""
    return type(value) is int or isinstance(value, np.integer)


def valid_rollover(rollover: Any) -> bool:
    return rollover is None or (is_int(rollover) and rollover >= 1)


# -- indices ----------------------------------------------------------------------------------


def index_ok(index: Any, length: int) -> bool:
    return is_int(index) and 0 <= index < length


def slice_ok(index: slice, length: int) -> bool:
    bounds_ok = all(
        bound is None or (is_int(bound) and 0 <= bound <= length)
        for bound in (index.start, index.stop)
    )
    return bounds_ok and (index.step is None or (is_int(index.step) and index.step >= 1))


near = st.integers(min_value=-2, max_value=8)
slice_bounds = st.none() | near | st.sampled_from([2**70, True, 1.5, "1", np.int64(1)])
slices = st.builds(
    slice, slice_bounds, slice_bounds, st.none() | st.integers(min_value=-2, max_value=3)
)


@st.composite
def patch_change(draw: st.DrawFn, kind: str, length: int, wild: bool) -> tuple[Any, Any]:
    """An (index, value) pair for a column of `kind`: often valid, sometimes not."""
    form = draw(
        st.sampled_from(
            ["int", "int", "slice", "2d"] if kind in ("img", "cube") else ["int", "int", "slice"]
        )
    )
    if form == "int":
        index = draw(
            st.integers(min_value=0, max_value=max(length - 1, 0))
            | near
            | st.sampled_from([length, True, 1.0, np.int64(0), 2**70])
        )
        return index, draw(value_of(kind, wild=wild))
    if form == "slice":
        index = draw(slices)
        count = len(range(*index.indices(length))) if slice_ok(index, length) else 2
        size = draw(st.sampled_from([count, count, count, count + 1, max(count - 1, 0)]))
        return index, draw(st.lists(value_of(kind, wild=wild), min_size=size, max_size=size))
    rows, cols = (2, 3) if kind == "img" else (2, 2)
    part_y = draw(st.integers(min_value=0, max_value=rows) | slices)
    part_x = draw(st.integers(min_value=0, max_value=cols) | slices)
    row = draw(st.integers(min_value=0, max_value=max(length - 1, 0)) | near)
    value = draw(
        numbers
        | st.lists(numbers, max_size=3)
        | st.lists(st.lists(numbers, max_size=3), max_size=2)
        | anything
    )
    return (row, part_y, part_x), value


#: An expected outcome meaning "either outcome": the values' fit depends on NumPy's casting.
ANY: Any = object()


def _copy(col: Any) -> Any:
    if isinstance(col, np.ndarray):
        # String columns widen to fit what is patched in: model them as any-width strings.
        return col.astype(object) if col.dtype.kind in "US" else col.copy()
    return [cell.copy() if isinstance(cell, np.ndarray) else cell for cell in col]


def _part_ok(part: Any, size: int) -> bool:
    return slice_ok(part, size) if isinstance(part, slice) else index_ok(part, size)


def expected_patch(data: dict[str, Any], patches: dict[str, list[tuple[Any, Any]]]) -> Any:
    """The data after `patches` (plain lists); None when an index must be refused, or ANY."""
    result = {name: _copy(col) for name, col in data.items()}
    exact = True
    for name, changes in patches.items():
        if name not in result:
            return None
        col = result[name]
        for index, value in changes:
            try:
                with np.errstate(all="ignore"):
                    if isinstance(index, tuple):
                        row, y, x = index
                        if not index_ok(row, len(col)):
                            return None
                        try:
                            cell = np.array(col[row])
                        except ValueError:  # ragged: not a 2-D cell
                            return None
                        if cell.ndim != 2 or not (
                            _part_ok(y, cell.shape[0]) and _part_ok(x, cell.shape[1])
                        ):
                            return None
                        cell[y, x] = value
                        col[row] = cell
                    elif isinstance(index, slice):
                        if not slice_ok(index, len(col)):
                            return None
                        if len(value) != len(range(*index.indices(len(col)))):
                            return None
                        col[index] = value if isinstance(col, np.ndarray) else list(value)
                    else:
                        if not index_ok(index, len(col)):
                            return None
                        col[int(index)] = value
            except (TypeError, ValueError, OverflowError):
                exact = False  # the value does not fit: the operation may fail
    return {name: plain(col) for name, col in result.items()} if exact else ANY


# -- the state machine ------------------------------------------------------------------------


def snapshot(doc: Document) -> tuple[bytes, dict[str, bytes]]:
    doc_json, buffers = doc.to_json()
    return wirejson.dumps_bytes(doc_json), {
        key: bytes(memoryview(value).cast("B")) for key, value in buffers.items()
    }


class ColumnOperations(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.source = ColumnDataSource(data=initial_data(4))
        self.doc = Document()
        self.doc.add_root(self.source)
        self.events: list[DocumentChangedEvent] = []
        self.doc.on_change(self.events.append)
        text, buffers = snapshot(self.doc)
        self.replica = Document.from_json(wirejson.loads(text), buffers)
        #: Columns that were given values of another kind: operations on them may fail.
        self.dirty: set[str] = set()

    @staticmethod
    def wild(data: st.DataObject) -> bool:
        """Whether the next values may be of any kind (one time in five)."""
        return data.draw(st.integers(min_value=0, max_value=4), label="wild") == 0

    @property
    def length(self) -> int:
        return self.source.length

    def plain_data(self) -> dict[str, Plain]:
        return {name: plain(col) for name, col in self.source.data.items()}

    def attempt(
        self,
        operation: Any,
        expected: Any,
        *,
        may_fail: bool,
        errors: tuple[type[LivedocError], ...] = (ColumnDataError,),
    ) -> bool:
        """Run `operation`: it succeeds with `expected` data, or fails leaving everything as is.

        `expected` None means it must fail (with one of `errors`) and ANY that any consistent
        outcome will do; `may_fail` allows a failure otherwise (for values whose fit depends on
        NumPy's casting). Any other exception fails the test.
        """
        before, events_before = snapshot(self.doc), len(self.events)
        error: LivedocError | None = None
        try:
            operation()
        except errors as exc:
            error = exc
        if error is not None:
            assert expected is None or expected is ANY or may_fail, f"refused: {error}"
            assert snapshot(self.doc) == before, "a failed operation changed the data"
            assert len(self.events) == events_before, "a failed operation sent an event"
            return False
        assert expected is not None, "accepted an operation that must be refused"
        if expected is not ANY:
            assert self.plain_data() == expected, f"got {self.plain_data()}, expected {expected}"
        new_events = self.events[events_before:]
        assert len(new_events) == 1, new_events
        # The event, as a PATCH-DOC, brings a replica to the same state.
        [event] = new_events
        assert isinstance(event, DocumentPatchedEvent)
        content, buffers = self.doc.create_json_patch([event])
        self.replica.apply_json_patch(
            wirejson.loads(wirejson.dumps_bytes(content)),
            {key: bytes(memoryview(value).cast("B")) for key, value in buffers.items()},
        )
        [copy] = self.replica.roots
        # Values, not dtypes: streamed int64 rows that do not fit int32 travel as float64.
        replica_data = {name: plain(col, wire=True) for name, col in copy.get("data").items()}
        source_data = {name: plain(col, wire=True) for name, col in self.source.data.items()}
        assert replica_data == source_data, (replica_data, source_data)
        return True

    @rule(data=st.data(), rollover=rollovers)
    def stream(self, data: st.DataObject, rollover: Any) -> None:
        names = list(self.source.data)
        count = data.draw(st.integers(min_value=0, max_value=5))
        wild = {name for name in names if self.wild(data)}
        rows = {
            name: data.draw(column(KINDS.get(name, "str"), count, name in wild)) for name in names
        }
        shape_ok = True
        mutation = data.draw(st.sampled_from(["none", "none", "none", "drop", "extra", "short"]))
        if mutation == "drop" and names:
            del rows[data.draw(st.sampled_from(names))]
            shape_ok = False
        elif mutation == "extra":
            rows["unknown"] = [0] * count
            shape_ok = not names
        elif mutation == "short" and names:
            rows[data.draw(st.sampled_from(names))] = [0] * (count + 1)
            shape_ok = len(names) == 1  # one column longer than the others
        expected: dict[str, Plain] | None = None
        if shape_ok and valid_rollover(rollover):
            current = self.plain_data()
            expected = {}
            for name, new in rows.items():
                merged = current.get(name, []) + plain(list(new))
                expected[name] = merged[-int(rollover) :] if rollover is not None else merged
        may_fail = bool(wild | (self.dirty & set(names)))  # clean rows always append
        done = self.attempt(lambda: self.source.stream(rows, rollover), expected, may_fail=may_fail)
        if done:
            self.dirty |= wild
        if done and rollover is not None:
            assert self.length <= rollover

    @precondition(lambda self: self.source.data)
    @rule(data=st.data())
    def patch(self, data: st.DataObject) -> None:
        names = sorted(self.source.data)
        chosen = data.draw(
            st.lists(st.sampled_from([*names, "nope"]), min_size=1, max_size=2, unique=True)
        )
        wild = {name for name in chosen if self.wild(data)}
        patches = {
            name: data.draw(
                st.lists(
                    patch_change(KINDS.get(name, "str"), self.length, name in wild),
                    min_size=1,
                    max_size=2,
                )
            )
            for name in chosen
        }
        two_d = any(isinstance(i, tuple) for changes in patches.values() for i, _ in changes)
        # Clean values at int and slice indices always fit; 2-D values may need reshaping.
        may_fail = bool(two_d or wild or self.dirty & set(chosen))
        expected = expected_patch(self.source.data, patches)
        if self.attempt(lambda: self.source.patch(patches), expected, may_fail=may_fail):
            self.dirty |= wild

    @rule(data=st.data())
    def update_columns(self, data: st.DataObject) -> None:
        names = data.draw(
            st.lists(st.sampled_from([*KINDS, "new"]), min_size=1, max_size=3, unique=True)
        )
        count = data.draw(st.sampled_from([self.length, self.length, self.length + 1, 0]))
        wild = {name for name in names if self.wild(data)}
        columns = {
            name: data.draw(column(KINDS.get(name, "str"), count, name in wild)) for name in names
        }
        kept = {name: col for name, col in self.plain_data().items() if name not in columns}
        aligned = all(len(col) == count for col in kept.values())
        expected = {**kept, **{name: plain(list(col)) for name, col in columns.items()}}
        if self.attempt(
            lambda: self.source.update_columns(columns),
            expected if aligned else None,
            may_fail=False,
        ):
            self.dirty = (self.dirty - set(names)) | wild

    @rule(data=st.data())
    def add_columns(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from([*KINDS, "extra", "more"]))
        count = data.draw(st.sampled_from([self.length, self.length, self.length + 1]))
        wild = self.wild(data)
        new = data.draw(column(KINDS.get(name, "str"), count, wild))
        current = self.plain_data()
        ok = name not in current and all(len(col) == count for col in current.values())
        expected = {**current, name: plain(list(new))} if ok else None
        if self.attempt(lambda: self.source.add_columns({name: new}), expected, may_fail=False):
            self.dirty = self.dirty | {name} if wild else self.dirty - {name}

    @rule(names=st.lists(st.sampled_from([*KINDS, "extra", "nope"]), max_size=3))
    def remove_columns(self, names: list[str]) -> None:
        current = self.plain_data()
        ok = all(name in current for name in names)
        expected = {k: v for k, v in current.items() if k not in names} if ok else None
        if self.attempt(lambda: self.source.remove_columns(names), expected, may_fail=False):
            self.dirty -= set(names)

    @rule(data=st.data())
    def replace_all(self, data: st.DataObject) -> None:
        lengths = data.draw(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=3))
        wild = {name for name in KINDS if self.wild(data)}
        new = {
            name: data.draw(column(kind, length, name in wild))
            for (name, kind), length in zip(KINDS.items(), lengths, strict=False)
        }
        expected = {name: plain(list(col)) for name, col in new.items()}
        aligned = len(set(lengths[: len(new)])) == 1

        def assign() -> None:
            self.source.data = new

        if self.attempt(
            assign,
            expected if aligned else None,
            may_fail=False,
            errors=(ColumnDataError, ValidationError),
        ):
            self.dirty = wild & set(new)

    @invariant()
    def columns_have_equal_lengths(self) -> None:
        lengths = {len(col) for col in self.source.data.values()}
        assert len(lengths) <= 1, self.source.data


ColumnOperations.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=12,
    deadline=None,
    phases=PHASES,
    suppress_health_check=SUPPRESSED,
)
test_column_operations = ColumnOperations.TestCase


# -- what fuzzing found, pinned ---------------------------------------------------------------

FOUND: list[tuple[str, dict[str, Any], Any, Any]] = [
    # (what, initial data, operation, expected data or None for "refused")
    (
        "numbers among strings stay numbers when string rows are appended",
        {"n": ["a", -77.0]},
        lambda source: source.stream({"n": np.array(["b", "c"])}),
        {"n": ["a", -77.0, "b", "c"]},
    ),
    (
        "string rows appended to string rows",
        {"n": np.array(["a", "b"])},
        lambda source: source.stream({"n": np.array(["c", "d"])}),
        {"n": ["a", "b", "c", "d"]},
    ),
    (
        "a float slice bound",
        {"x": [0.0, 1.0]},
        lambda source: source.patch({"x": [(slice(1.5, None), [1.0])]}),
        None,
    ),
    (
        "a bool slice bound",
        {"x": np.zeros(2)},
        lambda source: source.patch({"x": [(slice(True, None), [1.0])]}),
        None,
    ),
    (
        "list rows of different shapes appended to array rows",
        {"a": [[1], [1, 2]]},
        lambda source: source.stream({"a": np.array([1.0])}),
        None,
    ),
    (
        "an array row patched with a value of another shape",
        {"c": np.zeros((2, 2, 2))},
        lambda source: source.patch({"c": [(0, [])]}),
        None,
    ),
    (
        "rows of a 1-D array patched with 2-D values",
        {"c": np.zeros(2)},
        lambda source: source.patch({"c": [(slice(0, 2), [[1.0, 2.0], [3.0, 4.0]])]}),
        None,
    ),
    (
        "a float32 cell patched with a value it cannot hold",
        {"c": np.zeros(2, dtype=np.float32)},
        lambda source: source.patch({"c": [(0, 1e300)]}),
        None,
    ),
    (
        "a 2-D index on a ragged list cell",
        {"img": [[[0.0], [1.0, 2.0]]]},
        lambda source: source.patch({"img": [((0, 0, 0), 1.0)]}),
        None,
    ),
]


@pytest.mark.parametrize(
    ("data", "operation", "expected"), [case[1:] for case in FOUND], ids=[case[0] for case in FOUND]
)
def test_what_fuzzing_found(data: dict[str, Any], operation: Any, expected: Any) -> None:
    source = ColumnDataSource(data=data)
    before = {name: plain(col) for name, col in source.data.items()}
    if expected is None:
        with pytest.raises(ColumnDataError):
            operation(source)
        assert {name: plain(col) for name, col in source.data.items()} == before
    else:
        operation(source)
        assert {name: plain(col) for name, col in source.data.items()} == expected
