"""Applying PATCH-DOC content to a document, all or nothing.

Bokeh applies a patch event by event, so an error in the third event leaves the first two
applied. Here a patch is applied in two phases:

1. **Plan.** Decode and check every event against the document *as the earlier events of the
   same patch leave it*: models and attributes exist, values fit their properties, columns,
   lengths, indices and shapes fit the data. Column operations are computed on staged copies
   (copy-on-write per column), so the document itself is not touched.
2. **Commit.** Apply the planned steps in order. Nothing in this phase can fail on bad input.

If planning fails, `PatchError` names the event and the rule, and the document is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from livedoc.document import columns as ops
from livedoc.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    DocumentPatchedEvent,
)
from livedoc.document.growable import Owner, owned_copy
from livedoc.document.model import BaseModel
from livedoc.errors import DocumentError, PatchError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from livedoc._types import ID, Buffer, JSONObject, Setter
    from livedoc.document.deserializer import Deserializer
    from livedoc.document.document import Document

__all__ = ["apply_patch"]

Patches = dict[str, list[tuple[ops.PatchIndex, Any]]]


def _private_copy(column: Any, owner: Owner) -> Any:
    # Lists need none: `patch_columns` never writes into a list (or its 2-D cells) in place.
    return owned_copy(column, owner) if isinstance(column, np.ndarray) else column


@dataclass(eq=False)
class _StagedSource:
    """The column data of one (model, attribute) as the patch so far leaves it."""

    model: BaseModel
    attr: str
    base: dict[str, Any]
    data: dict[str, Any] | None = None
    owned: set[str] = field(default_factory=set)
    pending: list[Patches] = field(default_factory=list)
    committed: bool = False

    @property
    def owner(self) -> Owner:
        return (self.model.id, self.attr)

    def view(self) -> dict[str, Any]:
        return self.data if self.data is not None else self.base

    def materialize(self) -> dict[str, Any]:
        """Switch from 'patch base in place at commit' to a staged private copy."""
        if self.data is None:
            self.data = dict(self.base)
            for patches in self.pending:
                self._patch_private(patches)
            self.pending = []
        return self.data

    def replace(self, new: dict[str, Any]) -> None:
        """Stage `new` (computed from `materialize()`, or a full replacement of the data)."""
        previous = self.data or {}
        self.owned = {name for name in self.owned if new.get(name) is previous.get(name)}
        self.pending = []
        self.data = new

    def patch(self, patches: Patches) -> None:
        if self.data is None:
            self.pending.append(patches)  # patches alone are applied in place at commit
        else:
            self._patch_private(patches)

    def _patch_private(self, patches: Patches) -> None:
        assert self.data is not None
        for name in patches:
            if name not in self.owned:
                self.data[name] = _private_copy(self.data[name], self.owner)
                self.owned.add(name)
        ops.patch_columns(self.data, patches, self.owner)

    def final(self) -> dict[str, Any]:
        """The data to store at commit; patches alone are applied in place here, once."""
        if self.data is None:
            self.data = dict(self.base)
            for patches in self.pending:
                ops.patch_columns(self.data, patches, self.owner)
            self.pending = []
        return self.data


class _Plan:
    def __init__(self, doc: Document, decoder: Deserializer) -> None:
        self.doc = doc
        self.decoder = decoder
        self.steps: list[Callable[[Setter], None]] = []
        self.values: dict[tuple[ID, str], Any] = {}
        self.sources: dict[tuple[ID, str], _StagedSource] = {}
        self.roots: list[BaseModel] = list(doc.roots)

    # -- helpers ----------------------------------------------------------------------------

    def target(self, event: JSONObject) -> BaseModel:
        ref = event.get("model")
        if not isinstance(ref, dict) or not isinstance(ref.get("id"), str):
            raise PatchError("'model' must be a reference {\"id\": ...}")
        return self.decoder.model(ref["id"])

    def attr(self, event: JSONObject, model: BaseModel) -> str:
        attr = event.get("attr")
        if not isinstance(attr, str):
            raise PatchError("'attr' must be a string")
        if not model.has_attr(attr):
            model.validate_value(attr, None)  # raises the model's own "no such property" error
        return attr

    def source(self, model: BaseModel, attr: str) -> _StagedSource:
        key = (model.id, attr)
        staged = self.sources.get(key)
        if staged is None:
            current = (
                self.values[key]
                if key in self.values
                else model.get(attr)
                if model.has_attr_value(attr)
                else {}
            )
            if not isinstance(current, dict):
                raise PatchError(f"{model.model_type}.{attr} is not column data")
            staged = self.sources[key] = _StagedSource(model, attr, current)
        return staged

    def column_data(self, event: JSONObject, key: str) -> dict[str, Any]:
        data = self.decoder.decode(event.get(key))
        if not isinstance(data, dict) or not all(isinstance(name, str) for name in data):
            raise PatchError(f"{key!r} must be a map of column names to columns")
        return data

    def column_step(self, staged: _StagedSource, event: DocumentPatchedEvent) -> None:
        def commit(setter: Setter) -> None:
            event.setter = setter
            if not staged.committed:
                staged.committed = True
                staged.model._apply_columns(staged.attr, staged.final(), event)
            elif staged.model.document is not None:
                staged.model.document._on_columns_changed(
                    staged.model, staged.attr, staged.final(), staged.final(), event
                )

        self.steps.append(commit)

    # -- the eight kinds --------------------------------------------------------------------

    def model_changed(self, event: JSONObject) -> None:
        model = self.target(event)
        attr = self.attr(event, model)
        if "new" not in event:
            raise PatchError("a ModelChanged event needs 'new'")
        value = model.validate_value(attr, self.decoder.decode(event["new"]))
        self.values[(model.id, attr)] = value
        self.sources.pop((model.id, attr), None)  # later column events start from this value
        self.steps.append(lambda setter: model._apply(attr, value, setter))

    def column_data_changed(self, event: JSONObject) -> None:
        model = self.target(event)
        attr = self.attr(event, model)
        data = self.column_data(event, "data")
        cols = event.get("cols")
        staged = self.source(model, attr)
        if cols is None:
            ops.data_length(data, "the new columns")
            staged.replace(dict(data))
            sent = data
        else:
            if not isinstance(cols, list) or not all(isinstance(col, str) for col in cols):
                raise PatchError("'cols' must be null or a list of column names")
            missing = sorted(set(cols) - set(data))
            if missing:
                raise PatchError(f"'cols' names columns {missing} that 'data' does not carry")
            sent = {col: data[col] for col in cols}
            staged.replace(ops.replace_columns(staged.materialize(), sent))
        self.column_step(
            staged, ColumnDataChangedEvent(model=model, attr=attr, data=sent, cols=cols)
        )

    def columns_streamed(self, event: JSONObject) -> None:
        model = self.target(event)
        attr = self.attr(event, model)
        rows = self.column_data(event, "data")
        rollover = ops.check_rollover(event.get("rollover"))
        staged = self.source(model, attr)
        staged.replace(ops.stream_columns(staged.materialize(), rows, rollover, staged.owner))
        self.column_step(
            staged, ColumnsStreamedEvent(model=model, attr=attr, data=rows, rollover=rollover)
        )

    def columns_patched(self, event: JSONObject) -> None:
        model = self.target(event)
        attr = self.attr(event, model)
        raw = self.column_data(event, "patches")
        staged = self.source(model, attr)
        patches = ops.normalize_patches(staged.view(), raw)
        staged.patch(patches)
        self.column_step(staged, ColumnsPatchedEvent(model=model, attr=attr, patches=patches))

    def root_added(self, event: JSONObject) -> None:
        model = self.decoder.decode(event.get("model"))
        if not isinstance(model, BaseModel):
            raise PatchError("'model' of RootAdded must be a model")
        if model not in self.roots:
            self.roots.append(model)
            self.steps.append(lambda setter: self.doc.add_root(model, setter=setter))

    def root_removed(self, event: JSONObject) -> None:
        model = self.target(event)
        if model not in self.roots:
            raise PatchError(f"{model!r} is not a root of the document")
        self.roots.remove(model)
        self.steps.append(lambda setter: self.doc.remove_root(model, setter=setter))

    def title_changed(self, event: JSONObject) -> None:
        title = event.get("title")
        if not isinstance(title, str):
            raise PatchError("'title' must be a string")
        self.steps.append(lambda setter: self.doc.set_title(title, setter=setter))

    def message_sent(self, event: JSONObject) -> None:
        msg_type = event.get("msg_type")
        if not isinstance(msg_type, str):
            raise PatchError("'msg_type' must be a string")
        msg_data = self.decoder.decode(event.get("msg_data"))
        self.steps.append(lambda setter: self.doc._deliver_message(msg_type, msg_data))


_KINDS: dict[str, Callable[[_Plan, JSONObject], None]] = {
    "ModelChanged": _Plan.model_changed,
    "ColumnDataChanged": _Plan.column_data_changed,
    "ColumnsStreamed": _Plan.columns_streamed,
    "ColumnsPatched": _Plan.columns_patched,
    "RootAdded": _Plan.root_added,
    "RootRemoved": _Plan.root_removed,
    "TitleChanged": _Plan.title_changed,
    "MessageSent": _Plan.message_sent,
}


def apply_patch(doc: Document, content: Any, buffers: Mapping[ID, Buffer], setter: Setter) -> None:
    events = content.get("events") if isinstance(content, dict) else None
    if not isinstance(events, list):
        raise PatchError("PATCH-DOC content needs 'events', a list")
    plan = _Plan(doc, doc.make_deserializer(buffers))
    for index, event in enumerate(events):
        kind = event.get("kind") if isinstance(event, dict) else None
        planner = _KINDS.get(kind) if isinstance(kind, str) else None
        if planner is None:
            raise PatchError(f"event {index}: unknown patch event kind {kind!r}")
        try:
            planner(plan, event)
        except PatchError as exc:
            raise PatchError(f"event {index} ({kind}): {exc}") from None
        except DocumentError as exc:
            raise PatchError(f"event {index} ({kind}): {exc}") from exc
    for step in plan.steps:
        step(setter)
