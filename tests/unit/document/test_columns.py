"""The seven column operations of ColumnDataSource: results, events, and refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from livedoc.document import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    Document,
    DocumentPatchedEvent,
)
from livedoc.errors import ColumnDataError, ValidationError
from livedoc.models import ColumnDataSource


@pytest.fixture
def source() -> ColumnDataSource:
    return ColumnDataSource(data={"x": np.arange(4.0), "name": ["a", "b", "c", "d"]})


def attached(source: ColumnDataSource) -> list[DocumentPatchedEvent]:
    doc = Document()
    doc.add_root(source)
    events: list[DocumentPatchedEvent] = []
    doc.on_change(
        lambda event: events.append(event) if isinstance(event, DocumentPatchedEvent) else None
    )
    return events


def test_construction_validates_equal_lengths() -> None:
    with pytest.raises(ColumnDataError, match=r"same length.*'x': 2.*'y': 3"):
        ColumnDataSource(data={"x": [1, 2], "y": [1, 2, 3]})
    with pytest.raises(ValidationError, match="column 'x' must be a list or an array"):
        ColumnDataSource(data={"x": 5})
    assert ColumnDataSource().length == 0


def test_replace_all(source: ColumnDataSource) -> None:
    events = attached(source)
    source.data = {"y": [1, 2]}
    assert source.data == {"y": [1, 2]}
    [event] = events
    assert isinstance(event, ColumnDataChangedEvent)
    assert event.cols is None
    with pytest.raises(ColumnDataError, match="same length"):
        source.data = {"a": [1], "b": [1, 2]}
    assert source.data == {"y": [1, 2]}


def test_update_some_columns_sends_only_those(source: ColumnDataSource) -> None:
    events = attached(source)
    source.update_columns(x=np.zeros(4))
    assert source.data["x"].tolist() == [0.0] * 4
    assert source.data["name"] == ["a", "b", "c", "d"]
    [event] = events
    assert isinstance(event, ColumnDataChangedEvent)
    assert event.cols == ["x"]
    assert list(event.data) == ["x"]
    with pytest.raises(ColumnDataError, match="same length"):
        source.update_columns(x=[1.0])


def test_add_columns(source: ColumnDataSource) -> None:
    events = attached(source)
    source.add_columns({"flag": [True] * 4})
    assert source.column_names == ["x", "name", "flag"]
    assert isinstance(events[0], ColumnDataChangedEvent)
    assert events[0].cols == ["flag"]
    with pytest.raises(ColumnDataError, match=r"already exist"):
        source.add_columns(x=[1, 2, 3, 4])
    with pytest.raises(ColumnDataError, match="same length"):
        source.add_columns(short=[1])


def test_remove_columns(source: ColumnDataSource) -> None:
    events = attached(source)
    source.remove_columns("name")
    assert source.column_names == ["x"]
    [event] = events
    assert isinstance(event, ColumnDataChangedEvent)
    assert event.cols is None
    assert list(event.data) == ["x"]
    with pytest.raises(ColumnDataError, match="unknown columns"):
        source.remove_columns(["nope"])


def test_stream_appends_and_sends_only_new_rows(source: ColumnDataSource) -> None:
    events = attached(source)
    source.stream({"x": np.array([4.0, 5.0]), "name": ["e", "f"]})
    assert source.data["x"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert source.data["name"] == ["a", "b", "c", "d", "e", "f"]
    [event] = events
    assert isinstance(event, ColumnsStreamedEvent)
    assert event.rollover is None
    assert event.num_rows == 2


def test_stream_with_rollover_keeps_the_newest_rows(source: ColumnDataSource) -> None:
    events = attached(source)
    source.stream({"x": [4.0, 5.0, 6.0], "name": ("e", "f", "g")}, rollover=5)
    assert source.data["x"].tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]
    assert source.data["name"] == ["c", "d", "e", "f", "g"]
    assert isinstance(events[0], ColumnsStreamedEvent)
    assert events[0].rollover == 5


@pytest.mark.parametrize(
    ("rows", "rollover", "message"),
    [
        ({"x": [1.0]}, None, r"missing \['name'\]"),
        ({"x": [1.0], "name": ["z"], "extra": [1]}, None, r"unknown \['extra'\]"),
        ({"x": [1.0, 2.0], "name": ["z"]}, None, "same length"),
        ({"x": [1.0], "name": ["z"]}, 0, "at least 1"),
        ({"x": [1.0], "name": ["z"]}, -5, "at least 1"),
        ({"x": [1.0], "name": ["z"]}, True, "positive integer"),
        ({"x": [1.0], "name": ["z"]}, 2.5, "positive integer"),
        ({"x": 1.0, "name": ["z"]}, None, "must be a list or an array"),
    ],
)
def test_invalid_streams_change_nothing(
    source: ColumnDataSource, rows: dict[str, Any], rollover: Any, message: str
) -> None:
    events = attached(source)
    with pytest.raises(ColumnDataError, match=message):
        source.stream(rows, rollover)
    assert source.length == 4
    assert events == []


def test_stream_into_empty_source_defines_the_columns() -> None:
    source = ColumnDataSource()
    source.stream({"t": [1, 2]})
    assert source.data == {"t": [1, 2]}


def test_stream_of_2d_rows_checks_their_shape() -> None:
    source = ColumnDataSource(data={"img": np.zeros((2, 3, 3))})
    source.stream({"img": np.ones((1, 3, 3))})
    assert source.data["img"].shape == (3, 3, 3)
    with pytest.raises(ColumnDataError, match="rows of shape"):
        source.stream({"img": np.ones((1, 2, 2))})


def test_patch_by_index_slice_and_2d_index() -> None:
    source = ColumnDataSource(data={"y": np.arange(5.0), "label": list("abcde")})
    events = attached(source)
    source.patch(
        {"y": [(0, 10.0), (slice(1, 3), [20.0, 30.0])], "label": [(slice(3, None), ["D", "E"])]}
    )
    assert source.data["y"].tolist() == [10.0, 20.0, 30.0, 3.0, 4.0]
    assert source.data["label"] == ["a", "b", "c", "D", "E"]
    assert isinstance(events[0], ColumnsPatchedEvent)

    images = ColumnDataSource(data={"img": [np.zeros((2, 3)), np.zeros((2, 3))]})
    images.patch({"img": [((1, 0, slice(None)), [1, 2, 3]), ((0, slice(0, 2), 2), [7, 8])]})
    assert images.data["img"][1].tolist() == [[1, 2, 3], [0, 0, 0]]
    assert images.data["img"][0][:, 2].tolist() == [7, 8]


@pytest.mark.parametrize(
    ("patches", "message"),
    [
        ({"nope": [(0, 1)]}, "unknown column 'nope'"),
        ({"y": [(5, 1.0)]}, r"index 5 is outside 0..4"),
        ({"y": [(-1, 1.0)]}, r"index -1 is outside"),
        ({"y": [(0, 1.0), (9, 1.0)]}, "index 9"),
        ({"y": [("0", 1.0)]}, "not an integer or a slice"),
        ({"y": [(slice(0, 9), [1.0] * 9)]}, "slice bound 9"),
        ({"y": [(slice(0, 2), [1.0])]}, "selects 2 rows"),
        ({"y": [(slice(0, 2, -1), [])]}, "step must be at least 1"),
        ({"y": [(0, "text")]}, "does not fit a column of float64"),
        ({"y": [(0, [1.0, 2.0])]}, "one index takes one value"),
        ({"y": [(0, 1.0, 2.0)]}, r"\(index, value\) pair"),
        ({"y": (0, 1.0)}, r"\(index, value\) pair"),
        ({"y": 5}, "must be a list"),
        ({"y": [((0, 0, 0), 1.0)]}, "not a 2-D array"),
    ],
)
def test_invalid_patches_change_nothing(patches: dict[str, Any], message: str) -> None:
    source = ColumnDataSource(data={"y": np.arange(5.0)})
    events = attached(source)
    with pytest.raises(ColumnDataError, match=message):
        source.patch(patches)
    assert source.data["y"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert events == []


def test_invalid_2d_patches() -> None:
    source = ColumnDataSource(data={"img": [np.zeros((2, 3))]})
    with pytest.raises(ColumnDataError, match="slice bound 5"):
        source.patch({"img": [((0, slice(0, 5), 0), [1, 2])]})
    with pytest.raises(ColumnDataError, match="index 3 is outside"):
        source.patch({"img": [((0, 0, 3), 1)]})
    with pytest.raises(ColumnDataError, match="the index selects"):
        source.patch({"img": [((0, 0, slice(None)), [1, 2])]})
    with pytest.raises(ColumnDataError, match=r"\[row, y, x\]"):
        source.patch({"img": [((0, 0), 1)]})
    assert not source.data["img"][0].any()


def test_patching_a_read_only_wire_array_copies_it_first() -> None:
    wire = np.frombuffer(np.arange(3.0).tobytes(), dtype=np.float64)
    assert not wire.flags.writeable
    source = ColumnDataSource(data={"y": wire})
    source.patch({"y": [(1, 9.0)]})
    assert source.data["y"].tolist() == [0.0, 9.0, 2.0]
    assert wire.tolist() == [0.0, 1.0, 2.0]


def test_data_callbacks_see_old_and_new(source: ColumnDataSource) -> None:
    seen: list[tuple[int, int]] = []
    source.on_change("data", lambda attr, old, new: seen.append((len(old["x"]), len(new["x"]))))
    source.stream({"x": [9.0], "name": ["z"]})
    source.remove_columns("name")
    assert seen == [(4, 5), (5, 5)]


def test_column_shapes_and_types_are_checked() -> None:
    from livedoc.document.columns import column_length

    with pytest.raises(ColumnDataError, match="0-dimensional"):
        column_length(np.array(1.0))
    with pytest.raises(ColumnDataError, match="list or an array, not int"):
        column_length(5)
    source = ColumnDataSource(data={"x": np.arange(3.0)})
    with pytest.raises(ColumnDataError, match="cannot be appended"):
        source.stream({"x": np.array(["text"])})
    assert source.data["x"].tolist() == [0.0, 1.0, 2.0]


def test_streams_into_and_of_empty_arrays() -> None:
    source = ColumnDataSource(data={"x": np.array([])})
    source.stream({"x": np.array([1, 2], dtype=np.int32)})
    assert source.data["x"].tolist() == [1, 2]
    assert source.data["x"].dtype == np.int32
    source.stream({"x": np.array([])})
    assert source.data["x"].tolist() == [1, 2]
    assert source.data["x"].dtype == np.int32


def test_a_patch_never_changes_another_source_sharing_the_column() -> None:
    first = ColumnDataSource(data={"x": np.arange(3.0)})
    first.stream({"x": [3.0]})  # now livedoc-owned memory
    first.patch({"x": [(0, -1.0)]})
    second = ColumnDataSource(data=dict(first.data))  # shares first's own array
    first.data = dict(first.data)  # storing it again keeps it shared, not owned
    first.patch({"x": [(1, -2.0)]})
    second.patch({"x": [(2, -3.0)]})
    assert first.data["x"].tolist() == [-1.0, -2.0, 2.0, 3.0]
    assert second.data["x"].tolist() == [-1.0, 1.0, -3.0, 3.0]


def test_longer_strings_widen_a_numpy_string_column() -> None:
    source = ColumnDataSource(data={"s": np.array(["a", "b"])})
    source.patch({"s": [(0, "longer"), (slice(1, 2), ["much longer"])]})
    assert source.data["s"].tolist() == ["longer", "much longer"]
    with pytest.raises(ColumnDataError, match="does not fit a column of strings"):
        source.patch({"s": [(0, 5)]})
