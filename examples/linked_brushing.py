"""Linked brushing: two scatter plots of one data set; select points in either, both light up.

    livedoc serve examples/linked_brushing.py

Both plots draw from the same ColumnDataSource, so a box or lasso selection in one plot
selects the same rows in the other. Python sees the selection and summarizes it below.
"""

import numpy as np

from livedoc import curdoc
from livedoc.models import ColumnDataSource, Div
from livedoc.plotting import column, figure, gridplot

N = 300
rng = np.random.default_rng(42)
x = rng.normal(0, 1, N)
data = {
    "x": x,
    "y1": 2 * x + rng.normal(0, 0.8, N),
    "y2": np.sin(x * 2) + rng.normal(0, 0.3, N),
}
source = ColumnDataSource(data=data, name="points")
TOOLS = "box_select,lasso_select,tap,reset,help"

left = figure(title="y1 = 2x + noise", tools=TOOLS, name="left", active_drag="box_select")
left.scatter("x", "y1", source=source, size=7, color="#1f77b4", alpha=0.6,
             selection_color="#ff7f0e", nonselection_alpha=0.1)  # fmt: skip
right = figure(title="y2 = sin(2x) + noise", tools=TOOLS, name="right", x_range=left.x_range)
right.scatter("x", "y2", source=source, size=7, color="#2ca02c", alpha=0.6,
              selection_color="#ff7f0e", nonselection_alpha=0.1)  # fmt: skip
summary = Div(text="select points in either plot", name="summary")


def on_selection(attr: str, old: list[int], new: list[int]) -> None:
    if not new:
        summary.text = "select points in either plot"
        return
    rows = np.asarray(new)
    summary.text = (
        f"{len(rows)} of {N} points selected: mean x {data['x'][rows].mean():+.2f}, "
        f"mean y1 {data['y1'][rows].mean():+.2f}, mean y2 {data['y2'][rows].mean():+.2f}"
    )


source.selected.on_change("indices", on_selection)
doc = curdoc()
doc.title = "livedoc: linked brushing"
doc.add_root(column(gridplot([[left, right]], width=420, height=400), summary))
