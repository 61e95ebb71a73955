"""An image heatmap with a color bar: a 2-D wave field; tap it to read a value.

    livedoc serve examples/heatmap.py

The field is one image glyph (a 2-D NumPy array sent as binary). The sliders recompute it in
Python; the palette select swaps the color mapper's colors; a tap on the plot sends its
coordinates to Python, which reports the value there.
"""

import numpy as np

from livedoc import curdoc
from livedoc.events import Tap
from livedoc.models import ColorBar, ColumnDataSource, Div, LinearColorMapper, Select, Slider
from livedoc.plotting import column, figure, row
from livedoc.plotting.palettes import palette

SIZE = 200
EXTENT = 10.0
coords = np.linspace(0, EXTENT, SIZE)
xx, yy = np.meshgrid(coords, coords)


def field(frequency: float, phase: float) -> np.ndarray:
    return np.sin(frequency * xx + phase) * np.cos(frequency * yy)


mapper = LinearColorMapper(palette=palette("viridis"), low=-1, high=1)
source = ColumnDataSource(data={"image": [field(1.0, 0.0)]}, name="field")
plot = figure(
    width=560,
    height=520,
    x_range=(0, EXTENT),
    y_range=(0, EXTENT),
    tools="pan,wheel_zoom,reset,save",
    title="sin(fx + p) cos(fy)",
    name="plot",
)
plot.image(image="image", x=0, y=0, dw=EXTENT, dh=EXTENT, source=source, color_mapper=mapper)
plot.add_layout(ColorBar(color_mapper=mapper, width=12, title="value"), "right")

frequency = Slider(title="frequency f", start=0.2, end=4, step=0.1, value=1.0, name="frequency")
phase = Slider(title="phase p", start=0, end=6.28, step=0.05, value=0.0, name="phase")
scheme = Select(title="palette", value="viridis", name="palette",
                options=["viridis", "plasma", "inferno", "magma", "greys", "blues"])  # fmt: skip
readout = Div(text="tap the plot to read a value", name="readout")


def recompute(attr: str, old: float, new: float) -> None:
    source.data = {"image": [field(frequency.value, phase.value)]}


def on_palette(attr: str, old: str, new: str) -> None:
    mapper.palette = palette(new)


def on_tap(event: Tap) -> None:
    i = int(np.clip(round(event.y / EXTENT * (SIZE - 1)), 0, SIZE - 1))
    j = int(np.clip(round(event.x / EXTENT * (SIZE - 1)), 0, SIZE - 1))
    value = source.data["image"][0][i, j]
    readout.text = f"value at ({event.x:.2f}, {event.y:.2f}): {value:+.3f}"


frequency.on_change("value", recompute)
phase.on_change("value", recompute)
scheme.on_change("value", on_palette)
plot.on_event(Tap, on_tap)
doc = curdoc()
doc.title = "livedoc: heatmap"
doc.add_root(row(plot, column(frequency, phase, scheme, readout, width=260)))
