"""Sessions in kernels, seen in Chromium: while one tab's slider callback spins for 2 s in its
kernel, another tab's slider round trip goes through; killing one tab's kernel shows that tab
a clear message and leaves the other tab live."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from livedoc.application import build_application
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from .conftest import Tab

Start = Callable[..., LiveServer]
APP = Path(__file__).resolve().parents[1] / "apps" / "isolation.py"


def isolated(live_server: Start, tmp_path: Path) -> LiveServer:
    return live_server(
        {"/isolation": build_application(APP)},
        isolation="kernel",
        kernel_pool=2,
        token="browser-isolation",
        root_dir=str(tmp_path),
    )


def move(tab: Tab, name: str, value: float) -> None:
    """As a user dragging the slider would: the model's value changes in the page."""
    tab.page.evaluate(
        "([name, value]) => { Bokeh.documents[0].get_model_by_name(name).value = value }",
        [name, value],
    )


def status_is(tab: Tab, text: str) -> None:
    tab.wait_for("(text) => Bokeh.documents[0].get_model_by_name('status').text === text", arg=text)


def test_a_spinning_tab_does_not_hold_up_another(
    live_server: Start, new_tab: Callable[[], Tab], tmp_path: Path
) -> None:
    server = isolated(live_server, tmp_path)
    busy = new_tab().open(server.url("/isolation"))
    other = new_tab().open(server.url("/isolation"))
    move(busy, "work", 2)  # its callback spins the CPU for 2 s, in its own kernel
    move(other, "echo", 5)
    status_is(other, "echo 5")
    assert busy.model("status", "text") == "ready"  # answered while the other still spins
    status_is(busy, "done 2")


def test_a_killed_kernel_shows_its_tab_a_message_and_spares_the_other(
    live_server: Start, new_tab: Callable[[], Tab], tmp_path: Path
) -> None:
    server = isolated(live_server, tmp_path)
    doomed = new_tab().open(server.url("/isolation"))
    survivor = new_tab().open(server.url("/isolation"))
    os.kill(int(doomed.model("pid", "text")), signal.SIGKILL)
    doomed.page.wait_for_selector("text=This session stopped", timeout=20_000)
    assert doomed.ink() > 0.001  # a message, not a frozen plot or a blank page
    move(survivor, "echo", 8)
    status_is(survivor, "echo 8")
