"""Arranging plots and widgets: `row`, `column` and `gridplot` (one shared toolbar).

doc.add_root(column(row(slider, select), gridplot([[p1, p2], [p3, None]], width=300)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livedoc.models import Column, GridPlot, Plot, Row, Tool, Toolbar, ToolProxy
from livedoc.models.catalog import UIElement

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["column", "gridplot", "row"]


def _children(children: tuple[Any, ...]) -> list[UIElement]:
    """`row(a, b)` and `row([a, b])` both work."""
    if len(children) == 1 and isinstance(children[0], list | tuple):
        children = tuple(children[0])
    for child in children:
        if not isinstance(child, UIElement):
            raise TypeError(f"a layout holds plots, widgets and layouts, not {child!r}")
    return list(children)


def row(*children: Any, **attributes: Any) -> Row:
    """Children side by side; keywords are Row attributes (`sizing_mode`, `spacing`, ...)."""
    return Row(children=_children(children), **attributes)


def column(*children: Any, **attributes: Any) -> Column:
    """Children one above the other; keywords are Column attributes."""
    return Column(children=_children(children), **attributes)


def _tool_key(tool: Tool) -> tuple[str, str]:
    """Tools with the same type and settings merge into one toolbar button."""
    settings = {
        attr: repr(getattr(tool, attr))
        for attr in ("dimensions", "dimension", "tooltips", "mode")
        if attr in tool.properties()
    }
    return type(tool).__name__, repr(sorted(settings.items()))


def _merged(tools: list[Tool]) -> list[Tool | ToolProxy]:
    groups: dict[tuple[str, str], list[Tool]] = {}
    for tool in tools:
        groups.setdefault(_tool_key(tool), []).append(tool)
    return [group[0] if len(group) == 1 else ToolProxy(tools=group) for group in groups.values()]


def gridplot(
    children: Sequence[Any],
    *,
    ncols: int | None = None,
    width: int | None = None,
    height: int | None = None,
    toolbar_location: str | None = "above",
    merge_tools: bool = True,
    **attributes: Any,
) -> GridPlot:
    """Plots in a grid with one toolbar for all of them.

    `children` is a list of rows (lists, `None` leaving a cell empty), or a flat list with
    `ncols`. `width`/`height` size every plot. With `merge_tools`, one button drives the same
    tool of every plot (pan them all together, reset them all).
    """
    if ncols is not None:
        if any(isinstance(child, list | tuple) for child in children):
            raise ValueError("gridplot: give a flat list with ncols, or a list of rows without")
        flat = list(children)
        rows = [flat[start : start + ncols] for start in range(0, len(flat), ncols)]
    else:
        rows = [list(item) if isinstance(item, list | tuple) else [item] for item in children]
    cells: list[tuple[UIElement, int, int]] = []
    tools: list[Tool] = []
    for r, items in enumerate(rows):
        for c, item in enumerate(items):
            if item is None:
                continue
            if not isinstance(item, UIElement):
                raise TypeError(f"gridplot cell ({r}, {c}) holds {item!r}, not a plot or widget")
            if isinstance(item, Plot):
                if width is not None:
                    item.width = width
                if height is not None:
                    item.height = height
                tools.extend(tool for tool in item.toolbar.tools if isinstance(tool, Tool))
                item.toolbar_location = None
            cells.append((item, r, c))
    toolbar = Toolbar(tools=_merged(tools) if merge_tools else tools)
    return GridPlot(
        children=cells, toolbar=toolbar, toolbar_location=toolbar_location, **attributes
    )
