"""A data table that edits a plot: change a quantity in the table, the bar and the total follow.

    livedoc serve examples/table_editing.py

The table and the bar chart share one ColumnDataSource. Editing a cell (double-click, type,
Enter) changes the source in the browser; Python receives it, recomputes the total and the
bar colors, and every view updates.
"""

from livedoc import curdoc
from livedoc.models import (
    Button,
    ColumnDataSource,
    DataTable,
    Div,
    IntEditor,
    NumberEditor,
    NumberFormatter,
    StringFormatter,
    TableColumn,
)
from livedoc.plotting import column, figure, row

ITEMS = ["apples", "bananas", "cherries", "dates", "elderberries", "figs"]
source = ColumnDataSource(
    data={
        "item": ITEMS,
        "quantity": [12, 30, 7, 18, 4, 9],
        "price": [0.5, 0.25, 3.0, 1.2, 4.5, 2.0],
        "cost": [6.0, 7.5, 21.0, 21.6, 18.0, 18.0],
        "color": ["#1f77b4"] * len(ITEMS),
    },
    name="basket",
)
table = DataTable(
    source=source,
    editable=True,
    width=420,
    height=240,
    name="table",
    columns=[
        TableColumn(field="item", title="item", formatter=StringFormatter(font_style="bold")),
        TableColumn(field="quantity", title="quantity", editor=IntEditor()),
        TableColumn(
            field="price",
            title="price",
            editor=NumberEditor(step=0.05),
            formatter=NumberFormatter(format="$0.00"),
        ),
        TableColumn(field="cost", title="cost", formatter=NumberFormatter(format="$0.00")),
    ],
)
plot = figure(x_range=ITEMS, height=300, width=520, title="cost per item", tools="", name="plot")
plot.vbar(x="item", top="cost", width=0.8, source=source, color="color")
plot.y_range.start = 0
total = Div(name="total")
reset = Button(label="reset quantities", name="reset")


def recompute(attr: str | None = None, old: object = None, new: object = None) -> None:
    quantity = [max(0, int(q)) for q in source.data["quantity"]]
    costs = [round(q * float(p), 2) for q, p in zip(quantity, source.data["price"], strict=True)]
    most = max(costs)
    colors = ["#d62728" if cost == most else "#1f77b4" for cost in costs]
    if list(source.data["cost"]) != costs or list(source.data["color"]) != colors:
        source.data = {**source.data, "quantity": quantity, "cost": costs, "color": colors}
    total.text = f"total: ${sum(costs):.2f} for {sum(quantity)} items"


def reset_quantities() -> None:
    source.data = {**source.data, "quantity": [10] * len(ITEMS)}


source.on_change("data", recompute)
reset.on_click(reset_quantities)
recompute()
doc = curdoc()
doc.title = "livedoc: table editing"
doc.add_root(row(column(table, total, reset), plot))
