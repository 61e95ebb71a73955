"""`figure()` and its glyph methods build the models a bokeh.plotting user expects."""

from __future__ import annotations

import numpy as np
import pytest

from livedoc.document import Document, Field, Value
from livedoc.document.model import ValidationError
from livedoc.events import RangesUpdate, Tap
from livedoc.models import (
    BoxSelectTool,
    CategoricalAxis,
    Circle,
    ColumnDataSource,
    DatetimeAxis,
    DatetimeTicker,
    FactorRange,
    GridPlot,
    HoverTool,
    Image,
    Legend,
    LinearColorMapper,
    LogAxis,
    PanTool,
    Range1d,
    RangeTool,
    Scatter,
    ToolProxy,
    VBar,
)
from livedoc.plotting import column, dodge, factor_cmap, figure, gridplot, linear_cmap, row
from livedoc.plotting.palettes import Category10, Viridis256, interpolate, viridis


def test_data_given_directly_becomes_a_source_with_columns_named_by_argument() -> None:
    p = figure()
    renderer = p.scatter([1, 2, 3], np.array([4.0, 5.0, 6.0]), color=["red", "green", "blue"])
    data = renderer.data_source.data
    assert list(data["x"]) == [1, 2, 3]
    assert list(data["y"]) == [4.0, 5.0, 6.0]
    glyph = renderer.glyph
    assert isinstance(glyph, Scatter)
    assert glyph.x == Field("x")
    assert glyph.y == Field("y")
    # `color` fills every color of the glyph from the one column
    assert glyph.fill_color == Field("fill_color")
    assert glyph.line_color == Field("line_color")
    assert list(data["fill_color"]) == ["red", "green", "blue"]
    assert renderer in p.renderers


def test_column_names_refer_to_the_given_source_and_constants_stay_values() -> None:
    source = ColumnDataSource(data={"t": [1, 2], "v": [3, 4]})
    p = figure()
    renderer = p.line("t", "v", source=source, line_width=3, color="navy")
    assert renderer.data_source is source
    assert renderer.glyph.x == Field("t")
    assert renderer.glyph.line_width == 3  # a line's visuals are scalars
    assert renderer.glyph.line_color == "navy"
    bars = p.vbar(x="t", top="v", source=source, line_dash=[4, 2], fill_alpha=0.5)
    assert bars.glyph.line_dash == Value([4, 2])  # a dash pattern, not a column
    assert bars.glyph.fill_alpha == Value(0.5)


def test_data_together_with_a_source_is_refused() -> None:
    source = ColumnDataSource(data={"x": [1]})
    with pytest.raises(ValueError, match=r"Line\.y: give a column name of the source"):
        figure().line("x", [1, 2], source=source)


def test_dict_source_and_every_listed_glyph() -> None:
    p = figure()
    p.vbar(x=[1, 2], top=[3, 4], width=0.5)
    p.hbar(y=[1, 2], right=[3, 4], height=0.5)
    p.quad(left=[0], right=[1], top=[1], bottom=[0])
    p.rect(x=[1], y=[1], width=1, height=1)
    p.varea(x=[1, 2], y1=[0, 0], y2=[1, 2])
    p.harea(x1=[0, 0], x2=[1, 2], y=[1, 2])
    p.multi_line([[1, 2], [3, 4, 5]], [[1, 2], [3, 4, 5]])
    p.patches([[1, 2, 3]], [[1, 2, 1]])
    p.segment(0, 0, [1, 2], [1, 2])
    p.wedge(0, 0, 1, 0, 1)
    p.annular_wedge(0, 0, 0.5, 1, 0, 1)
    p.text([1, 2], [1, 2], text=["a", "b"])
    p.image(image=[np.zeros((4, 4))], x=0, y=0, dw=1, dh=1, palette="Viridis256")
    p.line(source={"x": [1, 2], "y": [3, 4]})
    names = [type(r.glyph).__name__ for r in p.renderers]
    assert names == [
        "VBar", "HBar", "Quad", "Rect", "VArea", "HArea", "MultiLine", "Patches", "Segment",
        "Wedge", "AnnularWedge", "Text", "Image", "Line",
    ]  # fmt: skip
    text = p.renderers[11]
    assert text.glyph.text == Field("text")
    assert list(text.data_source.data["text"]) == ["a", "b"]
    image = p.renderers[12]
    assert isinstance(image.glyph.color_mapper, LinearColorMapper)
    assert image.glyph.color_mapper.palette == Viridis256
    assert image.data_source.data["image"][0].shape == (4, 4)


def test_circle_with_a_radius_is_a_circle_and_with_a_size_a_marker() -> None:
    p = figure()
    assert isinstance(p.circle([1], [2], radius=0.5).glyph, Circle)
    marker = p.circle([1], [2], size=9).glyph
    assert isinstance(marker, Scatter)
    assert marker.marker == Value("circle")


def test_image_rgba_packs_uint8_pixels() -> None:
    pixels = np.zeros((2, 3, 4), dtype=np.uint8)
    pixels[..., 0] = 255
    pixels[..., 3] = 255
    image = figure().image_rgba(image=[pixels], x=0, y=0, dw=1, dh=1).data_source.data["image"]
    assert image[0].dtype == np.uint32
    assert image[0].shape == (2, 3)


def test_legend_label_merges_renderers_with_the_same_label() -> None:
    p = figure()
    a = p.line([1, 2], [1, 2], legend_label="price")
    b = p.scatter([1, 2], [1, 2], legend_label="price")
    c = p.line([1, 2], [2, 1], legend_label="volume")
    legends = [item for item in p.center if isinstance(item, Legend)]
    assert len(legends) == 1
    items = legends[0].items
    assert [item.label for item in items] == [Value("price"), Value("volume")]
    assert items[0].renderers == [a, b]
    assert items[1].renderers == [c]


def test_state_glyphs_from_prefixed_visuals() -> None:
    renderer = figure().scatter(
        [1], [2], selection_color="red", nonselection_alpha=0.1, hover_fill_color="gold"
    )
    assert renderer.selection_glyph.fill_color == Value("red")
    assert renderer.nonselection_glyph.fill_alpha == Value(0.1)
    assert renderer.hover_glyph.fill_color == Value("gold")
    assert renderer.muted_glyph == "auto"  # untouched states keep BokehJS's automatic glyph


def test_figure_options() -> None:
    p = figure(
        title="prices",
        x_axis_type="datetime",
        y_axis_type="log",
        y_range=(1, 100),
        tools="pan,box_select,reset",
        tooltips=[("close", "@close")],
        active_drag="box_select",
        x_axis_label="date",
        sizing_mode="stretch_width",
    )
    assert p.title.text == "prices"
    assert isinstance(p.below[0], DatetimeAxis)
    assert p.below[0].axis_label == "date"
    assert isinstance(p.left[0], LogAxis)
    assert isinstance(p.y_range, Range1d)
    assert (p.y_range.start, p.y_range.end) == (1, 100)
    tools = p.toolbar.tools
    assert [type(tool) for tool in tools] == [PanTool, BoxSelectTool, type(tools[2]), HoverTool]
    assert tools[3].tooltips == [("close", "@close")]
    assert p.toolbar.active_drag is tools[1]
    assert p.sizing_mode == "stretch_width"
    assert len(p.xaxis) == 1
    assert len(p.yaxis) == 1
    assert len(p.grids) == 2


def test_factors_make_a_categorical_axis() -> None:
    p = figure(x_range=["apples", "pears"])
    assert isinstance(p.x_range, FactorRange)
    assert isinstance(p.below[0], CategoricalAxis)
    bars = p.vbar(
        x=dodge("fruit", -0.2, range=p.x_range),
        top="2015",
        width=0.2,
        source={"fruit": ["apples", "pears"], "2015": [1, 2]},
        color=factor_cmap("fruit", Category10, ["apples", "pears"]),
    )
    assert isinstance(bars.glyph, VBar)
    assert bars.glyph.x.transform.value == -0.2


def test_bad_arguments_get_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown tool 'zoom'"):
        figure(tools="zoom")
    with pytest.raises(ValueError, match="axis type 'polar'"):
        figure(x_axis_type="polar")
    with pytest.raises(ValidationError, match=r"Scatter\.marker"):
        figure().scatter([1], [2], marker=42)
    with pytest.raises(ValidationError, match=r"Line\.line_join: expected one of"):
        figure().line([1], [2], line_join="pointy")
    with pytest.raises(ValidationError, match="Line has no property 'bogus'"):
        figure().line([1], [2], bogus=1)


def test_linear_cmap_colors_by_a_column() -> None:
    renderer = figure().scatter("x", "y", source={"x": [1], "y": [2], "z": [0.5]},
                                color=linear_cmap("z", Viridis256, 0, 1))  # fmt: skip
    spec = renderer.glyph.fill_color
    assert spec.field == "z"
    assert isinstance(spec.transform, LinearColorMapper)
    assert (spec.transform.low, spec.transform.high) == (0, 1)


def test_gridplot_shares_one_toolbar_and_merges_tools() -> None:
    p1, p2 = figure(), figure()
    grid = gridplot([[p1, p2], [None, figure()]], width=250, height=200)
    assert isinstance(grid, GridPlot)
    assert [(r, c) for _, r, c in grid.children] == [(0, 0), (0, 1), (1, 1)]
    assert p1.width == 250
    assert p1.toolbar_location is None
    merged = grid.toolbar.tools
    assert all(isinstance(tool, ToolProxy) and len(tool.tools) == 3 for tool in merged)
    flat = gridplot([figure(), figure(), figure()], ncols=2)
    assert [(r, c) for _, r, c in flat.children] == [(0, 0), (0, 1), (1, 0)]


def test_layouts_and_a_whole_document_serialize() -> None:
    p = figure()
    p.line([1, 2], [3, 4])
    doc = Document()
    doc.add_root(column(row(p), p.scatter([1], [1]).data_source and figure()))
    content, _ = doc.to_json()
    assert content["roots"][0]["name"] == "Column"


def test_ui_events_subscribe_the_model() -> None:
    p = figure()
    seen: list[object] = []
    p.on_event(Tap, seen.append)
    p.on_event(RangesUpdate, seen.append)
    assert p.subscribed_events == {"tap", "rangesupdate"}


def test_palettes() -> None:
    assert len(Viridis256) == 256
    assert Viridis256[0] == "#440154"
    assert Viridis256[-1] == "#fde725"
    assert viridis(10)[5] == "#1f9e89"  # ten colors: exactly the anchors
    assert interpolate(["#000000", "#ffffff"], 3) == ["#000000", "#808080", "#ffffff"]
    with pytest.raises(ValueError, match="unknown palette"):
        figure().image(image=[np.zeros((2, 2))], palette="rainbow")


def test_configured_default_models_exist_in_python_as_in_bokeh() -> None:
    box_zoom = figure(tools="box_zoom").toolbar.tools[0]
    box_zoom.overlay.fill_color = "navy"  # styling a tool's overlay, as bokeh apps do
    assert box_zoom.overlay.level == "overlay"
    assert box_zoom.overlay.syncable is False
    assert len(DatetimeTicker().tickers) > 5
    assert Image().color_mapper.palette[0] == "#000000"  # greys by default
    assert RangeTool().overlay.fill_alpha == 0.5


def test_legend_group_makes_one_item_per_value_and_field_one_computed_in_the_browser() -> None:
    p = figure()
    source = {"x": [1, 2, 3, 4], "y": [1, 2, 3, 4], "kind": ["a", "b", "a", "c"]}
    p.scatter("x", "y", source=source, legend_group="kind")
    [legend] = [item for item in p.center if isinstance(item, Legend)]
    assert [(item.label, item.index) for item in legend.items] == [
        (Value("a"), 0),
        (Value("b"), 1),
        (Value("c"), 3),
    ]
    q = figure()
    q.scatter("x", "y", source=source, legend_field="kind")
    [legend] = [item for item in q.center if isinstance(item, Legend)]
    assert legend.items[0].label == Field("kind")
    with pytest.raises(ValueError, match="no column 'nope'"):
        figure().scatter("x", "y", source=source, legend_group="nope")
