"""The benchmark's small app for `bokeh serve`: the same document as livedoc_app.py."""

import os

import numpy as np
from bokeh.io import curdoc
from bokeh.models import ColumnDataSource, Slider
from bokeh.plotting import figure

ROWS = 1000
x = np.arange(ROWS, dtype=np.float64)
source = ColumnDataSource(data={"x": x, "y": np.sin(x / 50)}, name="source")
plot = figure(title="bench", width=600, height=300)
plot.line("x", "y", source=source)
slider = Slider(start=1, end=100, value=50, step=1, title="period", name="slider")


def on_slide(attr: str, old: object, new: float) -> None:
    source.data["y"] = np.sin(x / new)  # one column replaced, as livedoc's update_columns


slider.on_change("value", on_slide)
doc = curdoc()
doc.add_root(plot)
doc.add_root(slider)

period = float(os.environ.get("BENCH_STREAM_MS", "0"))
if period:
    batch = {"x": np.arange(ROWS, dtype=np.float64), "y": np.zeros(ROWS)}
    doc.add_periodic_callback(lambda: source.stream(batch, rollover=10 * ROWS), period)
