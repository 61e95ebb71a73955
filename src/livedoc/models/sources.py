"""Data sources and selections."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livedoc.document import column_source
from livedoc.document.columns import data_length
from livedoc.document.growable import disown_foreign
from livedoc.document.kinds import (
    AnyKind,
    ColumnData,
    Dict,
    Instance,
    Int,
    List,
    Seq,
    String,
    Struct,
)
from livedoc.document.model import Model, Property

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from livedoc._types import Setter

__all__ = [
    "ColumnDataSource",
    "ColumnarDataSource",
    "DataSource",
    "IntersectRenderers",
    "Selection",
    "SelectionPolicy",
    "UnionRenderers",
]


class Selection(Model):
    """Which rows of a source are selected, as indices (BokehJS keeps it in sync both ways)."""

    indices: Property[list[int]] = Property(List(Int()), factory=list)
    line_indices: Property[list[int]] = Property(List(Int()), factory=list)
    multiline_indices: Property[dict[str, Any]] = Property(Dict(String(), Seq(Int())), factory=dict)
    image_indices: Property[list[dict[str, int]]] = Property(
        List(Struct(index=Int(), i=Int(), j=Int(), flat_index=Int())), factory=list
    )


class SelectionPolicy(Model, abstract=True):
    """How selections from several renderers of one source combine."""


class UnionRenderers(SelectionPolicy):
    """A row is selected if any renderer selects it."""


class IntersectRenderers(SelectionPolicy):
    """A row is selected only if every renderer selects it."""


class DataSource(Model, abstract=True):
    selected: Property[Selection] = Property(Instance(Selection), factory=Selection, readonly=True)


class ColumnarDataSource(DataSource, abstract=True):
    default_values: Property[dict[str, Any]] = Property(Dict(String(), AnyKind()), factory=dict)
    selection_policy: Property[SelectionPolicy] = Property(
        Instance(SelectionPolicy), factory=UnionRenderers
    )


class ColumnDataSource(ColumnarDataSource):
    """Named columns of equal length: lists or NumPy arrays (sent as binary).

    Change the data with the methods below rather than by editing columns in place: each sends
    the peers exactly what changed.

    ========================  ==================================================
    ``source.data = {...}``   replace every column
    ``update_columns(...)``   replace some columns (others are not resent)
    ``add_columns(...)``      add columns
    ``remove_columns(...)``   delete columns
    ``stream(rows)``          append rows
    ``stream(rows, N)``       append rows, keep the last N
    ``patch({...})``          replace cells by index, slice or 2-D index
    ========================  ==================================================
    """

    data: Property[dict[str, Any]] = Property(
        ColumnData(), factory=dict, help="Column name to list or array."
    )

    def __init__(self, data: Mapping[str, Any] | None = None, **attributes: Any) -> None:
        if data is not None:
            attributes["data"] = data
        super().__init__(**attributes)
        data_length(self.data, f"the columns of {self.model_type}")
        disown_foreign(self.data, (self.id, "data"))  # another source's own columns become shared

    def validate_value(self, attr: str, value: Any) -> Any:
        result = super().validate_value(attr, value)
        if attr == "data":  # a peer's ModelChanged of `data` must keep the columns in step too
            data_length(result, f"the columns of {self.model_type}")
        return result

    def set(self, attr: str, value: Any, *, setter: Setter = None) -> None:
        if attr == "data":
            column_source.replace_all(self, self.validate_value(attr, value), setter=setter)
        else:
            super().set(attr, value, setter=setter)

    @property
    def column_names(self) -> list[str]:
        return list(self.data)

    @property
    def length(self) -> int:
        """The number of rows (0 without columns)."""
        return data_length(self.data) or 0

    def update_columns(self, columns: Mapping[str, Any] | None = None, /, **named: Any) -> None:
        """Replace (or add) the given columns; only those are sent."""
        column_source.replace_columns(self, {**(columns or {}), **named})

    def add_columns(self, columns: Mapping[str, Any] | None = None, /, **named: Any) -> None:
        """Add columns of the current length; an existing name is an error."""
        column_source.add_columns(self, {**(columns or {}), **named})

    def remove_columns(self, *names: str | Iterable[str]) -> None:
        """Delete columns by name."""
        flat: list[str] = []
        for name in names:
            flat.extend([name] if isinstance(name, str) else name)
        column_source.delete_columns(self, flat)

    def stream(self, rows: Mapping[str, Any], rollover: int | None = None) -> None:
        """Append rows to every column; with `rollover`, keep only the newest `rollover` rows."""
        column_source.stream(self, rows, rollover)

    def patch(self, patches: Mapping[str, Any]) -> None:
        """Replace cells: `{"col": [(index, value), (slice(a, b), values), ((row, y, x), values)]}`."""
        column_source.patch(self, patches)
