"""Stock prices: an OHLC candlestick chart with a range tool on an overview below it.

    livedoc serve examples/stocks.py

Drag or resize the shaded box in the overview to pick the period shown above, or pan the
chart itself; Python follows the visible range and reports the period's change. A new
trading day arrives every two seconds. Prices are a seeded random walk.
"""

import datetime as dt

import numpy as np

from livedoc import curdoc
from livedoc.models import ColumnDataSource, Div, Range1d, RangeTool
from livedoc.plotting import column, figure

DAY = 24 * 3600 * 1000  # milliseconds: the datetime axis counts in ms since the epoch
rng = np.random.default_rng(7)


def trading_days(start: dt.date, n: int) -> list[dt.datetime]:
    days, day = [], start
    while len(days) < n:
        if day.weekday() < 5:
            days.append(dt.datetime(day.year, day.month, day.day))
        day += dt.timedelta(days=1)
    return days


def ohlc(previous_close: float, n: int) -> dict[str, np.ndarray]:
    """n days of open/high/low/close from a random walk starting at `previous_close`."""
    closes = previous_close * np.exp(np.cumsum(rng.normal(0.0004, 0.018, n)))
    opens = np.concatenate([[previous_close], closes[:-1]]) * np.exp(rng.normal(0, 0.004, n))
    spread = np.abs(rng.normal(0, 0.012, n)) * closes
    highs = np.maximum(opens, closes) + spread
    lows = np.minimum(opens, closes) - spread
    return {"open": opens, "high": highs, "low": lows, "close": closes}


def with_colors(bars: dict[str, np.ndarray]) -> dict[str, object]:
    rising = bars["close"] >= bars["open"]
    return {**bars, "color": np.where(rising, "#2ca02c", "#d62728").tolist()}


dates = trading_days(dt.date(2024, 1, 2), 250)
bars = ohlc(100.0, len(dates))
source = ColumnDataSource(
    data={"date": np.array(dates, dtype="datetime64[ms]"), **with_colors(bars)}, name="prices"
)
last = dates[-1].timestamp() * 1000
chart = figure(
    height=360,
    width=900,
    x_axis_type="datetime",
    x_range=Range1d(start=last - 90 * DAY, end=last + DAY, name="window"),
    tools="xpan,xwheel_zoom,reset,save",
    active_scroll="xwheel_zoom",
    tooltips=[("open", "@open{0.00}"), ("close", "@close{0.00}")],
    title="ACME (simulated)",
    y_axis_label="price",
    name="chart",
)
chart.segment("date", "high", "date", "low", source=source, color="#555555")
chart.vbar("date", 0.7 * DAY, "open", "close", source=source, color="color", line_color="black")

overview = figure(
    height=140, width=900, x_axis_type="datetime", tools="", toolbar_location=None, name="overview"
)
overview.line("date", "close", source=source, color="#1f77b4")
selector = RangeTool(x_range=chart.x_range)
overview.add_tools(selector)
status = Div(name="status", width=900)


def describe(attr: str | None = None, old: object = None, new: object = None) -> None:
    start, end = chart.x_range.start, chart.x_range.end
    dates_ms = source.data["date"].astype("int64")
    shown = (dates_ms >= start) & (dates_ms <= end)
    if not shown.any():
        status.text = "no trading days in view"
        return
    closes = np.asarray(source.data["close"])[shown]
    change = (closes[-1] / closes[0] - 1) * 100
    status.text = f"{int(shown.sum())} trading days shown, change {change:+.1f}%"


def next_day() -> None:
    last_day = source.data["date"][-1].astype(dt.datetime)
    day = trading_days(last_day.date() + dt.timedelta(days=1), 1)[0]
    bar = ohlc(float(source.data["close"][-1]), 1)
    source.stream({"date": np.array([day], dtype="datetime64[ms]"), **with_colors(bar)})


chart.x_range.on_change("start", describe)
chart.x_range.on_change("end", describe)
describe()
doc = curdoc()
doc.title = "livedoc: stocks"
doc.add_root(column(chart, overview, status))
doc.add_periodic_callback(next_day, 2000)
