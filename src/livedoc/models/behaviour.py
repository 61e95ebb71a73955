"""Behaviour of generated models that is not a property: Python helpers for their UI events.

The catalog (`catalog.py`) is generated from BokehJS's property tables; these mixins add the
conveniences app authors expect on top, such as `button.on_click(callback)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from livedoc.document.ui_events import ButtonClick, MenuItemClick

if TYPE_CHECKING:
    from livedoc.document.model import EventCallback

__all__ = ["ClickEvents", "MenuEvents"]


class ClickEvents:
    """Buttons: `on_click(callback)` runs the callback (with or without the event) on a click."""

    def on_click(self, *callbacks: EventCallback) -> None:
        self.on_event(ButtonClick, *callbacks)  # type: ignore[attr-defined]


class MenuEvents(ClickEvents):
    """Dropdowns: a click on the button or on a menu item (`event.item` names the item)."""

    def on_menu_click(self, *callbacks: EventCallback) -> None:
        self.on_event(MenuItemClick, *callbacks)  # type: ignore[attr-defined]
