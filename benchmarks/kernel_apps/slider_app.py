"""The kernels benchmark's app for livedoc (inline and --isolation kernel): one figure with a
line over 1,000 rows, a slider whose on_change replaces the 1,000 y values (the round trip the
`open` and `victim` workloads use), and a `spin` slider whose on_change spins the CPU for
`value` ms and then sets the `status` Div (the `victim` workload's blocker).

bokeh_slider_app.py is the same app for `bokeh serve`.
"""

import time

import numpy as np

from livedoc import curdoc
from livedoc.models import ColumnDataSource, Div, Slider
from livedoc.plotting import figure

ROWS = 1000
x = np.arange(ROWS, dtype=np.float64)
source = ColumnDataSource(data={"x": x, "y": np.sin(x / 50)}, name="source")
plot = figure(title="bench", width=600, height=300)
plot.line("x", "y", source=source)
slider = Slider(start=1, end=100, value=50, step=1, title="period", name="slider")
spin = Slider(start=0, end=1000, value=0, step=1, title="spin (ms)", name="spin")
status = Div(text="ready", name="status")


def on_slide(attr: str, old: object, new: float) -> None:
    source.update_columns(y=np.sin(x / new))


def on_spin(attr: str, old: object, new: float) -> None:
    deadline = time.perf_counter() + new / 1000
    while time.perf_counter() < deadline:  # the CPU, busy: no sleep, no I/O
        pass
    status.text = f"spun {new:g} ms"


slider.on_change("value", on_slide)
spin.on_change("value", on_spin)
doc = curdoc()
doc.add_root(plot)
doc.add_root(slider)
doc.add_root(spin)
doc.add_root(status)
