"""Every app in examples/ renders in Chromium (no console error, not blank), and one scripted
interaction per app changes the Python side as the app promises."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.application import build_application
from livedoc.document import Field
from tests.live_server import LiveServer

from .conftest import Tab

if TYPE_CHECKING:
    from livedoc.document import Document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

Start = Callable[..., LiveServer]
NewTab = Callable[[], Tab]


class Example:
    """One example app served alone, with one tab open on it."""

    def __init__(self, live_server: Start, new_tab: NewTab, name: str) -> None:
        self.server = live_server({"/app": build_application(EXAMPLES / name)})
        self.tab = new_tab().open(self.server.url("/app"))
        self.page = self.tab.page

    def python(self, read: Callable[[Document], Any]) -> Any:
        return self.server.with_document("/app", read)

    def model(self, name: str) -> Any:
        return self.python(lambda doc: doc.get_model_by_name(name))

    def eventually(self, read: Callable[[Document], Any], timeout: float = 10) -> Any:
        """Poll the Python side until `read` returns something truthy."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            result = self.python(read)
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.1)

    def assert_rendered(self, min_ink: float = 0.02) -> None:
        ink = self.tab.ink()
        assert ink > min_ink, f"the page is (nearly) blank: {ink:.1%} of it inked"

    def drag(
        self, locator: Any, dx: float, dy: float, *, start: tuple[float, float] = (0.5, 0.5)
    ) -> None:
        box = locator.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
        self.page.mouse.move(x, y)
        self.page.mouse.down()
        self.page.mouse.move(x + dx, y + dy, steps=10)
        self.page.mouse.up()


@pytest.fixture
def example(live_server: Start, new_tab: NewTab) -> Callable[[str], Example]:
    return lambda name: Example(live_server, new_tab, name)


def test_every_example_is_covered() -> None:
    apps = {p.name for p in EXAMPLES.iterdir() if p.suffix == ".py" or (p / "main.py").exists()}
    tested = {name.removeprefix("test_").removesuffix("_example") for name in globals()}
    missing = {app for app in apps if app.removesuffix(".py") not in tested}
    assert len(apps) >= 8
    assert not missing, f"examples without a browser test: {missing}"


def test_streaming_example(example: Callable[[str], Example]) -> None:
    app = example("streaming.py")
    app.tab.wait_for("() => Bokeh.documents[0].get_model_by_name('signal').get_length() > 20")
    app.assert_rendered(min_ink=0.01)  # a thin line on a white plot: ~2 % ink, varying
    app.page.get_by_role("button", name="pause").click()
    assert app.eventually(lambda doc: doc.get_model_by_name("pause").label == "resume")
    assert app.python(lambda doc: doc.get_model_by_name("status").text) == "paused"


def test_crossfilter_example(example: Callable[[str], Example]) -> None:
    app = example("crossfilter")
    app.assert_rendered()
    app.page.locator("select").first.select_option("weight")
    assert app.eventually(lambda doc: doc.get_model_by_name("x").value == "weight")
    plot = app.model("plot")
    assert plot.renderers[0].glyph.x == Field("weight")
    assert plot.xaxis[0].axis_label == "weight"
    app.tab.wait_for(
        "() => Bokeh.documents[0].get_model_by_name('summary').text.includes('weight and mpg')"
    )


def test_stocks_example(example: Callable[[str], Example]) -> None:
    app = example("stocks.py")
    app.assert_rendered()
    before = app.python(lambda doc: doc.get_model_by_name("window").start)
    app.drag(app.page.locator("canvas").first, 250, 0)  # pan the chart back in time
    assert app.eventually(lambda doc: doc.get_model_by_name("window").start < before - 1)
    status = app.python(lambda doc: doc.get_model_by_name("status").text)
    assert "trading days shown" in status


def test_linked_brushing_example(example: Callable[[str], Example]) -> None:
    app = example("linked_brushing.py")
    app.assert_rendered()
    app.drag(app.page.locator("canvas").first, 160, 160, start=(0.2, 0.2))  # a box selection
    selected = app.eventually(lambda doc: doc.get_model_by_name("points").selected.indices)
    assert 0 < len(selected) < 300
    summary = app.python(lambda doc: doc.get_model_by_name("summary").text)
    assert summary.startswith(f"{len(selected)} of 300 points selected")


def test_table_editing_example(example: Callable[[str], Example]) -> None:
    app = example("table_editing.py")
    app.assert_rendered()
    cell = app.page.locator(".slick-row").first.locator(".slick-cell.l2")  # apples' quantity
    cell.dblclick()
    editor = app.page.locator(".slick-cell.l2 input")
    editor.fill("40")
    editor.press("Enter")
    assert app.eventually(lambda doc: doc.get_model_by_name("basket").data["quantity"][0] == 40)
    data = app.python(lambda doc: dict(doc.get_model_by_name("basket").data))
    assert data["cost"][0] == 20.0  # Python recomputed the cost and sent it back
    app.tab.wait_for("() => Bokeh.documents[0].get_model_by_name('total').text.includes('$')")


def test_bars_example(example: Callable[[str], Example]) -> None:
    app = example("bars.py")
    app.assert_rendered()
    app.page.locator("select").first.select_option("2021")
    assert app.eventually(lambda doc: doc.get_model_by_name("plot").title.text == "harvest 2021")
    fruits = app.python(lambda doc: list(doc.get_model_by_name("harvest").data["fruit"]))
    assert fruits[:2] == ["strawberries", "nectarines"]  # 2021's biggest harvests first
    app.tab.wait_for(
        "() => Bokeh.documents[0].get_model_by_name('plot').x_range.factors[0] === 'strawberries'"
    )


def test_heatmap_example(example: Callable[[str], Example]) -> None:
    app = example("heatmap.py")
    app.assert_rendered(min_ink=0.2)  # the image fills most of the plot
    box = app.page.locator("canvas").first.bounding_box()
    assert box is not None
    app.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    readout = app.eventually(
        lambda doc: (
            doc.get_model_by_name("readout").text.startswith("value at")
            and doc.get_model_by_name("readout").text
        )
    )
    assert readout, "the tap did not reach Python"


def test_form_example(example: Callable[[str], Example]) -> None:
    app = example("form.py")
    app.assert_rendered(min_ink=0.01)
    app.page.get_by_placeholder("your name").fill("Ada")
    app.page.get_by_placeholder("your name").press("Enter")
    app.page.get_by_placeholder("at least 8 characters").fill("correct horse")
    app.page.get_by_placeholder("at least 8 characters").press("Enter")
    app.page.get_by_placeholder("start typing").press_sequentially("Gen", delay=30)
    app.page.locator(".bk-menu").get_by_text("Geneva").click()  # pick the completion
    assert app.eventually(lambda doc: doc.get_model_by_name("city").value == "Geneva")
    app.page.get_by_role("button", name="submit").click()
    answer = app.eventually(lambda doc: "Thank you" in doc.get_model_by_name("answer").text)
    assert answer
    text = app.python(lambda doc: doc.get_model_by_name("answer").text)
    assert "Thank you, Ada." in text
    assert "Geneva" in text
