"""`figure()`: a plot with axes, grids and a toolbar, and glyph methods that build renderers.

p = figure(title="sensor", width=700, height=300, x_axis_label="t")
p.line("t", "y", source=source, line_width=2)       # columns of a ColumnDataSource
p.scatter([1, 2, 3], [4, 5, 6], size=8)              # or data directly (a source is made)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from livedoc.models import (
    BoxZoomTool,
    CategoricalAxis,
    CategoricalScale,
    ColumnDataSource,
    DataRange1d,
    DatetimeAxis,
    FactorRange,
    Figure,
    Grid,
    HelpTool,
    Line,
    LinearAxis,
    LinearScale,
    LogAxis,
    LogScale,
    PanTool,
    Range,
    Range1d,
    ResetTool,
    SaveTool,
    Scatter,
    Title,
    Tool,
    Toolbar,
    WheelZoomTool,
)
from livedoc.models.catalog import Axis, GlyphRenderer, Scale, XYGlyph

__all__ = ["DEFAULT_TOOLS", "PlotBuilder", "figure"]

DEFAULT_TOOLS = "pan,wheel_zoom,box_zoom,save,reset,help"

_TOOLS: dict[str, type[Tool]] = {
    "pan": PanTool,
    "wheel_zoom": WheelZoomTool,
    "box_zoom": BoxZoomTool,
    "save": SaveTool,
    "reset": ResetTool,
    "help": HelpTool,
}
_AXES: dict[str, tuple[type[Axis], type[Scale]]] = {
    "linear": (LinearAxis, LinearScale),
    "log": (LogAxis, LogScale),
    "datetime": (DatetimeAxis, LinearScale),
}


def _range(spec: Any) -> Range:
    """A range from a Range, a (start, end) pair, a list of factors, or None (fit the data)."""
    if spec is None:
        return DataRange1d()
    if isinstance(spec, Range):
        return spec
    if isinstance(spec, Sequence) and spec and all(isinstance(item, str) for item in spec):
        return FactorRange(factors=list(spec))
    if isinstance(spec, Sequence) and len(spec) == 2:
        return Range1d(start=spec[0], end=spec[1])
    raise ValueError(f"a range is a Range, (start, end), a list of factors or None; got {spec!r}")


def _tools(spec: str | Sequence[Tool | str]) -> list[Tool]:
    names = spec.split(",") if isinstance(spec, str) else spec
    tools: list[Tool] = []
    for item in names:
        if isinstance(item, Tool):
            tools.append(item)
            continue
        name = item.strip()
        if not name:
            continue
        if name not in _TOOLS:
            raise ValueError(f"unknown tool {name!r}; known tools: {', '.join(sorted(_TOOLS))}")
        tools.append(_TOOLS[name]())
    return tools


class PlotBuilder:
    """The glyph methods of a figure: each adds a GlyphRenderer and returns it."""

    def _glyph(
        self, glyph_type: type[XYGlyph], x: Any, y: Any, source: ColumnDataSource | None, **kw: Any
    ) -> GlyphRenderer:
        plot: Figure = self  # type: ignore[assignment]
        if source is None:
            source = ColumnDataSource(data={"x": np.asarray(x), "y": np.asarray(y)})
            x, y = "x", "y"
        renderer_keys = {"name", "visible", "level", "tags"}
        renderer_attrs = {key: kw.pop(key) for key in list(kw) if key in renderer_keys}
        glyph = glyph_type(x=x, y=y, **kw)
        renderer = GlyphRenderer(data_source=source, glyph=glyph, **renderer_attrs)
        plot.renderers = [*plot.renderers, renderer]
        return renderer

    def line(
        self, x: Any = "x", y: Any = "y", *, source: ColumnDataSource | None = None, **kw: Any
    ) -> GlyphRenderer:
        """A line through the points; `x`/`y` are column names of `source`, or the data."""
        return self._glyph(Line, x, y, source, **kw)

    def scatter(
        self, x: Any = "x", y: Any = "y", *, source: ColumnDataSource | None = None, **kw: Any
    ) -> GlyphRenderer:
        """Markers at the points (`marker="circle"`, `size=...`)."""
        return self._glyph(Scatter, x, y, source, **kw)


class _PlottingFigure(Figure, PlotBuilder, name="Figure"):
    """A Figure with glyph methods (what `figure()` returns)."""


def figure(
    *,
    title: str | None = None,
    width: int | None = 600,
    height: int | None = 600,
    x_range: Any = None,
    y_range: Any = None,
    x_axis_type: str = "linear",
    y_axis_type: str = "linear",
    x_axis_label: str | None = None,
    y_axis_label: str | None = None,
    tools: str | Sequence[Tool | str] = DEFAULT_TOOLS,
    toolbar_location: str | None = "right",
    **attributes: Any,
) -> _PlottingFigure:
    """A plot with axes below and left, grids, a title and the given tools."""
    plot = _PlottingFigure(
        width=width,
        height=height,
        x_range=_range(x_range),
        y_range=_range(y_range),
        toolbar=Toolbar(tools=_tools(tools)),
        toolbar_location=toolbar_location,
        **attributes,
    )
    if title is not None:
        plot.title = Title(text=title)
    for dimension, (axis_type, label) in enumerate(
        ((x_axis_type, x_axis_label), (y_axis_type, y_axis_label))
    ):
        plot_range = plot.x_range if dimension == 0 else plot.y_range
        axis: Axis
        scale: Scale
        if isinstance(plot_range, FactorRange):
            axis, scale = CategoricalAxis(), CategoricalScale()
        else:
            if axis_type not in _AXES:
                raise ValueError(f"axis type {axis_type!r}: use one of {', '.join(_AXES)}")
            axis_class, scale_class = _AXES[axis_type]
            axis, scale = axis_class(), scale_class()
        if label is not None:
            axis.axis_label = label
        if dimension == 0:
            plot.x_scale, plot.below = scale, [*plot.below, axis]
        else:
            plot.y_scale, plot.left = scale, [*plot.left, axis]
        plot.center = [*plot.center, Grid(dimension=dimension, ticker=axis.ticker)]
    return plot
