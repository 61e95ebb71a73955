"""`figure()`: a plot with axes, grids, a title and a toolbar, plus the glyph methods.

p = figure(title="prices", x_axis_type="datetime", tools="pan,wheel_zoom,reset",
           tooltips=[("price", "@close")], height=300, sizing_mode="stretch_width")
p.line("date", "close", source=prices, legend_label="close")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from livedoc.models import (
    BoxSelectTool,
    BoxZoomTool,
    CategoricalAxis,
    CategoricalScale,
    CopyTool,
    CrosshairTool,
    DataRange1d,
    DatetimeAxis,
    ExamineTool,
    FactorRange,
    Figure,
    FullscreenTool,
    Grid,
    HelpTool,
    HoverTool,
    LassoSelectTool,
    LinearAxis,
    LinearScale,
    LogAxis,
    LogScale,
    MercatorAxis,
    PanTool,
    PolySelectTool,
    Range,
    Range1d,
    RedoTool,
    ResetTool,
    SaveTool,
    TapTool,
    Title,
    Tool,
    Toolbar,
    UndoTool,
    WheelPanTool,
    WheelZoomTool,
    ZoomInTool,
    ZoomOutTool,
)
from livedoc.models.catalog import Axis, Scale
from livedoc.plotting.glyph_api import GlyphAPI

__all__ = ["DEFAULT_TOOLS", "TOOLS", "figure"]

DEFAULT_TOOLS: Final = "pan,wheel_zoom,box_zoom,save,reset,help"

_BOTH: Final[dict[str, Any]] = {}
_WIDTH: Final = {"dimensions": "width"}
_HEIGHT: Final = {"dimensions": "height"}

#: Tool names for `figure(tools="...")`: the class and its arguments.
TOOLS: Final[dict[str, tuple[type[Tool], dict[str, Any]]]] = {
    "pan": (PanTool, _BOTH),
    "xpan": (PanTool, _WIDTH),
    "ypan": (PanTool, _HEIGHT),
    "wheel_zoom": (WheelZoomTool, _BOTH),
    "xwheel_zoom": (WheelZoomTool, _WIDTH),
    "ywheel_zoom": (WheelZoomTool, _HEIGHT),
    "xwheel_pan": (WheelPanTool, {"dimension": "width"}),
    "ywheel_pan": (WheelPanTool, {"dimension": "height"}),
    "zoom_in": (ZoomInTool, _BOTH),
    "xzoom_in": (ZoomInTool, _WIDTH),
    "yzoom_in": (ZoomInTool, _HEIGHT),
    "zoom_out": (ZoomOutTool, _BOTH),
    "xzoom_out": (ZoomOutTool, _WIDTH),
    "yzoom_out": (ZoomOutTool, _HEIGHT),
    "box_zoom": (BoxZoomTool, _BOTH),
    "xbox_zoom": (BoxZoomTool, _WIDTH),
    "ybox_zoom": (BoxZoomTool, _HEIGHT),
    "box_select": (BoxSelectTool, _BOTH),
    "xbox_select": (BoxSelectTool, _WIDTH),
    "ybox_select": (BoxSelectTool, _HEIGHT),
    "lasso_select": (LassoSelectTool, {}),
    "poly_select": (PolySelectTool, {}),
    "tap": (TapTool, {}),
    "hover": (HoverTool, {}),
    "crosshair": (CrosshairTool, {}),
    "reset": (ResetTool, {}),
    "save": (SaveTool, {}),
    "copy": (CopyTool, {}),
    "undo": (UndoTool, {}),
    "redo": (RedoTool, {}),
    "help": (HelpTool, {}),
    "examine": (ExamineTool, {}),
    "fullscreen": (FullscreenTool, {}),
}
_AXES: Final[dict[str, tuple[type[Axis], type[Scale]]]] = {
    "linear": (LinearAxis, LinearScale),
    "log": (LogAxis, LogScale),
    "datetime": (DatetimeAxis, LinearScale),
    "mercator": (MercatorAxis, LinearScale),
}
_ACTIVE: Final = {
    "active_drag": "drag",
    "active_inspect": "inspect",
    "active_scroll": "scroll",
    "active_tap": "tap",
    "active_multi": "multi",
}


def _range(spec: Any) -> Range:
    """A range from a Range, a (start, end) pair, a list of factors, or None (fit the data)."""
    if spec is None:
        return DataRange1d()
    if isinstance(spec, Range):
        return spec
    if isinstance(spec, Sequence) and not isinstance(spec, str) and spec:
        if all(isinstance(item, str | tuple) for item in spec):
            return FactorRange(factors=list(spec))
        if len(spec) == 2:
            return Range1d(start=spec[0], end=spec[1])
    raise ValueError(
        f"a range is a Range, a (start, end) pair, a list of factors or None; got {spec!r}"
    )


def _tools(spec: str | Sequence[Tool | str]) -> list[Tool]:
    names = spec.replace(" ", ",").split(",") if isinstance(spec, str) else spec
    tools: list[Tool] = []
    for item in names:
        if isinstance(item, Tool):
            tools.append(item)
            continue
        name = item.strip()
        if not name:
            continue
        if name not in TOOLS:
            raise ValueError(f"unknown tool {name!r}; known tools: {', '.join(sorted(TOOLS))}")
        tool_type, arguments = TOOLS[name]
        tools.append(tool_type(**arguments))
    return tools


def _with_tooltips(tools: list[Tool], tooltips: Any) -> list[Tool]:
    """Tooltips go on the (first) hover tool, which is added if the tools lack one."""
    hovers = [tool for tool in tools if isinstance(tool, HoverTool)]
    if hovers:
        hovers[0].tooltips = tooltips
        return tools
    return [*tools, HoverTool(tooltips=tooltips)]


def _set_active(toolbar: Toolbar, options: dict[str, Any]) -> None:
    """`active_drag="box_zoom"` picks that tool from the toolbar (or "auto", or None)."""
    for option, value in options.items():
        if isinstance(value, str) and value != "auto":
            if value not in TOOLS:
                raise ValueError(f"{option}: unknown tool {value!r}")
            tool_type = TOOLS[value][0]
            matches = [tool for tool in toolbar.tools if type(tool) is tool_type]
            if not matches:
                raise ValueError(f"{option}={value!r}, but the figure has no {value} tool")
            value = matches[0]
        setattr(toolbar, f"active_{_ACTIVE[option]}", value)


def _axis(axis_type: str | None, plot_range: Range, label: str | None) -> tuple[Axis, Scale]:
    if isinstance(plot_range, FactorRange) or axis_type == "categorical":
        axis: Axis = CategoricalAxis()
        scale: Scale = CategoricalScale()
    else:
        if axis_type in (None, "auto"):
            axis_type = "linear"
        if axis_type not in _AXES:
            raise ValueError(
                f"axis type {axis_type!r}: use one of {', '.join(_AXES)}, categorical or auto"
            )
        axis_class, scale_class = _AXES[axis_type]
        axis, scale = axis_class(), scale_class()
    if label is not None:
        axis.axis_label = label
    return axis, scale


class PlottingFigure(Figure, GlyphAPI, name="Figure"):
    """A Figure with glyph methods (what `figure()` returns); on the wire a plain Figure."""

    def add_tools(self, *tools: Tool | str) -> None:
        """Add tools (models or names such as "hover") to the toolbar."""
        self.toolbar.tools = [*self.toolbar.tools, *_tools(list(tools))]

    def add_layout(self, annotation: Any, place: str = "center") -> None:
        """Add an annotation, axis or color bar: `place` is center, left, right, above or below."""
        if place not in ("center", "left", "right", "above", "below"):
            raise ValueError(f"place must be center, left, right, above or below, not {place!r}")
        setattr(self, place, [*getattr(self, place), annotation])

    @property
    def xaxis(self) -> list[Axis]:
        """The plot's x axes (to style them: `p.xaxis[0].axis_label = "t"`)."""
        return [axis for axis in (*self.below, *self.above) if isinstance(axis, Axis)]

    @property
    def yaxis(self) -> list[Axis]:
        return [axis for axis in (*self.left, *self.right) if isinstance(axis, Axis)]

    @property
    def grids(self) -> list[Grid]:
        return [item for item in self.center if isinstance(item, Grid)]


def figure(
    *,
    title: str | Title | None = None,
    width: int | None = 600,
    height: int | None = 600,
    x_range: Any = None,
    y_range: Any = None,
    x_axis_type: str | None = "auto",
    y_axis_type: str | None = "auto",
    x_axis_location: str | None = "below",
    y_axis_location: str | None = "left",
    x_axis_label: str | None = None,
    y_axis_label: str | None = None,
    tools: str | Sequence[Tool | str] = DEFAULT_TOOLS,
    tooltips: Any = None,
    toolbar_location: str | None = "right",
    active_drag: Any = "auto",
    active_inspect: Any = "auto",
    active_scroll: Any = "auto",
    active_tap: Any = "auto",
    active_multi: Any = "auto",
    **attributes: Any,
) -> PlottingFigure:
    """A plot with axes, grids, a title and the given tools; every other keyword is a Plot
    attribute (`sizing_mode`, `background_fill_color`, `match_aspect`, ...).

    `x_range`/`y_range`: None (fit the data), a (start, end) pair, a list of factors (a
    categorical axis), or a Range model. `x_axis_type`: "auto", "linear", "log", "datetime",
    "mercator", "categorical", or None for no axis. `tools`: names separated by commas (see
    `TOOLS`) or tool models. `tooltips`: what the hover tool shows, as [(label, "@column")].
    """
    tool_list = _tools(tools)
    if tooltips is not None:
        tool_list = _with_tooltips(tool_list, tooltips)
    toolbar = Toolbar(tools=tool_list)
    _set_active(
        toolbar,
        {
            "active_drag": active_drag,
            "active_inspect": active_inspect,
            "active_scroll": active_scroll,
            "active_tap": active_tap,
            "active_multi": active_multi,
        },
    )
    plot = PlottingFigure(
        width=width,
        height=height,
        x_range=_range(x_range),
        y_range=_range(y_range),
        toolbar=toolbar,
        toolbar_location=toolbar_location,
        **attributes,
    )
    # Always a Title model (as bokeh.plotting does), so `p.title.text = ...` works later.
    plot.title = title if isinstance(title, Title) else Title(text=title or "")
    for dimension, axis_type, location, label in (
        (0, x_axis_type, x_axis_location, x_axis_label),
        (1, y_axis_type, y_axis_location, y_axis_label),
    ):
        plot_range = plot.x_range if dimension == 0 else plot.y_range
        axis, scale = _axis(axis_type, plot_range, label)
        if dimension == 0:
            plot.x_scale = scale
        else:
            plot.y_scale = scale
        if axis_type is None:
            continue  # a scale but no axis and no grid
        if location is not None:
            setattr(plot, location, [*getattr(plot, location), axis])
        plot.center = [*plot.center, Grid(dimension=dimension, ticker=axis.ticker)]
    return plot
