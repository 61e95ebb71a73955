"""A categorical bar chart with a select: pick a year, the bars change (sorted, with labels).

livedoc serve examples/bars.py
"""

from livedoc import curdoc
from livedoc.models import ColumnDataSource, Select
from livedoc.plotting import column, factor_cmap, figure
from livedoc.plotting.palettes import Category10

FRUITS = ["apples", "pears", "nectarines", "plums", "grapes", "strawberries"]
HARVEST = {  # tonnes per year (made up)
    "2021": [2, 1, 4, 3, 2, 4],
    "2022": [5, 3, 3, 2, 4, 6],
    "2023": [3, 2, 4, 4, 5, 3],
    "2024": [4, 4, 2, 5, 3, 5],
}


def year_data(year: str) -> dict[str, list]:
    pairs = sorted(zip(HARVEST[year], FRUITS, strict=True), reverse=True)
    return {
        "fruit": [fruit for _, fruit in pairs],
        "tonnes": [tonnes for tonnes, _ in pairs],
        "label": [f"{tonnes} t" for tonnes, _ in pairs],
    }


source = ColumnDataSource(data=year_data("2024"), name="harvest")
plot = figure(
    x_range=source.data["fruit"],
    height=380,
    width=640,
    title="harvest 2024",
    toolbar_location=None,
    tools="hover",
    tooltips=[("fruit", "@fruit"), ("harvest", "@label")],
    name="plot",
)
plot.vbar(x="fruit", top="tonnes", width=0.8, source=source, line_color="white",
          fill_color=factor_cmap("fruit", Category10, FRUITS))  # fmt: skip
plot.text(x="fruit", y="tonnes", text="label", source=source, text_align="center",
          text_baseline="bottom", y_offset=-4)  # fmt: skip
plot.y_range.start = 0
plot.y_range.end = 7
year = Select(title="year", value="2024", options=sorted(HARVEST), name="year", width=200)


def on_year(attr: str, old: str, new: str) -> None:
    data = year_data(new)
    plot.x_range.factors = data["fruit"]
    source.data = data
    plot.title.text = f"harvest {new}"


year.on_change("value", on_year)
doc = curdoc()
doc.title = "livedoc: bars"
doc.add_root(column(year, plot))
