"""Models: objects with an id, attributes, change callbacks and UI event callbacks.

`BaseModel` is what a `Document` holds. It has two families:

* `Model` subclasses declare typed `Property` descriptors. Assignments are validated, and a
  class registers its wire name so documents can be decoded into it.
* `GenericModel` (in `livedoc.document.generic`) knows only a type name, an id and attributes:
  the schema-agnostic form a server uses to host documents built by someone else's classes.

Every change goes through `BaseModel._apply`, which tells the document (if any) and then runs the
model's `on_change` callbacks with `(attr, old, new)`.
"""

from __future__ import annotations

import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar, overload

import numpy as np

from livedoc.document.growable import disown_foreign
from livedoc.document.ids import make_id
from livedoc.document.kinds import (
    AnyKind,
    Bool,
    Dict,
    Kind,
    KindMismatch,
    List,
    Nullable,
    Set,
    String,
)
from livedoc.document.references import models_in
from livedoc.errors import ValidationError

if TYPE_CHECKING:
    from livedoc._types import ID, Setter
    from livedoc.document.document import Document
    from livedoc.document.events import DocumentPatchedEvent
    from livedoc.document.ui_events import Event

__all__ = [
    "MODEL_REGISTRY",
    "BaseModel",
    "ChangeCallback",
    "EventCallback",
    "Model",
    "Property",
    "invoke_callback",
]

log = logging.getLogger("livedoc.document")

T = TypeVar("T")

ChangeCallback = Callable[[str, Any, Any], Any]
EventCallback = Callable[..., Any]

#: Typed model classes by wire name, filled as classes are defined.
MODEL_REGISTRY: Final[dict[str, type[Model]]] = {}


def invoke_callback(callback: Callable[..., Any], *args: Any) -> None:
    """Run a user callback; an exception is logged with its traceback, never propagated.

    A callback that fails must not leave the document half-updated or stop other callbacks.
    """
    try:
        callback(*args)
    except Exception:
        log.exception("callback %r raised", getattr(callback, "__qualname__", callback))


def values_equal(old: Any, new: Any) -> bool:
    """Whether assigning `new` over `old` changes nothing (arrays always count as a change)."""
    if old is new:
        return True
    if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
        return False
    if type(old) is not type(new):
        return False
    try:
        return bool(old == new)
    except Exception:
        return False


class BaseModel(ABC):
    """The part of a model the document, the serializer and the patcher rely on."""

    _document: Document | None

    def __init__(self, *, id: ID | None = None) -> None:
        self.id: ID = id if id is not None else make_id()
        self._document = None
        self._change_callbacks: dict[str, list[ChangeCallback]] = {}
        self._event_callbacks: dict[str, list[EventCallback]] = {}

    # -- identity ---------------------------------------------------------------------------

    @property
    @abstractmethod
    def model_type(self) -> str:
        """The qualified model name on the wire (`"ColumnDataSource"`, `"Figure"`, ...)."""

    @property
    def document(self) -> Document | None:
        return self._document

    def __repr__(self) -> str:
        return f"{self.model_type}(id={self.id!r})"

    # -- attributes -------------------------------------------------------------------------

    @abstractmethod
    def has_attr(self, attr: str) -> bool:
        """Whether `attr` is an attribute of this model."""

    @abstractmethod
    def get(self, attr: str) -> Any:
        """The current value of `attr`."""

    @abstractmethod
    def validate_value(self, attr: str, value: Any) -> Any:
        """The value to store for `attr`, or `ValidationError` naming model, attribute and value."""

    @abstractmethod
    def wire_attributes(self) -> dict[str, Any]:
        """The attributes to put in this model's full representation."""

    @abstractmethod
    def _store(self, attr: str, value: Any) -> None:
        """Store a validated value, without notifying anyone."""

    def set(self, attr: str, value: Any, *, setter: Setter = None) -> None:
        """Validate and assign; `setter` tags the change so its origin is not echoed to it."""
        self._apply(attr, self.validate_value(attr, value), setter)

    def _apply(self, attr: str, value: Any, setter: Setter = None) -> None:
        """Assign an already validated value, notify the document, run callbacks."""
        had_value = self.has_attr_value(attr)
        old = self.get(attr) if had_value else None
        if had_value and values_equal(old, value):
            return
        if isinstance(value, dict):  # column data another source owns becomes shared
            disown_foreign(value, (self.id, attr))
        self._store(attr, value)
        if self._document is not None:
            self._document._on_model_changed(self, attr, old, value, setter)
        else:
            self._trigger_change(attr, old, value)

    def _apply_columns(self, attr: str, new: Any, event: DocumentPatchedEvent) -> None:
        """Store new column data after a column operation and announce it with `event`."""
        old = self.get(attr) if self.has_attr_value(attr) else {}
        disown_foreign(new, (self.id, attr))
        self._store(attr, new)
        if self._document is not None:
            self._document._on_columns_changed(self, attr, old, new, event)
        else:
            self._trigger_change(attr, old, new)

    def has_attr_value(self, attr: str) -> bool:
        """Whether `attr` has a value here (typed models always do, through their defaults)."""
        return self.has_attr(attr)

    def references(self) -> Iterator[BaseModel]:
        """The models this model's attributes refer to directly."""
        for value in self._values_that_may_hold_models():
            yield from models_in(value)

    def _values_that_may_hold_models(self) -> Iterable[Any]:
        return self.wire_attributes().values()

    def _attr_may_hold_models(self, attr: str) -> bool:
        return True

    # -- callbacks --------------------------------------------------------------------------

    def on_change(self, attr: str, *callbacks: ChangeCallback) -> None:
        """Call each `callback(attr, old, new)` after `attr` changes, whoever changed it."""
        self._check_callback_attr(attr)
        if not callbacks:
            raise ValueError("on_change needs at least one callback")
        self._change_callbacks.setdefault(attr, []).extend(callbacks)

    def remove_on_change(self, attr: str, *callbacks: ChangeCallback) -> None:
        registered = self._change_callbacks.get(attr, [])
        for callback in callbacks:
            if callback not in registered:
                raise ValueError(
                    f"callback {callback!r} is not registered for {self.model_type}.{attr}"
                )
            registered.remove(callback)

    def _check_callback_attr(self, attr: str) -> None:
        """Raise if `attr` cannot have callbacks; any name can on a schema-less model."""
        return None

    def _trigger_change(self, attr: str, old: Any, new: Any) -> None:
        for callback in list(self._change_callbacks.get(attr, ())):
            invoke_callback(callback, attr, old, new)

    def on_event(self, event: str | type[Event], *callbacks: EventCallback) -> None:
        """Call each callback with the event when the browser sends a UI event of this kind.

        Subscribing adds the event name to `subscribed_events`, which tells BokehJS to send it.
        """
        name = event if isinstance(event, str) else event.event_name
        if not callbacks:
            raise ValueError("on_event needs at least one callback")
        self._event_callbacks.setdefault(name, []).extend(callbacks)
        subscribed = (
            self.get("subscribed_events") if self.has_attr_value("subscribed_events") else set()
        )
        if name not in subscribed:
            self.set("subscribed_events", set(subscribed) | {name})

    def _trigger_event(self, event: Event) -> None:
        for callback in list(self._event_callbacks.get(event.event_name, ())):
            invoke_event_callback(callback, event)


def invoke_event_callback(callback: EventCallback, event: Event) -> None:
    """Event callbacks take the event, or nothing (as in Bokeh)."""
    import inspect

    try:
        wants_event = bool(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        wants_event = True
    if wants_event:
        invoke_callback(callback, event)
    else:
        invoke_callback(callback)


# -- typed models ---------------------------------------------------------------------------


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


class Property(Generic[T]):
    """A typed model attribute: kind, default, read-only flag and help text.

    `default` is for immutable defaults; `factory` builds a fresh default per model (lists,
    dicts, sub-models). Defaults must equal BokehJS's, since omitted attributes take its defaults.
    """

    name: str
    owner: type[Model]

    def __init__(
        self,
        kind: Kind[Any],
        default: Any = UNSET,
        *,
        factory: Callable[[], Any] | None = None,
        readonly: bool = False,
        help: str = "",
    ) -> None:
        if (default is UNSET) == (factory is None):
            raise TypeError("a Property needs exactly one of `default` and `factory`")
        self.kind = kind
        self.default = default
        self.factory = factory
        self.readonly = readonly
        self.help = help

    def __set_name__(self, owner: type[Model], name: str) -> None:
        self.name = name
        self.owner = owner

    def default_value(self) -> Any:
        return self.factory() if self.factory is not None else self.default

    @functools.cached_property
    def default_is_model(self) -> bool:
        """A default that is a new model per instance (or a list of them) must be sent: the
        peer cannot recreate its identity. Built once here to find out, for factories that
        configure a model (`lambda: BoxAnnotation(level="overlay", ...)`)."""
        if self.factory is None:
            return False
        if isinstance(self.factory, type):
            return issubclass(self.factory, BaseModel)
        sample = self.factory()
        return isinstance(sample, BaseModel) or (
            isinstance(sample, list) and any(isinstance(item, BaseModel) for item in sample)
        )

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Property[T]: ...
    @overload
    def __get__(self, obj: Model, owner: type[Any]) -> T: ...
    def __get__(self, obj: Model | None, owner: type[Any]) -> Property[T] | T:
        if obj is None:
            return self
        result: T = obj.get(self.name)
        return result

    def __set__(self, obj: Model, value: Any) -> None:
        if self.readonly:
            raise ValidationError(f"{type(obj).__name__}.{self.name} is read-only")
        obj.set(self.name, value)

    def __repr__(self) -> str:
        return f"Property({self.kind!r}, name={getattr(self, 'name', '?')!r})"


class Model(BaseModel):
    """Base of typed models. Subclasses declare `Property` attributes.

    `class Foo(Model)` registers wire name `"Foo"`; `class Foo(Model, name="pkg.Foo")` picks
    another; `class Base(Model, abstract=True)` is a base class that is never sent.
    """

    __model_name__: ClassVar[str] = "Model"
    __abstract__: ClassVar[bool] = True
    __properties__: ClassVar[dict[str, Property[Any]]] = {}
    __hidden__: ClassVar[tuple[str, ...]] = ()

    name: Property[str | None] = Property(Nullable(String()), None)
    tags: Property[list[Any]] = Property(List(AnyKind()), factory=list)
    js_property_callbacks: Property[dict[str, list[Any]]] = Property(
        Dict(String(), List(AnyKind())), factory=dict
    )
    js_event_callbacks: Property[dict[str, list[Any]]] = Property(
        Dict(String(), List(AnyKind())), factory=dict
    )
    subscribed_events: Property[set[str]] = Property(Set(String()), factory=set)
    syncable: Property[bool] = Property(Bool(), True)

    def __init_subclass__(
        cls,
        *,
        name: str | None = None,
        abstract: bool = False,
        hidden: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        properties: dict[str, Property[Any]] = {}
        for klass in reversed(cls.__mro__):
            for attr in getattr(klass, "__hidden__", ()):
                properties.pop(attr, None)
            for attr, value in vars(klass).items():
                if isinstance(value, Property):
                    properties[attr] = value
        # `hidden`: base-class properties this class does not have (BokehJS makes them
        # internal here); reading or setting one is an unknown-attribute error.
        cls.__hidden__ = hidden
        for attr in hidden:
            properties.pop(attr, None)
        cls.__properties__ = properties
        cls.__abstract__ = abstract
        cls.__model_name__ = name or cls.__name__
        if not abstract:
            MODEL_REGISTRY[cls.__model_name__] = cls

    def __init__(self, *, id: ID | None = None, **attributes: Any) -> None:
        if type(self).__abstract__:
            raise TypeError(
                f"{type(self).__name__} is an abstract model; use one of its subclasses"
            )
        super().__init__(id=id)
        self._values: dict[str, Any] = {}
        self._defaulted: set[str] = set()
        for prop in self.__properties__.values():
            if prop.default_is_model and prop.name not in attributes:
                self._values[prop.name] = prop.default_value()
        for attr, value in attributes.items():
            if attr not in self.__properties__:
                raise self._unknown(attr)
            self._values[attr] = self.validate_value(attr, value)

    @classmethod
    def _from_wire(cls, id: ID) -> Model:
        """An instance for a decoded rep: no defaults materialized, attributes set by the caller."""
        if cls.__abstract__:
            raise TypeError(f"{cls.__name__} is abstract")
        instance = cls.__new__(cls)
        BaseModel.__init__(instance, id=id)
        instance._values = {}
        instance._defaulted = set()
        return instance

    @classmethod
    def properties(cls) -> dict[str, Property[Any]]:
        return dict(cls.__properties__)

    @property
    def model_type(self) -> str:
        return type(self).__model_name__

    def _unknown(self, attr: str) -> ValidationError:
        known = ", ".join(sorted(self.__properties__))
        return ValidationError(
            f"{self.model_type} has no property {attr!r} (its properties: {known})"
        )

    def has_attr(self, attr: str) -> bool:
        return attr in self.__properties__

    def get(self, attr: str) -> Any:
        try:
            return self._values[attr]
        except KeyError:
            pass
        prop = self.__properties__.get(attr)
        if prop is None:
            raise AttributeError(f"{self.model_type} has no property {attr!r}") from None
        if prop.factory is None:
            return prop.default
        # Keep a factory default, so in-place edits (`model.tags.append(...)`) stick.
        value = self._values[attr] = prop.default_value()
        if not prop.default_is_model:
            self._defaulted.add(attr)
        return value

    def validate_value(self, attr: str, value: Any) -> Any:
        prop = self.__properties__.get(attr)
        if prop is None:
            raise self._unknown(attr)
        try:
            return prop.kind.validate(value)
        except KindMismatch as exc:
            raise ValidationError(f"{self.model_type}.{attr}: {exc}") from None

    def _store(self, attr: str, value: Any) -> None:
        self._values[attr] = value
        self._defaulted.discard(attr)

    def wire_attributes(self) -> dict[str, Any]:
        attributes = {}
        for attr, value in self._values.items():
            if attr in self._defaulted and values_equal(
                value, self.__properties__[attr].default_value()
            ):
                continue
            attributes[attr] = value
        return attributes

    def _values_that_may_hold_models(self) -> Iterable[Any]:
        properties = self.__properties__
        return [
            value for attr, value in self._values.items() if properties[attr].kind.may_hold_models
        ]

    def _attr_may_hold_models(self, attr: str) -> bool:
        return self.__properties__[attr].kind.may_hold_models

    def _check_callback_attr(self, attr: str) -> None:
        if attr not in self.__properties__:
            raise self._unknown(attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        # Catch typos like `source.dta = ...`: only properties and private names may be set.
        if attr.startswith("_") or attr == "id" or attr in self.__properties__:
            super().__setattr__(attr, value)
        else:
            raise self._unknown(attr)


Model.__properties__ = {
    attr: value for attr, value in vars(Model).items() if isinstance(value, Property)
}
