"""UI and document events: what BokehJS sends as `{"type": "event", "name": ..., "values": ...}`.

Each event class names its wire `event_name` and registers itself; an incoming event whose name
no class claims still decodes (as a plain `ModelEvent` or `DocumentEvent` carrying that name),
because a server relays events for documents whose classes it does not have.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

    from livedoc.document.model import BaseModel

__all__ = [
    "EVENT_REGISTRY",
    "ButtonClick",
    "ClientReconnected",
    "ConnectionLost",
    "DocumentEvent",
    "DocumentReady",
    "Event",
    "MenuItemClick",
    "ModelEvent",
    "ValueSubmit",
    "make_event",
]

#: Event classes by wire name.
EVENT_REGISTRY: Final[dict[str, type[Event]]] = {}


class Event:
    """An event with a wire name and named values (`event.values["x"]`, or `event.x`)."""

    event_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("event_name"):
            EVENT_REGISTRY[cls.event_name] = cls

    def __init__(self, values: Mapping[str, Any] | None = None, *, name: str | None = None) -> None:
        if name is not None and name != type(self).event_name:
            self.event_name = name  # type: ignore[misc]  # an unregistered name, per instance
        self.values: dict[str, Any] = dict(values or {})

    def __getattr__(self, attr: str) -> Any:
        try:
            return self.__dict__["values"][attr]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} event has no value {attr!r}") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.event_name!r}, {self.values!r})"


class DocumentEvent(Event):
    """An event about the whole document (`document_ready`, connection events)."""


class ModelEvent(Event):
    """An event about one model; `values["model"]` is that model."""

    @property
    def model(self) -> BaseModel | None:
        model: BaseModel | None = self.values.get("model")
        return model


class DocumentReady(DocumentEvent):
    event_name = "document_ready"


class ConnectionLost(DocumentEvent):
    event_name = "connection_lost"


class ClientReconnected(DocumentEvent):
    event_name = "client_reconnected"


class ButtonClick(ModelEvent):
    event_name = "button_click"


class MenuItemClick(ModelEvent):
    event_name = "menu_item_click"


class ValueSubmit(ModelEvent):
    event_name = "value_submit"


def make_event(name: str, values: Mapping[str, Any]) -> Event:
    """The event object for a decoded wire event."""
    cls = EVENT_REGISTRY.get(name)
    if cls is None:
        cls = ModelEvent if "model" in values else DocumentEvent
    return cls(values, name=name)
