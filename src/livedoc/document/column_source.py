"""The seven column operations on any model holding column data (typed or generic).

Each function validates first (raising `ColumnDataError`), then stores a new data dict on the
model and emits the matching patch event, so every connection gets exactly the change: only
the new rows for an append, only the touched cells for a patch, only the replaced columns for a
partial update. `livedoc.models.ColumnDataSource` exposes them as methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livedoc.document import columns as ops
from livedoc.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
)
from livedoc.errors import ColumnDataError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from livedoc._types import Setter
    from livedoc.document.model import BaseModel

__all__ = [
    "add_columns",
    "current_data",
    "delete_columns",
    "patch",
    "replace_all",
    "replace_columns",
    "stream",
]


def current_data(model: BaseModel, attr: str = "data") -> dict[str, Any]:
    data = model.get(attr) if model.has_attr_value(attr) else {}
    if not isinstance(data, dict):
        raise ColumnDataError(f"{model.model_type}.{attr} is not column data")
    return data


def replace_all(
    model: BaseModel, data: Mapping[str, Any], *, attr: str = "data", setter: Setter = None
) -> None:
    """Replace every column (ColumnDataChanged with `cols` null)."""
    new = ops.check_new_columns({}, data, replacing=True)
    model._apply_columns(
        attr,
        new,
        ColumnDataChangedEvent(model=model, attr=attr, data=new, cols=None, setter=setter),
    )


def replace_columns(
    model: BaseModel, columns: Mapping[str, Any], *, attr: str = "data", setter: Setter = None
) -> None:
    """Replace (or add) some columns; the others stay and are not sent again."""
    current = current_data(model, attr)
    checked = ops.check_new_columns(current, columns, replacing=True)
    new = {**current, **checked}
    event = ColumnDataChangedEvent(
        model=model, attr=attr, data=checked, cols=list(checked), setter=setter
    )
    model._apply_columns(attr, new, event)


def add_columns(
    model: BaseModel, columns: Mapping[str, Any], *, attr: str = "data", setter: Setter = None
) -> None:
    """Add new columns, as long as the existing rows; adding an existing name is an error."""
    current = current_data(model, attr)
    checked = ops.check_new_columns(current, columns, replacing=False)
    new = {**current, **checked}
    event = ColumnDataChangedEvent(
        model=model, attr=attr, data=checked, cols=list(checked), setter=setter
    )
    model._apply_columns(attr, new, event)


def delete_columns(
    model: BaseModel, names: Iterable[str], *, attr: str = "data", setter: Setter = None
) -> None:
    """Remove columns. BokehJS keeps columns a partial update leaves out, so the rest is resent."""
    new = ops.delete_columns(current_data(model, attr), names)
    model._apply_columns(
        attr,
        new,
        ColumnDataChangedEvent(model=model, attr=attr, data=new, cols=None, setter=setter),
    )


def stream(
    model: BaseModel,
    rows: Mapping[str, Any],
    rollover: int | None = None,
    *,
    attr: str = "data",
    setter: Setter = None,
) -> None:
    """Append rows to every column; with `rollover`, keep only the last `rollover` rows."""
    current = current_data(model, attr)
    new = ops.stream_columns(current, rows, rollover, (model.id, attr))
    sent = {
        str(name): list(column) if isinstance(column, tuple) else column
        for name, column in rows.items()
    }
    event = ColumnsStreamedEvent(
        model=model, attr=attr, data=sent, rollover=ops.check_rollover(rollover), setter=setter
    )
    model._apply_columns(attr, new, event)


def patch(
    model: BaseModel, patches: Mapping[str, Any], *, attr: str = "data", setter: Setter = None
) -> None:
    """Replace cells: `{"y": [(0, 1.5), (slice(2, 4), [7, 8])], "img": [((0, 1, slice(None)), row)]}`."""
    current = current_data(model, attr)
    normalized = ops.normalize_patches(current, patches)
    new = dict(current)
    ops.patch_columns(new, normalized, (model.id, attr))
    model._apply_columns(
        attr, new, ColumnsPatchedEvent(model=model, attr=attr, patches=normalized, setter=setter)
    )
