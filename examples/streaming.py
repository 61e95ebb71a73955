"""A live sensor: a line that streams new points ten times a second, and sliders that shape it.

    livedoc serve examples/streaming.py

Every browser tab gets its own session: its own document, its own stream. Moving a slider
sends the new value to Python; the next points use it.
"""

import math

import numpy as np

from livedoc import curdoc
from livedoc.models import Button, Column, ColumnDataSource, Div, Row, Slider
from livedoc.plotting import figure

WINDOW = 500  # points kept on screen (older ones roll off)
BATCH = 5  # points per update

source = ColumnDataSource(data={"t": np.zeros(0), "y": np.zeros(0)}, name="signal")
plot = figure(
    title="sensor", height=320, width=760, x_axis_label="time (s)", y_axis_label="reading"
)
plot.line("t", "y", source=source, line_width=2, line_color="#1f77b4", name="line")

frequency = Slider(
    title="frequency (Hz)", start=0.1, end=5.0, value=1.0, step=0.1, name="frequency"
)
noise = Slider(title="noise", start=0.0, end=1.0, value=0.1, step=0.05, name="noise")
pause = Button(label="pause", name="pause")
status = Div(text="streaming", name="status")

state = {"t": 0.0, "running": True}
rng = np.random.default_rng()


def update() -> None:
    if not state["running"]:
        return
    t = state["t"] + np.arange(1, BATCH + 1) * 0.02
    y = np.sin(2 * math.pi * frequency.value * t) + rng.normal(0.0, noise.value, BATCH)
    state["t"] = float(t[-1])
    source.stream({"t": t, "y": y}, rollover=WINDOW)


def toggle() -> None:
    state["running"] = not state["running"]
    pause.label = "pause" if state["running"] else "resume"
    status.text = "streaming" if state["running"] else "paused"


pause.on_click(toggle)
doc = curdoc()
doc.title = "livedoc: streaming sensor"
doc.add_root(Column(children=[plot, Row(children=[frequency, noise, pause, status])]))
doc.add_periodic_callback(update, 100)
