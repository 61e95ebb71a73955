"""Documents, models, properties, change events and the wire encoding (no I/O)."""

from __future__ import annotations

from livedoc.document import kinds as kinds
from livedoc.document.callbacks import SessionCallback as SessionCallback, unlocked as unlocked
from livedoc.document.config import DocumentConfig as DocumentConfig, Notifications as Notifications
from livedoc.document.deserializer import Deserializer as Deserializer
from livedoc.document.document import BOKEH_VERSION as BOKEH_VERSION, Document as Document
from livedoc.document.events import (
    ColumnDataChangedEvent as ColumnDataChangedEvent,
    ColumnsPatchedEvent as ColumnsPatchedEvent,
    ColumnsStreamedEvent as ColumnsStreamedEvent,
    DocumentChangedEvent as DocumentChangedEvent,
    DocumentPatchedEvent as DocumentPatchedEvent,
    MessageSentEvent as MessageSentEvent,
    ModelChangedEvent as ModelChangedEvent,
    RootAddedEvent as RootAddedEvent,
    RootRemovedEvent as RootRemovedEvent,
    SessionCallbackAdded as SessionCallbackAdded,
    SessionCallbackRemoved as SessionCallbackRemoved,
    TitleChangedEvent as TitleChangedEvent,
)
from livedoc.document.generic import GenericModel as GenericModel
from livedoc.document.model import (
    MODEL_REGISTRY as MODEL_REGISTRY,
    BaseModel as BaseModel,
    Model as Model,
    Property as Property,
)
from livedoc.document.serializer import Serializer as Serializer
from livedoc.document.ui_events import (
    DocumentEvent as DocumentEvent,
    Event as Event,
    ModelEvent as ModelEvent,
)
from livedoc.document.values import (
    Expr as Expr,
    Field as Field,
    Value as Value,
    expr as expr,
    field as field,
    value as value,
)

__all__ = [
    "BOKEH_VERSION",
    "MODEL_REGISTRY",
    "BaseModel",
    "ColumnDataChangedEvent",
    "ColumnsPatchedEvent",
    "ColumnsStreamedEvent",
    "Deserializer",
    "Document",
    "DocumentChangedEvent",
    "DocumentConfig",
    "DocumentEvent",
    "DocumentPatchedEvent",
    "Event",
    "Expr",
    "Field",
    "GenericModel",
    "MessageSentEvent",
    "Model",
    "ModelChangedEvent",
    "ModelEvent",
    "Notifications",
    "Property",
    "RootAddedEvent",
    "RootRemovedEvent",
    "Serializer",
    "SessionCallback",
    "SessionCallbackAdded",
    "SessionCallbackRemoved",
    "TitleChangedEvent",
    "Value",
    "expr",
    "field",
    "kinds",
    "unlocked",
    "value",
]
