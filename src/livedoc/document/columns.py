"""The column operations of a column data source, as pure, validated functions.

A source's data maps column names to columns: lists or NumPy arrays, all of one length (a 2-D
"image" column is a list of 2-D arrays, or a 3-D array). Each operation first checks everything
(column names, lengths, indices, shapes) and raises `ColumnDataError` saying what does not fit;
only then does it build its result, so a failed operation changes nothing.

The seven operations and the patch event each becomes:

==========================  ==============================================
create columns              ColumnDataChanged, ``cols`` = the new columns
replace all columns         ColumnDataChanged, ``cols`` = null
replace some columns        ColumnDataChanged, ``cols`` = those columns
append rows                 ColumnsStreamed, ``rollover`` = null
append rows with rollover   ColumnsStreamed, ``rollover`` = N
patch cells                 ColumnsPatched (index, slice or 2-D index)
delete columns              ColumnDataChanged, ``cols`` = null (BokehJS keeps
                            columns a partial update leaves out)
==========================  ==============================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from livedoc.document.growable import Owner, append_rows, owned_copy, owns
from livedoc.errors import ColumnDataError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "Column",
    "PatchIndex",
    "check_new_columns",
    "check_rollover",
    "column_length",
    "data_length",
    "delete_columns",
    "normalize_patches",
    "patch_columns",
    "replace_columns",
    "stream_columns",
]

Column: TypeAlias = "list[Any] | np.ndarray[Any, Any]"
PatchIndex: TypeAlias = "int | slice | tuple[int, int | slice, int | slice]"


def column_length(column: Any) -> int:
    if isinstance(column, np.ndarray):
        if column.ndim == 0:
            raise ColumnDataError("a column cannot be a 0-dimensional array")
        return int(column.shape[0])
    if isinstance(column, list | tuple):
        return len(column)
    raise ColumnDataError(f"a column must be a list or an array, not {type(column).__name__}")


def data_length(data: Mapping[str, Any], what: str = "columns") -> int | None:
    """The common length of the columns (None when there are none); unequal lengths raise."""
    lengths = {name: column_length(column) for name, column in data.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name!r}: {length}" for name, length in lengths.items())
        raise ColumnDataError(f"{what} must all have the same length, got {detail}")
    return next(iter(lengths.values()), None)


def _as_column(name: str, column: Any) -> Column:
    if isinstance(column, tuple):
        return list(column)
    if isinstance(column, list | np.ndarray):
        column_length(column)
        return column
    raise ColumnDataError(
        f"column {name!r} must be a list or an array, not {type(column).__name__}"
    )


def check_new_columns(
    data: Mapping[str, Any], new: Mapping[str, Any], *, replacing: bool
) -> dict[str, Column]:
    """Validate columns that will be added to or replace columns of `data`.

    The columns kept from `data` and the new ones must all end up the same length.
    """
    columns = {str(name): _as_column(str(name), column) for name, column in new.items()}
    if not replacing:
        existing = sorted(set(columns) & set(data))
        if existing:
            raise ColumnDataError(f"columns {existing} already exist; replace them instead")
    result = {name: column for name, column in data.items() if name not in columns}
    result.update(columns)
    data_length(result, "the columns after the change")
    return columns


def replace_columns(data: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Column]:
    """The data after replacing (or adding) the columns in `new`."""
    columns = check_new_columns(data, new, replacing=True)
    result = dict(data)
    result.update(columns)
    return result


def delete_columns(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, Column]:
    names = list(names)
    unknown = sorted(set(names) - set(data))
    if unknown:
        raise ColumnDataError(
            f"cannot delete unknown columns {unknown}; the columns are {sorted(data)}"
        )
    return {name: column for name, column in data.items() if name not in names}


def check_rollover(rollover: Any) -> int | None:
    if rollover is None:
        return None
    if type(rollover) is not int and not isinstance(rollover, np.integer):
        raise ColumnDataError(f"rollover must be a positive integer or None, not {rollover!r}")
    if rollover < 1:
        raise ColumnDataError(f"rollover must be at least 1, not {rollover}")
    return int(rollover)


def _rows_array(rows: Column) -> np.ndarray[Any, Any]:
    if isinstance(rows, np.ndarray):
        return rows
    array = np.asarray(rows)
    if array.dtype.kind in "US" and array.tolist() != rows:
        # NumPy turned the numbers among strings into text: keep every row as it is instead.
        array = np.empty(len(rows), dtype=object)
        for index, row in enumerate(rows):  # slice assignment would broadcast nested lists
            array[index] = row
    return array


def _append(
    name: str, old: Column, new: Column, rollover: int | None, owner: Owner | None
) -> Column:
    if not isinstance(old, np.ndarray) and not isinstance(new, np.ndarray):
        merged = [*old, *new]
        return merged[-rollover:] if rollover is not None and len(merged) > rollover else merged
    try:
        old_array, new_array = _rows_array(old), _rows_array(new)
    except (TypeError, ValueError):  # a list of rows of different shapes is no array
        raise ColumnDataError(
            f"column {name!r}: list rows of different shapes cannot be appended to array rows"
        ) from None
    if old_array.size == 0 and old_array.ndim == 1:
        old_array = old_array.reshape((0, *new_array.shape[1:])).astype(new_array.dtype)
    elif new_array.size == 0 and new_array.ndim == 1:
        new_array = new_array.reshape((0, *old_array.shape[1:])).astype(old_array.dtype)
    if old_array.shape[1:] != new_array.shape[1:]:
        raise ColumnDataError(
            f"column {name!r} holds rows of shape {old_array.shape[1:]}; "
            f"the new rows have shape {new_array.shape[1:]}"
        )
    try:
        return append_rows(old_array, new_array, rollover, owner)
    except (TypeError, ValueError):
        raise ColumnDataError(
            f"rows of {new_array.dtype} cannot be appended to column {name!r} of {old_array.dtype}"
        ) from None


def stream_columns(
    data: Mapping[str, Any],
    new: Mapping[str, Any],
    rollover: Any = None,
    owner: Owner | None = None,
) -> dict[str, Column]:
    """The data after appending the rows in `new`, keeping at most `rollover` rows.

    `owner` names the column the result is for (see `growable`): arrays made here belong to it.
    """
    limit = check_rollover(rollover)
    columns = {str(name): _as_column(str(name), column) for name, column in new.items()}
    if data:
        missing, unknown = sorted(set(data) - set(columns)), sorted(set(columns) - set(data))
        if missing or unknown:
            raise ColumnDataError(
                "a stream must give every column and only those: "
                + "; ".join(
                    part
                    for part in (
                        f"missing {missing}" if missing else "",
                        f"unknown {unknown}" if unknown else "",
                    )
                    if part
                )
            )
    data_length(columns, "streamed columns")
    result: dict[str, Column] = {}
    for name, column in columns.items():
        if name in data:
            result[name] = _append(name, data[name], column, limit, owner)
        else:
            result[name] = column[-limit:] if limit is not None else column
    return result


# -- patches --------------------------------------------------------------------------------


def _check_slice(index: slice, length: int, where: str) -> range:
    for bound in (index.start, index.stop, index.step):
        if bound is not None and type(bound) is not int and not isinstance(bound, np.integer):
            raise ColumnDataError(f"{where}: slice bound {bound!r} is not an integer")
    for bound in (index.start, index.stop):
        if bound is not None and not 0 <= bound <= length:
            raise ColumnDataError(f"{where}: slice bound {bound} is outside 0..{length}")
    if index.step is not None and index.step < 1:
        raise ColumnDataError(f"{where}: slice step must be at least 1, not {index.step}")
    return range(*index.indices(length))


def _check_int(index: Any, length: int, where: str) -> int:
    if type(index) is not int and not isinstance(index, np.integer):
        raise ColumnDataError(f"{where}: index {index!r} is not an integer or a slice")
    if not 0 <= index < length:
        raise ColumnDataError(f"{where}: index {index} is outside 0..{length - 1}")
    return int(index)


def _check_2d(
    column: Column, index: Sequence[Any], value: Any, where: str
) -> tuple[PatchIndex, Any]:
    if len(index) != 3:
        raise ColumnDataError(f"{where}: a 2-D index is [row, y, x], got {list(index)!r}")
    row = _check_int(index[0], column_length(column), where)
    try:
        cell = np.asarray(column[row])
    except (TypeError, ValueError):  # a ragged nested list
        cell = np.empty(0)
    if cell.ndim != 2:
        raise ColumnDataError(
            f"{where}: row {row} is not a 2-D array, so a 2-D index does not apply"
        )
    selected = []
    for axis, part in enumerate(index[1:]):
        if isinstance(part, slice):
            selected.append(len(_check_slice(part, cell.shape[axis], where)))
        else:
            _check_int(part, cell.shape[axis], where)
    expected = tuple(selected)
    converted = _convert(value, cell.dtype, where)
    if converted.size != int(np.prod(expected)):
        raise ColumnDataError(
            f"{where}: the value has shape {converted.shape}, the index selects {expected}"
        )
    return (row, index[1], index[2]), converted.reshape(expected)


def _convert(value: Any, dtype: np.dtype[Any], where: str) -> np.ndarray[Any, Any]:
    """`value` as an array of the column's dtype, so applying the patch cannot fail later.

    Strings keep their own width: the column is widened when they are applied, never cut.
    """
    if dtype.kind in "US":
        strings = np.asarray(value)
        if strings.dtype.kind not in "US":
            raise ColumnDataError(
                f"{where}: the value {value!r:.60} does not fit a column of strings"
            )
        return strings
    try:
        # A number that overflows the dtype (1e300 for float32) does not fit, like 2**40 for int32.
        with np.errstate(invalid="ignore", over="raise"):
            return np.asarray(value, dtype=None if dtype.kind == "O" else dtype)
    except (TypeError, ValueError, OverflowError, FloatingPointError):
        raise ColumnDataError(
            f"{where}: the value {value!r:.60} does not fit a column of {dtype}"
        ) from None


def _check_rows_value(
    column: np.ndarray[Any, Any], index: int | slice, value: Any, where: str
) -> Any:
    """`value` ready to be written to the rows `column[index]`, so that writing cannot fail."""
    rows = column[index : index + 1] if isinstance(index, int) else column[index]
    if column.dtype.kind == "O":
        scratch = rows.copy()  # object cells take anything that fits the rows' shape: try it
        try:
            if isinstance(index, int):
                scratch[0] = value
            else:
                scratch[:] = value
        except (TypeError, ValueError):
            raise ColumnDataError(
                f"{where}: the value {value!r:.60} does not fit rows of shape {rows.shape}"
            ) from None
        return value
    converted = _convert(value, column.dtype, where)
    if isinstance(index, int) and column.ndim == 1 and converted.ndim != 0:
        raise ColumnDataError(f"{where}: one index takes one value, got {converted.shape}")
    selected = rows.shape[1:] if isinstance(index, int) else rows.shape
    try:
        np.broadcast_to(converted, selected)
    except ValueError:
        raise ColumnDataError(
            f"{where}: the value has shape {converted.shape}, the index selects {selected}"
        ) from None
    return converted


def normalize_patches(
    data: Mapping[str, Any], patches: Mapping[str, Any]
) -> dict[str, list[tuple[PatchIndex, Any]]]:
    """Validate patches `{column: [(index, value), ...]}` against `data`; return them as tuples.

    An index is an int (one value), a slice (a sequence of as many values as the slice selects)
    or, for a 2-D column, `(row, y, x)` where y and x are ints or slices.
    """
    result: dict[str, list[tuple[PatchIndex, Any]]] = {}
    for name, changes in patches.items():
        if name not in data:
            raise ColumnDataError(
                f"cannot patch unknown column {name!r}; the columns are {sorted(data)}"
            )
        if not isinstance(changes, list | tuple):
            raise ColumnDataError(
                f"the patches of column {name!r} must be a list of (index, value) pairs"
            )
        column = data[name]
        length = column_length(column)
        checked: list[tuple[PatchIndex, Any]] = []
        for number, change in enumerate(changes):
            where = f"patch {number} of column {name!r}"
            if not isinstance(change, list | tuple) or len(change) != 2:
                raise ColumnDataError(f"{where}: a patch is an (index, value) pair")
            index, value = change
            if isinstance(index, slice):
                selected = _check_slice(index, length, where)
                if not isinstance(value, list | tuple | np.ndarray) or len(value) != len(selected):
                    raise ColumnDataError(
                        f"{where}: the slice selects {len(selected)} rows; the value must be a sequence of as many"
                    )
                if isinstance(column, np.ndarray):
                    value = _check_rows_value(column, index, value, where)
                checked.append((index, value))
            elif isinstance(index, list | tuple):
                checked.append(_check_2d(column, index, value, where))
            else:
                row = _check_int(index, length, where)
                if isinstance(column, np.ndarray):
                    value = _check_rows_value(column, row, value, where)
                checked.append((row, value))
        result[str(name)] = checked
    return result


def _patch_target(
    column: Column, changes: list[tuple[PatchIndex, Any]], owner: Owner | None
) -> Column:
    """The column object a patch may write into: itself if `owner` owns it, else a copy."""
    if isinstance(column, list):
        # Lists can't be tracked; someone else may hold this one, so write into a copy.
        return list(column)
    dtype = column.dtype
    if dtype.kind in "US":  # fixed-width strings: widen to fit the longest new string
        for _, value in changes:
            dtype = np.result_type(dtype, np.asarray(value).dtype)
    if dtype == column.dtype and owns(column, owner):
        return column
    return owned_copy(column, owner, dtype)


def patch_columns(
    data: dict[str, Any],
    patches: Mapping[str, list[tuple[PatchIndex, Any]]],
    owner: Owner | None = None,
) -> None:
    """Apply normalized patches to `data`, replacing each patched column by what was written.

    Only memory `owner` owns is written in place (see `growable`); the caller's arrays,
    received buffers and other sources' columns are copied once first, so a patch never
    changes data anyone else holds.
    """
    for name, changes in patches.items():
        column = data[name] = _patch_target(data[name], changes, owner)
        for index, value in changes:
            if isinstance(index, tuple):
                row, y, x = index
                cell = column[row]
                if not isinstance(column, np.ndarray):  # a list of 2-D cells: copy the cell
                    cell = np.array(cell)
                    column[row] = cell
                cell[y, x] = value
            elif isinstance(index, slice) and isinstance(column, list):
                column[index] = list(value)
            else:
                column[index] = value
