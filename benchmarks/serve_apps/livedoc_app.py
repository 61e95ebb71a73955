"""The benchmark's small app for livedoc: a line over 1,000 rows and a slider.

Moving the slider replaces the 1,000 y values. With BENCH_STREAM_MS set, every session streams
1,000-row float64 batches at that period (rollover 10,000).
"""

import os

import numpy as np

from livedoc import curdoc
from livedoc.models import ColumnDataSource, Slider
from livedoc.plotting import figure

ROWS = 1000
x = np.arange(ROWS, dtype=np.float64)
source = ColumnDataSource(data={"x": x, "y": np.sin(x / 50)}, name="source")
plot = figure(title="bench", width=600, height=300)
plot.line("x", "y", source=source)
slider = Slider(start=1, end=100, value=50, step=1, title="period", name="slider")


def on_slide(attr: str, old: object, new: float) -> None:
    source.update_columns(y=np.sin(x / new))


slider.on_change("value", on_slide)
doc = curdoc()
doc.add_root(plot)
doc.add_root(slider)

period = float(os.environ.get("BENCH_STREAM_MS", "0"))
if period:
    batch = {"x": np.arange(ROWS, dtype=np.float64), "y": np.zeros(ROWS)}
    doc.add_periodic_callback(lambda: source.stream(batch, rollover=10 * ROWS), period)
