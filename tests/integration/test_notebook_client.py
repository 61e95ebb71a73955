"""The client from a real Jupyter kernel (ipykernel, started with jupyter_client), as in a
notebook: `await ClientSession.open(...)` on the kernel's own running loop, and the blocking
`publish()`; changes made elsewhere reach the kernel's document and fire its callbacks between
cells, and the kernel's changes reach the server."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.client import pull_session
from livedoc.models import Slider
from tests.live_server import LiveServer

from .test_publishing import wait_until

if TYPE_CHECKING:
    from livedoc.document import Document

Start = Callable[..., LiveServer]


def slider_app(doc: Document) -> None:
    doc.add_root(Slider(start=0, end=10, value=3, name="level"))


class Kernel:
    """A real ipykernel; `run(code)` executes a cell and returns what it printed."""

    def __init__(self) -> None:
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(kernel_name="python3", startup_timeout=60)
        self._printed: list[str] = []

    def run(self, code: str, timeout: float = 30) -> str:
        reply = self.client.execute_interactive(
            textwrap.dedent(code), timeout=timeout, output_hook=self._collect
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        printed, self._printed = "".join(self._printed), []
        return printed

    def _collect(self, message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            self._printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            self._printed.append("\n".join(message["content"]["traceback"]))

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel() -> Iterator[Kernel]:
    started = Kernel()
    try:
        yield started
    finally:
        started.stop()


def test_await_client_session_on_the_kernels_loop(live_server: Start, kernel: Kernel) -> None:
    server = live_server({"/": slider_app})
    url = server.url()
    kernel.run(
        f"""
        from livedoc.client import ClientSession
        session = await ClientSession.open({url!r})
        slider = session.document.get_model_by_name("level")
        seen = []
        slider.on_change("value", lambda attr, old, new: seen.append(new))
        print(slider.value)
        """
    )
    [session] = server.sessions()
    server.with_document("/", lambda doc: setattr(doc.get_model_by_name("level"), "value", 7))
    wait_until(lambda: kernel.run("print(seen)").strip() == "[7]")  # fired between cells
    kernel.run("slider.value = 9\nawait session.flush()")
    assert session.document.get_model_by_name("level").value == 9
    kernel.run("await session.close()")


def test_publish_from_a_notebook_cell(live_server: Start, kernel: Kernel) -> None:
    server = live_server({"/": slider_app})
    printed = kernel.run(
        f"""
        from livedoc.client import publish
        from livedoc.document import Document
        from livedoc.models import Slider
        doc = Document(title="from a notebook")
        knob = Slider(start=0, end=10, value=2, name="knob")
        doc.add_root(knob)
        moved = []
        knob.on_change("value", lambda attr, old, new: moved.append(new))
        pub = publish(doc, "notebook", url={server.url()!r})
        print(pub.url)
        """
    )
    url = printed.strip()
    viewer = pull_session(url)
    try:
        assert viewer.document.get_model_by_name("knob").value == 2
        viewer.document.get_model_by_name("knob").value = 8  # a viewer moves it
        viewer.flush()
        wait_until(lambda: json.loads(kernel.run("print(moved)")) == [8])
        kernel.run("knob.value = 4\npub.flush()")
        wait_until(lambda: viewer.document.get_model_by_name("knob").value == 4)
    finally:
        viewer.close()
    kernel.run("pub.close()")
