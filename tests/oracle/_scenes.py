"""The documents the oracle tests start from, built with livedoc or with bokeh."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import numpy as np
from bokeh.document import Document as BokehDocument
from bokeh.layouts import column, row
from bokeh.models import (
    Button,
    CheckboxGroup,
    ColumnDataSource as BokehSource,
    CustomJS,
    DataTable,
    DatePicker,
    Div,
    FactorRange,
    MultiChoice,
    NumberFormatter,
    RangeSlider,
    Select,
    Slider,
    TableColumn,
    TabPanel,
    Tabs,
    TextInput,
    Toggle,
)
from bokeh.plotting import figure

from livedoc.document import Document
from livedoc.models import ColumnDataSource


def start_columns() -> dict[str, Any]:
    """The columns every patch scene starts with: float, 64-bit int (sent as int32), strings,
    and an image column (a list of 2-D arrays)."""
    return {
        "x": np.arange(5.0),
        "n": np.arange(5, dtype=np.int64) * 10,
        "s": ["a", "b", "c", "d", "e"],
        "img": [np.arange(6.0).reshape(2, 3) + 10 * k for k in range(5)],
    }


def livedoc_source_doc() -> Document:
    """A livedoc-built document: one typed ColumnDataSource named "source"."""
    doc = Document(title="scene")
    doc.add_root(ColumnDataSource(start_columns(), name="source"))
    return doc


def bokeh_source_doc() -> BokehDocument:
    """The same document, built with bokeh."""
    doc = BokehDocument()
    doc.title = "scene"
    doc.add_root(BokehSource(data=start_columns(), name="source"))
    return doc


def bokeh_app_doc() -> BokehDocument:
    """A small bokeh app: a figure drawing the source, a button, a slider and a div."""
    source = BokehSource(data=start_columns(), name="source")
    plot = figure(name="plot", title="scene", width=300, height=200)
    plot.line("x", "x", source=source)
    plot.image(image="img", x=0, y=0, dw=1, dh=1, source=source, palette="Viridis256")
    button = Button(label="go", name="button")
    button.on_event("button_click", lambda: None)
    doc = BokehDocument()
    doc.title = "scene"
    doc.add_root(
        column(
            plot,
            row(
                button, Slider(start=0, end=10, value=3, name="slider"), Div(text="hi", name="div")
            ),
            name="layout",
        )
    )
    doc.add_root(Div(text="extra", name="extra"))
    return doc


@functools.cache
def params_class() -> type:
    """A DataModel subclass (sent in `defs`), defined once: bokeh registers classes globally."""
    from bokeh.core.properties import Int, String
    from bokeh.model import DataModel

    class Params(DataModel):
        amplitude = Int(default=1)
        label = String(default="x")

    return Params


def bokeh_rich_doc() -> BokehDocument:
    """Much of what bokeh apps use: plots of several glyph kinds, a datetime axis, categorical
    ranges, hover tooltips, widgets of many kinds, a data table, tabs, JS callbacks on a model
    and on the document, and a DataModel."""
    source = BokehSource(
        data={
            "x": np.arange(5.0),
            "y": np.arange(5, dtype=np.int64) ** 2,
            "s": list("abcde"),
            "t": np.array([f"2024-01-0{day}" for day in range(1, 6)], dtype="datetime64[D]"),
            "img": [np.arange(6.0).reshape(2, 3) + k for k in range(5)],
        },
        name="source",
    )
    plot = figure(
        name="plot",
        title="rich",
        x_axis_type="datetime",
        tools="pan,wheel_zoom,hover",
        tooltips=[("x", "@x"), ("s", "@s")],
    )
    plot.line("t", "y", source=source, legend_label="line")
    plot.scatter("t", "y", source=source, color="red", size=8)
    plot.scatter(np.arange(3.0), np.array([np.nan, 1.0, np.inf]), size=np.arange(3) + 3)
    plot.multi_line([[0, 1], [2, 3, 4]], [[1, 2], [3, 4, 5]])
    plot.image(image="img", x=0, y=0, dw=1, dh=1, source=source, palette="Viridis256")
    bars = figure(name="bars", x_range=FactorRange(factors=["a", "b", "c"]))
    bars.vbar(x=["a", "b", "c"], top=[1, 2, 3], width=0.5)
    button = Button(label="go", button_type="success", name="button")
    button.on_event("button_click", lambda: None)
    button.js_on_event("button_click", CustomJS(code="console.log('click')"))
    slider = Slider(start=0, end=10, value=3, step=0.5, title="s", name="slider")
    slider.js_on_change("value", CustomJS(args={"source": source}, code="source.change.emit()"))
    table = DataTable(
        source=source,
        columns=[
            TableColumn(field="x", formatter=NumberFormatter(format="0.00")),
            TableColumn(field="s"),
        ],
        name="table",
    )
    widgets = [
        button,
        slider,
        RangeSlider(start=0, end=10, value=(2, 4), name="range"),
        Select(options=["a", "b"], value="b"),
        DatePicker(value=dt.date(2024, 1, 2), name="date"),
        MultiChoice(options=["x", "y"], value=["y"]),
        Div(text="<b>hi</b> ✓", name="div"),
        TextInput(value="t"),
        CheckboxGroup(labels=["a", "b"], active=[1]),
        Toggle(label="t"),
    ]
    tabs = Tabs(tabs=[TabPanel(child=plot, title="one"), TabPanel(child=bars, title="two")])
    doc = BokehDocument()
    doc.add_root(column(tabs, row(*widgets), table, name="layout"))
    doc.add_root(params_class()(amplitude=3, name="params"))
    doc.js_on_event("document_ready", CustomJS(code="console.log('ready')"))
    doc.title = "rich ✓"
    return doc
