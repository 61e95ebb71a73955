"""Crossfilter: explore a table of cars by picking what goes on each axis, color and size.

    livedoc serve examples/crossfilter

A directory app: this script plus `data/cars.csv` (synthetic cars, one row per model). Every
choice in a select rebinds the scatter plot's columns in Python; hovering shows the car.
"""

import csv
from pathlib import Path

import numpy as np

from livedoc import curdoc
from livedoc.models import ColumnDataSource, Div, Select
from livedoc.plotting import column, figure, row
from livedoc.plotting.palettes import viridis

with (Path(__file__).parent / "data" / "cars.csv").open(newline="") as cars:
    rows = list(csv.DictReader(cars))
NUMERIC = ["mpg", "horsepower", "weight", "displacement", "acceleration", "year", "cylinders"]
CATEGORIES = ["origin"]
data: dict[str, object] = {name: np.array([float(r[name]) for r in rows]) for name in NUMERIC}
data.update({name: [r[name] for r in rows] for name in CATEGORIES})
data["id"] = [int(r["id"]) for r in rows]
COLORS = viridis(5)
SIZES = [6, 9, 12, 15, 18]


def binned(values: np.ndarray, choices: list) -> list:
    """Each value's quintile, as one of five colors or sizes."""
    edges = np.quantile(values, [0.2, 0.4, 0.6, 0.8])
    return [choices[i] for i in np.searchsorted(edges, values)]


source = ColumnDataSource(data=data, name="cars")
x_select = Select(title="x axis", value="horsepower", options=NUMERIC, name="x")
y_select = Select(title="y axis", value="mpg", options=NUMERIC, name="y")
color_select = Select(title="color", value="weight", options=["none", *NUMERIC], name="color")
size_select = Select(title="size", value="none", options=["none", *NUMERIC], name="size")
summary = Div(name="summary")

plot = figure(
    height=520,
    width=720,
    tools="pan,wheel_zoom,box_zoom,box_select,reset,save",
    tooltips=[("car", "#@id"), ("origin", "@origin"), ("year", "@year")],
    name="plot",
)
dots = plot.scatter("horsepower", "mpg", source=source, size=9, line_color="white", alpha=0.7)


def update(attr: str | None = None, old: object = None, new: object = None) -> None:
    x, y = x_select.value, y_select.value
    glyph = dots.glyph
    glyph.x, glyph.y = x, y
    plot.xaxis[0].axis_label, plot.yaxis[0].axis_label = x, y
    plot.title.text = f"{y} against {x}"
    if color_select.value == "none":
        glyph.fill_color = "#31688e"
    else:
        source.data["fill"] = binned(np.asarray(source.data[color_select.value]), COLORS)
        source.data = dict(source.data)
        glyph.fill_color = "fill"
    if size_select.value == "none":
        glyph.size = 9
    else:
        source.data["marker_size"] = binned(np.asarray(source.data[size_select.value]), SIZES)
        source.data = dict(source.data)
        glyph.size = "marker_size"
    corr = float(np.corrcoef(source.data[x], source.data[y])[0, 1])
    summary.text = f"{len(rows)} cars, correlation of {x} and {y}: {corr:+.2f}"


for select in (x_select, y_select, color_select, size_select):
    select.on_change("value", update)
update()

doc = curdoc()
doc.title = "livedoc: crossfilter"
controls = column(x_select, y_select, color_select, size_select, summary, width=220)
doc.add_root(row(controls, plot))
