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
    "AxisClick",
    "ButtonClick",
    "ClientReconnected",
    "ConnectionLost",
    "DocumentEvent",
    "DocumentReady",
    "DoubleTap",
    "LODEnd",
    "LODStart",
    "LegendItemClick",
    "MenuItemClick",
    "ModelEvent",
    "MouseEnter",
    "MouseLeave",
    "MouseMove",
    "MouseWheel",
    "Pan",
    "PanEnd",
    "PanStart",
    "Pinch",
    "PinchEnd",
    "PinchStart",
    "PlotEvent",
    "PointEvent",
    "Press",
    "PressUp",
    "RangesUpdate",
    "Reset",
    "Rotate",
    "RotateEnd",
    "RotateStart",
    "SelectionGeometry",
    "Tap",
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


class AxisClick(ModelEvent):
    """A click on an axis; `value` is the data value under the click."""

    event_name = "axis_click"


class LegendItemClick(ModelEvent):
    """A click on a legend entry; `item` is the LegendItem."""

    event_name = "legend_item_click"


class PlotEvent(ModelEvent):
    """An event on a plot (`model` is the plot)."""


class LODStart(PlotEvent):
    """Level-of-detail rendering started (an interaction on a large plot began)."""

    event_name = "lodstart"


class LODEnd(PlotEvent):
    event_name = "lodend"


class RangesUpdate(PlotEvent):
    """The plot's ranges changed (pan, zoom, reset): `x0`, `x1`, `y0`, `y1`."""

    event_name = "rangesupdate"


class SelectionGeometry(PlotEvent):
    """A selection tool's shape (`geometry`: type and coordinates); `final` when released."""

    event_name = "selectiongeometry"


class Reset(PlotEvent):
    """The reset tool was used."""

    event_name = "reset"


class PointEvent(PlotEvent):
    """An event at a point: screen `sx`, `sy`, data `x`, `y`, and keyboard `modifiers`."""


class Tap(PointEvent):
    event_name = "tap"


class DoubleTap(PointEvent):
    event_name = "doubletap"


class Press(PointEvent):
    event_name = "press"


class PressUp(PointEvent):
    event_name = "pressup"


class MouseEnter(PointEvent):
    event_name = "mouseenter"


class MouseLeave(PointEvent):
    event_name = "mouseleave"


class MouseMove(PointEvent):
    event_name = "mousemove"


class MouseWheel(PointEvent):
    """A wheel turn; `delta` is how far."""

    event_name = "wheel"


class Pan(PointEvent):
    """A drag step; `delta_x`, `delta_y` in screen pixels."""

    event_name = "pan"


class PanStart(PointEvent):
    event_name = "panstart"


class PanEnd(PointEvent):
    event_name = "panend"


class Pinch(PointEvent):
    """A two-finger zoom step; `scale`."""

    event_name = "pinch"


class PinchStart(PointEvent):
    event_name = "pinchstart"


class PinchEnd(PointEvent):
    event_name = "pinchend"


class Rotate(PointEvent):
    """A two-finger rotation step; `rotation` in degrees."""

    event_name = "rotate"


class RotateStart(PointEvent):
    event_name = "rotatestart"


class RotateEnd(PointEvent):
    event_name = "rotateend"


def make_event(name: str, values: Mapping[str, Any]) -> Event:
    """The event object for a decoded wire event."""
    cls = EVENT_REGISTRY.get(name)
    if cls is None:
        cls = ModelEvent if "model" in values else DocumentEvent
    return cls(values, name=name)
