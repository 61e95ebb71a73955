"""Browser tier: real BokehJS 3.9.2 in Debian's Chromium, driven by Playwright, against a real
livedoc server running on its own thread's event loop (Playwright's sync API owns this thread).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.live_server import live_server as live_server  # the fixture, for this tier

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = (
    "() => window.Bokeh !== undefined && Bokeh.documents.length > 0"
    " && Bokeh.documents[0].roots().length > 0 && Bokeh.documents[0].is_idle"
)

# Decodes a PNG in the page itself (no imaging library needed) and counts non-white pixels.
INK = """async (png) => {
    const image = new Image();
    image.src = "data:image/png;base64," + png;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i] < 235 || pixels[i + 1] < 235 || pixels[i + 2] < 235) inked++;
    }
    return inked / (canvas.width * canvas.height);
}"""

if not Path(CHROMIUM).exists():  # scripts/system-deps installs it; never `playwright install`
    pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


# Module scope: Playwright's sync API runs an event loop in this thread while it is open, and
# later tiers call asyncio.run() here, so the browser must be closed at the end of each module.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Tab:
    """A page that records console and page errors; `open()` waits for BokehJS to be ready."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, url: str) -> Tab:
        self.page.goto(url)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        self.page.wait_for_function(READY, polling="raf", timeout=20_000)

    def model(self, name: str, attr: str) -> Any:
        return self.page.evaluate(
            "([name, attr]) => Bokeh.documents[0].get_model_by_name(name)[attr]", [name, attr]
        )

    def ink(self) -> float:
        """The share of the page's screenshot that is not (near) white: 0 for a blank page."""
        png = base64.b64encode(self.page.screenshot()).decode()
        return float(self.page.evaluate(INK, png))

    def wait_for(self, expression: str, arg: Any = None) -> None:
        self.page.wait_for_function(expression, arg=arg, polling=100, timeout=15_000)


@pytest.fixture
def new_tab(
    chromium: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Tab]]:
    contexts: list[Any] = []
    tabs: list[Tab] = []

    def make() -> Tab:
        context = chromium.new_context(viewport={"width": 1000, "height": 700})
        contexts.append(context)
        tab = Tab(context.new_page())
        tabs.append(tab)
        return tab

    yield make
    failed = getattr(request.node, "rep_call", None)
    for index, tab in enumerate(tabs):
        if failed is not None and failed.failed:
            tab.page.screenshot(path=str(tmp_path / f"tab{index}.png"))
    for context in contexts:
        context.close()
    errors = [error for tab in tabs for error in tab.errors]
    assert not errors, f"errors in the browser console: {errors}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
