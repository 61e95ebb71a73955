"""The Document: roots, title, the model index, change listeners, held batches and callbacks.

A document indexes every model reachable from its roots (and its config) by id, and each of
those models knows the document. A change to any of them becomes a `DocumentChangedEvent`,
delivered to the listeners (the server's session, which turns it into PATCH-DOC messages)
unless the document is held, in which case events queue up, merging where they can, until the
last `unhold()`.

Wire forms: `to_json` / `from_json` (PULL-DOC-REPLY and PUSH-DOC), `create_json_patch` /
`apply_json_patch` (PATCH-DOC). A document decoded with `generic=True` is schema-agnostic: its
models are `GenericModel`s, so it can hold documents built with any model classes.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from livedoc.document.callbacks import SessionCallback
from livedoc.document.config import DocumentConfig
from livedoc.document.deserializer import Deserializer
from livedoc.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    DocumentChangedEvent,
    DocumentPatchedEvent,
    MessageSentEvent,
    ModelChangedEvent,
    RootAddedEvent,
    RootRemovedEvent,
    SessionCallbackAdded,
    SessionCallbackRemoved,
    TitleChangedEvent,
)
from livedoc.document.generic import GenericModel
from livedoc.document.model import (
    MODEL_REGISTRY,
    BaseModel,
    EventCallback,
    invoke_callback,
    invoke_event_callback,
)
from livedoc.document.references import collect_models, models_in
from livedoc.document.serializer import Serializer
from livedoc.document.ui_events import Event, ModelEvent
from livedoc.errors import DeserializationError, ValidationError

if TYPE_CHECKING:
    from livedoc._types import ID, Buffer, JSONObject, Setter

__all__ = ["BOKEH_VERSION", "DEFAULT_TITLE", "Document", "Listener"]

log = logging.getLogger("livedoc.document")

#: The Bokeh version whose wire format and BokehJS build livedoc speaks.
BOKEH_VERSION: Final = "3.9.2"
DEFAULT_TITLE: Final = "Bokeh Application"

Listener = Callable[[DocumentChangedEvent], Any]


class Document:
    """A live document: what one session shows, shared by every connection to it."""

    def __init__(
        self, *, title: str = DEFAULT_TITLE, config: BaseModel | None = None, generic: bool = False
    ) -> None:
        self._title = title
        self._roots: list[BaseModel] = []
        self._config: BaseModel = config if config is not None else DocumentConfig()
        self.generic = generic
        #: Decode model types no livedoc class knows as generic models instead of refusing them
        #: (a server session hosts whatever its peers send; a library user wants the error).
        self.accept_unknown_models = False
        self._models: dict[ID, BaseModel] = {}
        self._synced: set[ID] = set()
        self._listeners: list[Listener] = []
        self._hold_depth = 0
        self._held: list[DocumentChangedEvent] = []
        self._callbacks: dict[ID, SessionCallback] = {}
        self._event_callbacks: dict[str, list[EventCallback]] = {}
        self._message_callbacks: dict[str, list[Callable[[Any], Any]]] = {}
        #: Called with the session context when the server destroys this document's session.
        self.session_destroyed_callbacks: list[Callable[[Any], Any]] = []
        #: Document-level `js_on_event` callbacks (event name -> CustomJS models), sent as `callbacks`.
        self.js_event_callbacks: dict[str, list[BaseModel]] = {}
        #: `DataModel` definitions as the peer sent them, re-sent unchanged.
        self.defs: list[Any] = []
        self._reindex()

    # -- roots and models -------------------------------------------------------------------

    @property
    def roots(self) -> tuple[BaseModel, ...]:
        return tuple(self._roots)

    @property
    def config(self) -> BaseModel:
        return self._config

    @property
    def models(self) -> Mapping[ID, BaseModel]:
        """Every model in the document by id (read-only view)."""
        return MappingProxyType(self._models)

    def get_model_by_id(self, model_id: ID) -> BaseModel | None:
        return self._models.get(model_id)

    def get_model_by_name(self, name: str) -> Any:
        """The model whose `name` is `name`, or None; two models of that name are an error.

        Typed as `Any` so app code can use the model's attributes directly.
        """
        found = self.select(name=name)
        if len(found) > 1:
            raise ValueError(f"{len(found)} models are named {name!r}; use select(name=...)")
        return found[0] if found else None

    def select(self, *, name: str | None = None, model_type: str | None = None) -> list[BaseModel]:
        """Models with the given `name` attribute and/or wire type name."""
        return [
            model
            for model in self._models.values()
            if (name is None or (model.has_attr_value("name") and model.get("name") == name))
            and (model_type is None or model.model_type == model_type)
        ]

    def add_root(self, model: BaseModel, *, setter: Setter = None) -> None:
        if not isinstance(model, BaseModel):
            raise ValidationError(f"a document root must be a model, not {type(model).__name__}")
        if model in self._roots:
            return
        self._check_owner([model])
        self._roots.append(model)
        self._reindex()
        self._emit(RootAddedEvent(model=model, setter=setter))

    def remove_root(self, model: BaseModel, *, setter: Setter = None) -> None:
        if model not in self._roots:
            raise ValueError(f"{model!r} is not a root of this document")
        self._roots.remove(model)
        self._reindex()
        self._emit(RootRemovedEvent(model=model, setter=setter))

    def clear(self, *, setter: Setter = None) -> None:
        """Remove every root."""
        with self.held():
            for root in list(self._roots):
                self.remove_root(root, setter=setter)

    @property
    def title(self) -> str:
        return self._title

    @title.setter
    def title(self, title: str) -> None:
        self.set_title(title)

    def set_title(self, title: str, *, setter: Setter = None) -> None:
        if not isinstance(title, str):
            raise ValidationError(f"a document title must be a string, not {type(title).__name__}")
        if title == self._title:
            return
        self._title = title
        self._emit(TitleChangedEvent(title=title, setter=setter))

    def _check_owner(self, models: Iterable[BaseModel]) -> None:
        for model in collect_models(models).values():
            owner = model.document
            if owner is not None and owner is not self:
                raise ValidationError(
                    f"{model!r} already belongs to another document; a model lives in one document"
                )

    def _reindex(self) -> None:
        """Recompute the model index from the roots; attach new models, detach removed ones."""
        callback_models = [model for models in self.js_event_callbacks.values() for model in models]
        found = collect_models([self._config, *self._roots, *callback_models])
        for model_id, model in self._models.items():
            if found.get(model_id) is not model:
                model._document = None
                self._synced.discard(model_id)
        for model in found.values():
            if model.document is not None and model.document is not self:
                raise ValidationError(
                    f"{model!r} already belongs to another document; a model lives in one document"
                )
            model._document = self
        self._models = found

    # -- change notification ----------------------------------------------------------------

    def on_change(self, listener: Listener) -> None:
        """Call `listener(event)` for every change (after hold, in order)."""
        self._listeners.append(listener)

    def remove_on_change(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def hold(self) -> None:
        """Queue change events until the matching `unhold()`; consecutive ones merge."""
        self._hold_depth += 1

    def unhold(self) -> None:
        if self._hold_depth == 0:
            raise RuntimeError("unhold() without a matching hold()")
        self._hold_depth -= 1
        if self._hold_depth == 0:
            held, self._held = self._held, []
            for event in held:
                self._dispatch(event)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """`with doc.held():` - hold events for the block."""
        self.hold()
        try:
            yield
        finally:
            self.unhold()

    def _emit(self, event: DocumentChangedEvent) -> None:
        if self._hold_depth:
            if not (self._held and self._held[-1].combine(event)):
                self._held.append(event)
        else:
            self._dispatch(event)

    def _dispatch(self, event: DocumentChangedEvent) -> None:
        for listener in list(self._listeners):
            invoke_callback(listener, event)

    def _on_model_changed(
        self, model: BaseModel, attr: str, old: Any, new: Any, setter: Setter
    ) -> None:
        """Called by a model of this document after one of its attributes changed."""
        if model._attr_may_hold_models(attr) and (_holds_models(old) or _holds_models(new)):
            self._check_owner(models_in(new))
            self._reindex()
        # Snapshot containers: later in-place edits must not alter what this event sends.
        snapshot = dict(new) if isinstance(new, dict) else new
        self._emit(ModelChangedEvent(model=model, attr=attr, old=old, new=snapshot, setter=setter))
        model._trigger_change(attr, old, new)

    def _on_columns_changed(
        self, model: BaseModel, attr: str, old: Any, new: Any, event: DocumentPatchedEvent
    ) -> None:
        """Called after a column operation stored new data on a source of this document."""
        self._emit(event)
        model._trigger_change(attr, old, new)

    # -- UI events and messages -------------------------------------------------------------

    def on_event(self, event: str | type[Event], *callbacks: EventCallback) -> None:
        """Call each callback for document events (`document_ready`, `connection_lost`, ...)."""
        name = event if isinstance(event, str) else event.event_name
        if not callbacks:
            raise ValueError("on_event needs at least one callback")
        self._event_callbacks.setdefault(name, []).extend(callbacks)

    def on_message(self, msg_type: str, callback: Callable[[Any], Any]) -> None:
        """Call `callback(msg_data)` for MessageSent events of `msg_type` other than UI events."""
        self._message_callbacks.setdefault(msg_type, []).append(callback)

    def trigger_event(self, event: Event) -> None:
        """Deliver a UI event from the browser to the model's or the document's callbacks."""
        model = event.model if isinstance(event, ModelEvent) else None
        if model is not None:
            model._trigger_event(event)
        else:
            for callback in list(self._event_callbacks.get(event.event_name, ())):
                invoke_event_callback(callback, event)

    def send_event(self, event: Event, *, setter: Setter = None) -> None:
        """Send a UI event to the browser (BokehJS decodes only its server events, e.g. `clear_input`)."""
        self._emit(MessageSentEvent(msg_type="bokeh_event", msg_data=event, setter=setter))

    def _deliver_message(self, msg_type: str, msg_data: Any) -> None:
        if msg_type == "bokeh_event":
            if isinstance(msg_data, Event):
                self.trigger_event(msg_data)
            return
        for callback in list(self._message_callbacks.get(msg_type, ())):
            invoke_callback(callback, msg_data)

    # -- session callbacks ------------------------------------------------------------------

    @property
    def session_callbacks(self) -> tuple[SessionCallback, ...]:
        return tuple(self._callbacks.values())

    def _add_callback(self, callback: SessionCallback) -> SessionCallback:
        self._callbacks[callback.id] = callback
        self._emit_now(SessionCallbackAdded(callback=callback))
        return callback

    def _emit_now(self, event: DocumentChangedEvent) -> None:
        # Scheduling must not wait for unhold: a callback added in a held block still runs.
        self._dispatch(event)

    def on_session_destroyed(self, *callbacks: Callable[[Any], Any]) -> None:
        """Run each callback (with the session context) when the server ends this session."""
        self.session_destroyed_callbacks.extend(callbacks)

    def add_periodic_callback(
        self, callback: Callable[[], Any], period_milliseconds: float
    ) -> SessionCallback:
        """Run `callback` every `period_milliseconds` while the session lives."""
        return self._add_callback(SessionCallback(callback, "periodic", float(period_milliseconds)))

    def add_timeout_callback(
        self, callback: Callable[[], Any], timeout_milliseconds: float
    ) -> SessionCallback:
        """Run `callback` once, `timeout_milliseconds` from now."""
        return self._add_callback(SessionCallback(callback, "timeout", float(timeout_milliseconds)))

    def add_next_tick_callback(self, callback: Callable[[], Any]) -> SessionCallback:
        """Run `callback` once, as soon as the event loop is free."""
        return self._add_callback(SessionCallback(callback, "next_tick"))

    def remove_callback(self, callback: SessionCallback) -> None:
        """Unregister a callback returned by one of the `add_*_callback` methods."""
        if self._callbacks.pop(callback.id, None) is None:
            raise ValueError(
                f"callback {callback.id} is not registered on this document (already removed?)"
            )
        self._emit_now(SessionCallbackRemoved(callback=callback))

    remove_periodic_callback = remove_callback
    remove_timeout_callback = remove_callback
    remove_next_tick_callback = remove_callback

    def callback_done(self, callback: SessionCallback) -> None:
        """A one-shot callback ran: forget it (called by whoever schedules callbacks)."""
        if callback.kind != "periodic":
            self._callbacks.pop(callback.id, None)

    # -- wire forms -------------------------------------------------------------------------

    def to_json(self, *, binary: bool = True) -> tuple[JSONObject, dict[ID, Buffer]]:
        """The document as PULL-DOC-REPLY / PUSH-DOC content `doc`, and its buffers.

        With `binary=False` bytes are inlined as base64 (for standalone HTML) and no buffers
        are returned.
        """
        serializer = Serializer(binary=binary)
        doc: JSONObject = {
            "version": BOKEH_VERSION,
            "title": self._title,
            "config": serializer.encode(self._config),
            "roots": [serializer.encode(root) for root in self._roots],
        }
        if self.defs:
            doc["defs"] = self.defs
        if self.js_event_callbacks:
            doc["callbacks"] = serializer.encode(self.js_event_callbacks)
        self._synced.update(self._models)
        return doc, serializer.buffers

    @classmethod
    def from_json(
        cls,
        doc_json: JSONObject,
        buffers: Mapping[ID, Buffer] | None = None,
        *,
        generic: bool = False,
    ) -> Document:
        """Decode PULL-DOC-REPLY / PUSH-DOC content; `generic=True` keeps any model type."""
        from livedoc.document.json_doc import decode_document

        return decode_document(cls, doc_json, buffers or {}, generic=generic)

    def replace_with_json(
        self,
        doc_json: JSONObject,
        buffers: Mapping[ID, Buffer] | None = None,
        *,
        setter: Setter = None,
    ) -> None:
        """Replace roots, title and config with a pushed document, validated as a whole first."""
        # A pushed document was built elsewhere, with whatever classes its author had.
        pushed = Document.from_json(
            doc_json, buffers, generic=self.generic or self.accept_unknown_models
        )
        roots, config = pushed._release()
        with self.held():
            for root in list(self._roots):
                self.remove_root(root, setter=setter)
            self._config = config
            self._reindex()
            for root in roots:
                self.add_root(root, setter=setter)
            self.set_title(pushed.title, setter=setter)
            self.defs = pushed.defs
            self.js_event_callbacks = pushed.js_event_callbacks

    def _release(self) -> tuple[list[BaseModel], BaseModel]:
        """Give up all models (so another document can adopt them); this document is spent."""
        roots, config = self._roots, self._config
        for model in self._models.values():
            model._document = None
        self._roots, self._models = [], {}
        return roots, config

    def create_json_patch(
        self, events: Iterable[DocumentPatchedEvent]
    ) -> tuple[JSONObject, dict[ID, Buffer]]:
        """PATCH-DOC content for `events`, and its buffers.

        Models the peers have not seen yet are sent in full, then count as seen. A change to
        such a model is left out: its full representation already carries the current state
        (sending both would, for a stream, append the rows twice). So every batch of events
        must go through here, even when no connection is listening, for the peers' view of
        which models exist to stay right.
        """
        known_before = set(self._synced)
        serializer = Serializer(known=self._synced)
        wire = []
        for event in events:
            target = getattr(event, "model", None)
            if (
                isinstance(event, _TARGETED)
                and target is not None
                and target.id not in known_before
            ):
                continue
            wire.append(event.to_json(serializer))
        self._synced.update(serializer.emitted)
        return {"events": wire}, serializer.buffers

    def apply_json_patch(
        self,
        content: JSONObject,
        buffers: Mapping[ID, Buffer] | None = None,
        *,
        setter: Setter = None,
    ) -> None:
        """Apply PATCH-DOC content atomically: every event is checked before any is applied.

        Raises `PatchError` (or another `DocumentError`) naming the failing event; the document
        is then unchanged.
        """
        from livedoc.document.patch import apply_patch

        apply_patch(self, content, buffers or {}, setter)

    # -- decoding support -------------------------------------------------------------------

    def make_deserializer(self, buffers: Mapping[ID, Buffer]) -> Deserializer:
        return Deserializer(self._models.get, self._model_factory, buffers)

    def _model_factory(self, name: str, model_id: ID) -> BaseModel:
        if self.generic:
            return GenericModel(name, model_id)
        cls = MODEL_REGISTRY.get(name)
        if cls is None and self.accept_unknown_models:
            return GenericModel(name, model_id)
        if cls is None:
            raise DeserializationError(
                f"unknown model type {name!r}: no livedoc model class has that name "
                "(a server hosting other libraries' documents decodes them generically)"
            )
        return cls._from_wire(model_id)

    def __repr__(self) -> str:
        return f"<Document {self._title!r}: {len(self._roots)} roots, {len(self._models)} models>"


#: Events that change one model, and mean nothing to a peer that does not know that model yet.
_TARGETED: Final = (
    ModelChangedEvent,
    ColumnDataChangedEvent,
    ColumnsStreamedEvent,
    ColumnsPatchedEvent,
)


def _holds_models(value: Any) -> bool:
    if isinstance(value, BaseModel):
        return True
    if isinstance(value, list | tuple | dict | set | frozenset):
        return next(models_in(value), None) is not None
    return False
