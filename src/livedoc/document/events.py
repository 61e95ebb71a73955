"""Document change events: the eight patch kinds of PATCH-DOC, and callback bookkeeping.

Every event carries `setter`, whoever caused the change (None for local code). A server applies
a client's patch with the session as setter and skips sending the resulting events back to the
connection they came from.

`to_json(serializer)` gives the event's wire form; `combine(other)` merges a later event into
this one while events are held (`Document.hold`), so a burst of changes becomes few messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from livedoc.document.columns import Column, PatchIndex, column_length

if TYPE_CHECKING:
    from livedoc._types import JSONObject, Setter
    from livedoc.document.callbacks import SessionCallback
    from livedoc.document.model import BaseModel
    from livedoc.document.serializer import Serializer

__all__ = [
    "PATCH_EVENT_KINDS",
    "ColumnDataChangedEvent",
    "ColumnsPatchedEvent",
    "ColumnsStreamedEvent",
    "DocumentChangedEvent",
    "DocumentPatchedEvent",
    "MessageSentEvent",
    "ModelChangedEvent",
    "RootAddedEvent",
    "RootRemovedEvent",
    "SessionCallbackAdded",
    "SessionCallbackRemoved",
    "TitleChangedEvent",
]


@dataclass(eq=False, kw_only=True)
class DocumentChangedEvent:
    """Something about a document changed."""

    setter: Setter = None

    def combine(self, other: DocumentChangedEvent) -> bool:
        """Fold `other` (which happened later) into this event; False if they don't merge."""
        return False


@dataclass(eq=False, kw_only=True)
class DocumentPatchedEvent(DocumentChangedEvent):
    """A change that travels to the peer in a PATCH-DOC message."""

    kind: ClassVar[str]

    def to_json(self, serializer: Serializer) -> JSONObject:
        raise NotImplementedError


@dataclass(eq=False, kw_only=True)
class ModelChangedEvent(DocumentPatchedEvent):
    kind: ClassVar[str] = "ModelChanged"
    model: BaseModel
    attr: str
    old: Any
    new: Any

    def combine(self, other: DocumentChangedEvent) -> bool:
        if (
            isinstance(other, ModelChangedEvent)
            and other.model is self.model
            and other.attr == self.attr
            and other.setter is self.setter
        ):
            self.new = other.new
            return True
        return False

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {
            "kind": self.kind,
            "model": {"id": self.model.id},
            "attr": self.attr,
            "new": serializer.encode(self.new),
        }


@dataclass(eq=False, kw_only=True)
class ColumnDataChangedEvent(DocumentPatchedEvent):
    """Columns replaced: `cols` lists them, or None when `data` is the whole new data."""

    kind: ClassVar[str] = "ColumnDataChanged"
    model: BaseModel
    attr: str
    data: dict[str, Column]
    cols: list[str] | None

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {
            "kind": self.kind,
            "model": {"id": self.model.id},
            "attr": self.attr,
            "data": serializer.encode(self.data),
            "cols": self.cols,
        }


@dataclass(eq=False, kw_only=True)
class ColumnsStreamedEvent(DocumentPatchedEvent):
    """Rows appended (`data` holds only the new rows), then trimmed to `rollover` rows."""

    kind: ClassVar[str] = "ColumnsStreamed"
    model: BaseModel
    attr: str
    data: dict[str, Column]
    rollover: int | None

    def combine(self, other: DocumentChangedEvent) -> bool:
        # Two appends in a row are one append of both, provided the rollover is the same.
        if not (
            isinstance(other, ColumnsStreamedEvent)
            and other.model is self.model
            and other.attr == self.attr
            and other.rollover == self.rollover
            and other.setter is self.setter
            and set(other.data) == set(self.data)
        ):
            return False
        merged: dict[str, Column] = {}
        for name, column in self.data.items():
            extra = other.data[name]
            if isinstance(column, np.ndarray) or isinstance(extra, np.ndarray):
                merged[name] = np.concatenate([np.asarray(column), np.asarray(extra)])
            else:
                merged[name] = [*column, *extra]
        if self.rollover is not None:
            for name, col in merged.items():
                merged[name] = col[-self.rollover :]
        self.data = merged
        return True

    @property
    def num_rows(self) -> int:
        return column_length(next(iter(self.data.values()))) if self.data else 0

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {
            "kind": self.kind,
            "model": {"id": self.model.id},
            "attr": self.attr,
            "data": serializer.encode(self.data),
            "rollover": self.rollover,
        }


@dataclass(eq=False, kw_only=True)
class ColumnsPatchedEvent(DocumentPatchedEvent):
    """Cells replaced in place: `patches` maps a column to `(index, value)` pairs."""

    kind: ClassVar[str] = "ColumnsPatched"
    model: BaseModel
    attr: str
    patches: dict[str, list[tuple[PatchIndex, Any]]]

    def to_json(self, serializer: Serializer) -> JSONObject:
        wire = {
            name: [
                [list(index) if isinstance(index, tuple) else index, value]
                for index, value in changes
            ]
            for name, changes in self.patches.items()
        }
        return {
            "kind": self.kind,
            "model": {"id": self.model.id},
            "attr": self.attr,
            "patches": serializer.encode(wire),
        }


@dataclass(eq=False, kw_only=True)
class RootAddedEvent(DocumentPatchedEvent):
    kind: ClassVar[str] = "RootAdded"
    model: BaseModel

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {"kind": self.kind, "model": serializer.encode(self.model)}


@dataclass(eq=False, kw_only=True)
class RootRemovedEvent(DocumentPatchedEvent):
    kind: ClassVar[str] = "RootRemoved"
    model: BaseModel

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {"kind": self.kind, "model": {"id": self.model.id}}


@dataclass(eq=False, kw_only=True)
class TitleChangedEvent(DocumentPatchedEvent):
    kind: ClassVar[str] = "TitleChanged"
    title: str

    def combine(self, other: DocumentChangedEvent) -> bool:
        if isinstance(other, TitleChangedEvent) and other.setter is self.setter:
            self.title = other.title
            return True
        return False

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {"kind": self.kind, "title": self.title}


@dataclass(eq=False, kw_only=True)
class MessageSentEvent(DocumentPatchedEvent):
    """A message for handlers of `msg_type`; `bokeh_event` carries UI events."""

    kind: ClassVar[str] = "MessageSent"
    msg_type: str
    msg_data: Any = None

    def to_json(self, serializer: Serializer) -> JSONObject:
        return {
            "kind": self.kind,
            "msg_type": self.msg_type,
            "msg_data": serializer.encode(self.msg_data),
        }


@dataclass(eq=False, kw_only=True)
class SessionCallbackAdded(DocumentChangedEvent):
    """A periodic, timeout or next-tick callback was registered: the server must schedule it."""

    callback: SessionCallback = field(repr=False)


@dataclass(eq=False, kw_only=True)
class SessionCallbackRemoved(DocumentChangedEvent):
    """A callback was removed: the server must unschedule it."""

    callback: SessionCallback = field(repr=False)


PATCH_EVENT_KINDS: dict[str, type[DocumentPatchedEvent]] = {
    cls.kind: cls
    for cls in (
        ModelChangedEvent,
        ColumnDataChangedEvent,
        ColumnsStreamedEvent,
        ColumnsPatchedEvent,
        RootAddedEvent,
        RootRemovedEvent,
        TitleChangedEvent,
        MessageSentEvent,
    )
}
