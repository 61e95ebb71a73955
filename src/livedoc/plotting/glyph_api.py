"""The glyph methods of a figure: `p.line(...)`, `p.vbar(...)`, ... each adds a GlyphRenderer.

Every coordinate or visual argument may be

* a column name of `source` (`p.line("time", "price", source=prices)`),
* data (a list, tuple or NumPy array): the method builds a `ColumnDataSource` holding it, under
  the argument's name (`p.scatter([1, 2, 3], [4, 5, 6], color=["red", "green", "blue"])`),
* a constant (`line_width=2`, `color="navy"`), or a `Field`/`Value`/transform spec.

Shorthands: `color=` and `alpha=` set the line, fill, hatch (and text) variants at once;
`selection_*`, `nonselection_*`, `hover_*` and `muted_*` visuals make the renderer's glyph for
that state; `legend_label="..."` adds a legend entry, `legend_field="column"` one per value
of the column (computed in the browser), `legend_group="column"` one per value computed once
in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from livedoc.document.kinds import AnyKind, KindMismatch, Spec
from livedoc.document.values import Field, Value
from livedoc.models import (
    AnnularWedge,
    Annulus,
    Arc,
    Bezier,
    Block,
    CDSView,
    Circle,
    ColumnDataSource,
    Ellipse,
    GlyphRenderer,
    HArea,
    HBar,
    HexTile,
    HSpan,
    HStrip,
    Image,
    ImageRGBA,
    ImageURL,
    Legend,
    LegendItem,
    Line,
    LinearColorMapper,
    MultiLine,
    MultiPolygons,
    Patch,
    Patches,
    Quad,
    Quadratic,
    Ray,
    Rect,
    Scatter,
    Segment,
    Step,
    Text,
    VArea,
    VBar,
    VSpan,
    VStrip,
    Wedge,
)
from livedoc.plotting.palettes import palette as named_palette

if TYPE_CHECKING:
    from livedoc.models import Plot
    from livedoc.models.catalog import Glyph

__all__ = ["GlyphAPI"]


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


#: An argument left out: the glyph keeps BokehJS's default (usually the column of that name).
UNSET: Final[Any] = _Unset()

_RENDERER_OPTIONS = frozenset(
    {"name", "visible", "level", "tags", "muted", "x_range_name", "y_range_name"}
)
_STATES = ("selection_", "nonselection_", "hover_", "muted_")
_VISUAL_PREFIXES = ("line_", "fill_", "hatch_", "text_")


def _is_data(value: object) -> bool:
    """Whether an argument is data for a column rather than a constant or a column name."""
    if isinstance(value, np.ndarray):
        return value.ndim >= 1
    if isinstance(value, list | tuple):
        return True
    return hasattr(value, "__array__") and not isinstance(value, str | bytes)  # pandas Series


def _source_of(source: Any) -> ColumnDataSource | None:
    if source is None or isinstance(source, ColumnDataSource):
        return source
    if isinstance(source, Mapping):
        return ColumnDataSource(data=dict(source))
    if hasattr(source, "columns") and hasattr(source, "__getitem__"):  # a pandas DataFrame
        return ColumnDataSource(
            data={str(name): np.asarray(source[name]) for name in source.columns}
        )
    raise TypeError(
        f"source must be a ColumnDataSource, a dict of columns or a DataFrame, "
        f"not {type(source).__name__}"
    )


def _expand_shorthands(glyph_type: type[Glyph], visuals: dict[str, Any]) -> dict[str, Any]:
    """`color`/`alpha` become every `*_color`/`*_alpha` the glyph has (explicit ones win)."""
    props = glyph_type.properties()
    result = {key: value for key, value in visuals.items() if key not in ("color", "alpha")}
    for short in ("color", "alpha"):
        if short not in visuals:
            continue
        targets = [f"{prefix}{short}" for prefix in _VISUAL_PREFIXES if f"{prefix}{short}" in props]
        if not targets and short in props:
            targets = [short]
        if not targets:
            raise TypeError(f"{glyph_type.__name__} has no {short} to set")
        for target in targets:
            result.setdefault(target, visuals[short])
    return result


def _is_constant(glyph_type: type[Glyph], attr: str, value: Any) -> bool:
    """Whether a sequence is one value of the property (a dash pattern, an RGB tuple)."""
    prop = glyph_type.properties().get(attr)
    if prop is None or not isinstance(prop.kind, Spec):
        return True  # not vectorized: the property takes the sequence itself
    if isinstance(prop.kind.inner, AnyKind):
        return False  # arrays per row (images, multi-line coordinates): always data
    try:
        prop.kind.inner.validate(value)
    except KindMismatch:
        return False
    return True


class GlyphAPI:
    """Mixed into the figure class: one method per glyph, all built by `_add`."""

    def _add(self, glyph_type: type[Glyph], kw: dict[str, Any], **args: Any) -> GlyphRenderer:
        plot: Plot = self  # type: ignore[assignment]
        source = _source_of(kw.pop("source", None))
        view = kw.pop("view", None)
        legend: dict[str, Any] = {
            key: kw.pop(key)
            for key in ("legend_label", "legend_field", "legend_group")
            if key in kw
        }
        if "legend" in kw:  # the old spelling: a string is a label
            legend.setdefault("legend_label", kw.pop("legend"))
        renderer_options = {key: kw.pop(key) for key in list(kw) if key in _RENDERER_OPTIONS}
        states = {
            state: {
                key.removeprefix(state): kw.pop(key) for key in list(kw) if key.startswith(state)
            }
            for state in _STATES
        }
        attrs = {key: value for key, value in args.items() if value is not UNSET}
        attrs.update(_expand_shorthands(glyph_type, kw))

        columns: dict[str, Any] = {}
        for attr, value in list(attrs.items()):
            if _is_data(value) and not _is_constant(glyph_type, attr, value):
                if source is not None:
                    raise ValueError(
                        f"{glyph_type.__name__}.{attr}: give a column name of the source, "
                        f"not data, when a source is passed"
                    )
                columns[attr] = value if isinstance(value, np.ndarray | list) else list(value)
                attrs[attr] = Field(attr)
        if source is None:
            source = ColumnDataSource(data=columns)

        glyph = glyph_type(**attrs)
        renderer = GlyphRenderer(
            data_source=source, glyph=glyph, view=view or CDSView(), **renderer_options
        )
        for state, visuals in states.items():
            if visuals:
                expanded = _expand_shorthands(glyph_type, visuals)
                setattr(renderer, f"{state}glyph", glyph_type(**{**attrs, **expanded}))
        plot.renderers = [*plot.renderers, renderer]
        if legend:
            _add_to_legend(plot, renderer, legend)
        return renderer

    # -- lines -----------------------------------------------------------------------------------

    def line(self, x: Any = UNSET, y: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """A line through the points (x, y)."""
        return self._add(Line, kw, x=x, y=y)

    def multi_line(self, xs: Any = UNSET, ys: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Several lines: each row of `xs`/`ys` is one line's coordinates."""
        return self._add(MultiLine, kw, xs=xs, ys=ys)

    def step(self, x: Any = UNSET, y: Any = UNSET, mode: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """A step line; `mode` is "before", "after" or "center"."""
        return self._add(Step, kw, x=x, y=y, mode=mode)

    def segment(
        self, x0: Any = UNSET, y0: Any = UNSET, x1: Any = UNSET, y1: Any = UNSET, **kw: Any
    ) -> GlyphRenderer:
        """Straight segments from (x0, y0) to (x1, y1)."""
        return self._add(Segment, kw, x0=x0, y0=y0, x1=x1, y1=y1)

    def ray(
        self, x: Any = UNSET, y: Any = UNSET, length: Any = UNSET, angle: Any = UNSET, **kw: Any
    ) -> GlyphRenderer:
        """Rays from (x, y) at `angle`, `length` long (0: to the edge of the plot)."""
        return self._add(Ray, kw, x=x, y=y, length=length, angle=angle)

    def bezier(self, x0: Any = UNSET, y0: Any = UNSET, x1: Any = UNSET, y1: Any = UNSET,
               cx0: Any = UNSET, cy0: Any = UNSET, cx1: Any = UNSET, cy1: Any = UNSET,
               **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Cubic Bézier curves from (x0, y0) to (x1, y1) with two control points each."""
        return self._add(Bezier, kw, x0=x0, y0=y0, x1=x1, y1=y1, cx0=cx0, cy0=cy0, cx1=cx1, cy1=cy1)

    def quadratic(self, x0: Any = UNSET, y0: Any = UNSET, x1: Any = UNSET, y1: Any = UNSET,
                  cx: Any = UNSET, cy: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Quadratic curves from (x0, y0) to (x1, y1) with one control point each."""
        return self._add(Quadratic, kw, x0=x0, y0=y0, x1=x1, y1=y1, cx=cx, cy=cy)

    # -- markers and shapes ----------------------------------------------------------------------

    def scatter(
        self, x: Any = UNSET, y: Any = UNSET, size: Any = UNSET, marker: Any = UNSET, **kw: Any
    ) -> GlyphRenderer:
        """Markers at (x, y): `marker="circle"` (or a column of marker names), `size` in pixels."""
        return self._add(Scatter, kw, x=x, y=y, size=size, marker=marker)

    def circle(
        self, x: Any = UNSET, y: Any = UNSET, radius: Any = UNSET, **kw: Any
    ) -> GlyphRenderer:
        """Circles of `radius` in data units; with `size=` instead, circle markers in pixels."""
        if radius is UNSET and "size" in kw:
            return self._add(Scatter, kw, x=x, y=y, marker="circle")
        return self._add(Circle, kw, x=x, y=y, radius=radius)

    def ellipse(self, x: Any = UNSET, y: Any = UNSET, width: Any = UNSET, height: Any = UNSET,
                angle: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Ellipses centred on (x, y)."""
        return self._add(Ellipse, kw, x=x, y=y, width=width, height=height, angle=angle)

    def rect(self, x: Any = UNSET, y: Any = UNSET, width: Any = UNSET, height: Any = UNSET,
             angle: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Rectangles centred on (x, y) (a heatmap's cells on categorical axes)."""
        return self._add(Rect, kw, x=x, y=y, width=width, height=height, angle=angle)

    def block(self, x: Any = UNSET, y: Any = UNSET, width: Any = UNSET, height: Any = UNSET,
              **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Rectangles with their bottom-left corner at (x, y)."""
        return self._add(Block, kw, x=x, y=y, width=width, height=height)

    def quad(self, left: Any = UNSET, right: Any = UNSET, top: Any = UNSET, bottom: Any = UNSET,
             **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Axis-aligned rectangles given by their edges (histogram bins)."""
        return self._add(Quad, kw, left=left, right=right, top=top, bottom=bottom)

    def vbar(self, x: Any = UNSET, width: Any = UNSET, top: Any = UNSET, bottom: Any = UNSET,
             **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Vertical bars centred on `x`, from `bottom` (0) up to `top`."""
        return self._add(VBar, kw, x=x, width=width, top=top, bottom=bottom)

    def hbar(self, y: Any = UNSET, height: Any = UNSET, right: Any = UNSET, left: Any = UNSET,
             **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Horizontal bars centred on `y`, from `left` (0) to `right`."""
        return self._add(HBar, kw, y=y, height=height, right=right, left=left)

    def hex_tile(self, q: Any = UNSET, r: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Hexagonal tiles at axial coordinates (q, r)."""
        return self._add(HexTile, kw, q=q, r=r)

    # -- areas -----------------------------------------------------------------------------------

    def varea(self, x: Any = UNSET, y1: Any = UNSET, y2: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """The area between two curves y1(x) and y2(x)."""
        return self._add(VArea, kw, x=x, y1=y1, y2=y2)

    def harea(self, x1: Any = UNSET, x2: Any = UNSET, y: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """The area between two curves x1(y) and x2(y)."""
        return self._add(HArea, kw, x1=x1, x2=x2, y=y)

    def patch(self, x: Any = UNSET, y: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """One filled polygon through the points (x, y)."""
        return self._add(Patch, kw, x=x, y=y)

    def patches(self, xs: Any = UNSET, ys: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Several filled polygons: each row of `xs`/`ys` is one polygon (maps, regions)."""
        return self._add(Patches, kw, xs=xs, ys=ys)

    def multi_polygons(self, xs: Any = UNSET, ys: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Polygons with holes, several per row (nested lists: polygons, rings, points)."""
        return self._add(MultiPolygons, kw, xs=xs, ys=ys)

    def vspan(self, x: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Vertical lines across the whole plot at each `x`."""
        return self._add(VSpan, kw, x=x)

    def hspan(self, y: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Horizontal lines across the whole plot at each `y`."""
        return self._add(HSpan, kw, y=y)

    def vstrip(self, x0: Any = UNSET, x1: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Vertical bands across the whole plot from x0 to x1."""
        return self._add(VStrip, kw, x0=x0, x1=x1)

    def hstrip(self, y0: Any = UNSET, y1: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Horizontal bands across the whole plot from y0 to y1."""
        return self._add(HStrip, kw, y0=y0, y1=y1)

    # -- wedges and arcs -------------------------------------------------------------------------

    def wedge(self, x: Any = UNSET, y: Any = UNSET, radius: Any = UNSET, start_angle: Any = UNSET,
              end_angle: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Pie slices centred on (x, y), from `start_angle` to `end_angle` (radians)."""
        return self._add(
            Wedge, kw, x=x, y=y, radius=radius, start_angle=start_angle, end_angle=end_angle
        )

    def annular_wedge(self, x: Any = UNSET, y: Any = UNSET, inner_radius: Any = UNSET,
                      outer_radius: Any = UNSET, start_angle: Any = UNSET,
                      end_angle: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Donut slices: wedges with a hole of `inner_radius`."""
        return self._add(AnnularWedge, kw, x=x, y=y, inner_radius=inner_radius,
                         outer_radius=outer_radius, start_angle=start_angle,
                         end_angle=end_angle)  # fmt: skip

    def annulus(self, x: Any = UNSET, y: Any = UNSET, inner_radius: Any = UNSET,
                outer_radius: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Rings centred on (x, y)."""
        return self._add(
            Annulus, kw, x=x, y=y, inner_radius=inner_radius, outer_radius=outer_radius
        )

    def arc(self, x: Any = UNSET, y: Any = UNSET, radius: Any = UNSET, start_angle: Any = UNSET,
            end_angle: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Circular arcs (lines, not filled)."""
        return self._add(
            Arc, kw, x=x, y=y, radius=radius, start_angle=start_angle, end_angle=end_angle
        )

    # -- text and images -------------------------------------------------------------------------

    def text(self, x: Any = UNSET, y: Any = UNSET, text: Any = UNSET, **kw: Any) -> GlyphRenderer:
        """Text at (x, y); `text` is a column of strings (or `value("...")` for one string)."""
        return self._add(Text, kw, x=x, y=y, text=text)

    def image(self, image: Any = UNSET, x: Any = UNSET, y: Any = UNSET, dw: Any = UNSET,
              dh: Any = UNSET, *, palette: Any = None, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """2-D arrays of scalars colored through a color mapper: `image=[array]`, the lower
        left corner at (x, y), `dw` by `dh` data units; `palette=` (a list of colors or a name
        such as "Viridis256") builds a linear color mapper over the data's range."""
        if palette is not None:
            if "color_mapper" in kw:
                raise TypeError("image: give a palette or a color_mapper, not both")
            colors = named_palette(palette) if isinstance(palette, str) else list(palette)
            kw["color_mapper"] = LinearColorMapper(palette=colors)
        return self._add(Image, kw, image=image, x=x, y=y, dw=dw, dh=dh)

    def image_rgba(self, image: Any = UNSET, x: Any = UNSET, y: Any = UNSET, dw: Any = UNSET,
                   dh: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """2-D arrays of packed RGBA colors (uint32, or uint8 with a last axis of 4)."""
        image = _packed_rgba(image)
        return self._add(ImageRGBA, kw, image=image, x=x, y=y, dw=dw, dh=dh)

    def image_url(self, url: Any = UNSET, x: Any = UNSET, y: Any = UNSET, w: Any = UNSET,
                  h: Any = UNSET, **kw: Any) -> GlyphRenderer:  # fmt: skip
        """Images loaded by the browser from `url`, placed at (x, y)."""
        return self._add(ImageURL, kw, url=url, x=x, y=y, w=w, h=h)


def _packed_rgba(image: Any) -> Any:
    """uint8 arrays of shape (h, w, 4) become the (h, w) uint32 arrays BokehJS draws."""
    if image is UNSET or isinstance(image, str):
        return image
    images = image if isinstance(image, list | tuple) else [image]
    packed = []
    for item in images:
        array = np.asarray(item)
        if array.dtype == np.uint8 and array.ndim == 3 and array.shape[-1] == 4:
            array = np.ascontiguousarray(array).view(np.uint32).reshape(array.shape[:2])
        packed.append(array)
    return packed


def _add_to_legend(plot: Plot, renderer: GlyphRenderer, legend: dict[str, Any]) -> None:
    """Add the renderer to the plot's legend (made on first use), merging equal labels."""
    legends = [item for item in plot.center if isinstance(item, Legend)]
    if legends:
        target = legends[0]
    else:
        target = Legend()
        plot.center = [*plot.center, target]
    if len(legend) > 1:
        raise TypeError(
            f"give one of legend_label, legend_field, legend_group, not {sorted(legend)}"
        )
    if "legend_group" in legend:
        column = str(legend["legend_group"])
        source = renderer.data_source
        if not isinstance(source, ColumnDataSource) or column not in source.data:
            raise ValueError(f"legend_group: the source has no column {column!r}")
        first_rows: dict[str, int] = {}
        for row, group in enumerate(source.data[column]):
            first_rows.setdefault(str(group), row)
        target.items = [
            *target.items,
            *(
                LegendItem(label=Value(group), renderers=[renderer], index=row)
                for group, row in first_rows.items()
            ),
        ]
        return
    if "legend_label" in legend:
        label: Any = Value(str(legend["legend_label"]))
    else:
        label = Field(str(legend["legend_field"]))
    for item in target.items:
        if item.label == label:
            item.renderers = [*item.renderers, renderer]
            return
    target.items = [*target.items, LegendItem(label=label, renderers=[renderer])]
