"""Sessions in kernels (`--isolation kernel`) with real kernel processes: each session runs in
a process of its own, a session whose callback spins does not delay another, a killed kernel
tells its page and spares the others, an overrunning callback is interrupted, a destroyed
session runs its hooks in its kernel and stops it, and a Jupyter client can look into a live
session's kernel."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.application import build_application
from livedoc.client import pull_session
from livedoc.server import Server, ServerSettings
from livedoc.server.kernel_sessions import SessionKernelError
from tests.jupyter_peer import Channels, JupyterPeer
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from livedoc.client import BlockingSession
    from livedoc.document import Document

Start = Callable[..., LiveServer]
TOKEN = "isolation-token"
APP = Path(__file__).resolve().parents[1] / "apps" / "isolation.py"


@pytest.fixture
def start_isolated(
    live_server: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., LiveServer]:
    monkeypatch.setenv("ISOLATION_DESTROYED", str(tmp_path / "destroyed.txt"))

    def start(**settings: Any) -> LiveServer:
        return live_server(
            {"/isolation": build_application(APP)},
            isolation="kernel",
            kernel_pool=2,
            token=TOKEN,
            root_dir=str(tmp_path),
            **settings,
        )

    return start


@pytest.fixture
def sessions() -> Iterator[Callable[[LiveServer], BlockingSession]]:
    opened: list[BlockingSession] = []

    def open_session(server: LiveServer) -> BlockingSession:
        session = pull_session(server.url("/isolation"), timeout=60)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()


def text_of(session: BlockingSession, name: str) -> str:
    text: str = session.document.get_model_by_name(name).text
    return text


def wait_for_text(session: BlockingSession, name: str, text: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while text_of(session, name) != text:
        assert time.monotonic() < deadline, f"{name} shows {text_of(session, name)!r}, not {text!r}"
        time.sleep(0.02)


def set_value(session: BlockingSession, name: str, value: float) -> None:
    session.document.get_model_by_name(name).value = value
    session.flush()


def test_each_session_runs_in_a_kernel_of_its_own(
    start_isolated: Callable[..., LiveServer], sessions: Callable[[LiveServer], BlockingSession]
) -> None:
    server = start_isolated()
    first, second = sessions(server), sessions(server)
    pids = {int(text_of(first, "pid")), int(text_of(second, "pid"))}
    assert len(pids) == 2
    assert os.getpid() not in pids
    kernels = JupyterPeer(server.url(), TOKEN).call("GET", "/api/kernels")[1]
    assert len(kernels) == 2  # a session's kernel is a kernel like any other
    assert all(kernel["connections"] == 1 for kernel in kernels)
    set_value(first, "echo", 3)  # a change goes to the kernel, its callback's change comes back
    wait_for_text(first, "status", "echo 3")
    assert text_of(second, "status") == "ready"  # and only to that session


def test_a_spinning_session_does_not_delay_another(
    start_isolated: Callable[..., LiveServer], sessions: Callable[[LiveServer], BlockingSession]
) -> None:
    server = start_isolated()
    busy, other = sessions(server), sessions(server)
    set_value(busy, "work", 3)  # its callback now spins for 3 s
    set_value(other, "echo", 7)
    wait_for_text(other, "status", "echo 7")
    assert text_of(busy, "status") == "ready"  # the other answered while this one still spins
    wait_for_text(busy, "status", "done 3")


def test_a_killed_kernel_tells_its_page_and_spares_the_others(
    start_isolated: Callable[..., LiveServer], sessions: Callable[[LiveServer], BlockingSession]
) -> None:
    server = start_isolated()
    doomed, survivor = sessions(server), sessions(server)
    os.kill(int(text_of(doomed, "pid")), signal.SIGKILL)
    deadline = time.monotonic() + 20
    while "This session stopped" not in _texts(doomed.document):
        assert time.monotonic() < deadline, "the page was not told its kernel died"
        time.sleep(0.05)
    set_value(survivor, "echo", 4)
    wait_for_text(survivor, "status", "echo 4")
    peer = JupyterPeer(server.url(), TOKEN)
    assert len(peer.call("GET", "/api/kernels")[1]) == 1  # the dead one is not restarted


def _texts(document: Document) -> str:
    return " ".join(str(getattr(root, "text", "")) for root in document.roots)


def test_a_callback_that_overruns_is_interrupted_and_reported(
    start_isolated: Callable[..., LiveServer],
    sessions: Callable[[LiveServer], BlockingSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_isolated(callback_timeout=1.0)
    session = sessions(server)
    with caplog.at_level(logging.WARNING, logger="livedoc.session"):
        set_value(session, "work", 25)  # would spin for 25 s
        deadline = time.monotonic() + 20
        while not any("was interrupted" in record.message for record in caplog.records):
            assert time.monotonic() < deadline, "the overrunning callback was not interrupted"
            time.sleep(0.05)
    set_value(session, "echo", 9)  # the session goes on
    wait_for_text(session, "status", "echo 9")
    assert any("--callback-timeout 1" in record.message for record in caplog.records)


def test_a_destroyed_session_runs_its_hooks_in_its_kernel_and_stops_it(
    start_isolated: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = start_isolated(unused_session_lifetime=0.5, check_unused_sessions=0.2)
    session = pull_session(server.url("/isolation"), timeout=60)
    kernel_pid = int(text_of(session, "pid"))
    session.close()
    marker = tmp_path / "destroyed.txt"
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert time.monotonic() < deadline, "on_session_destroyed did not run in the kernel"
        time.sleep(0.05)
    assert len(marker.read_text().split()) == 1
    while True:
        try:
            os.kill(kernel_pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the session's kernel was not stopped"
        time.sleep(0.05)


def test_a_jupyter_client_can_look_into_a_live_session(
    start_isolated: Callable[..., LiveServer], sessions: Callable[[LiveServer], BlockingSession]
) -> None:
    server = start_isolated()
    session = sessions(server)
    peer = JupyterPeer(server.url(), TOKEN)
    [kernel] = peer.call("GET", "/api/kernels")[1]

    async def inspect() -> str:
        channels = await Channels.open(peer, kernel["id"])
        seen = await channels.execute("print(session_document.get_model_by_name('status').text)")
        await channels.execute("session_document.get_model_by_name('status').text = 'hello'")
        channels.close()
        return seen.stdout

    assert asyncio.run(inspect()) == "ready\n"
    wait_for_text(session, "status", "hello")  # a change made from Jupyter reaches the page


def local_app(doc: Document) -> None:
    """Defined at module level: a kernel can import it."""


def test_an_app_a_kernel_cannot_load_is_a_clear_error() -> None:
    def inner(doc: Document) -> None:
        pass

    with pytest.raises(SessionKernelError, match="must be able to load the app"):
        Server({"/": inner}, ServerSettings(port=0, isolation="kernel")).make_tornado_app(0)


def test_periodic_callbacks_run_in_the_kernel(
    live_server: Start, tmp_path: Path, sessions: Callable[[LiveServer], BlockingSession]
) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "streaming.py"
    server = live_server(
        {"/isolation": build_application(example)},
        isolation="kernel",
        token=TOKEN,
        root_dir=str(tmp_path),
    )
    session = sessions(server)  # the pool is empty: a kernel is started for the session
    [source] = [
        m for m in session.document.models.values() if type(m).__name__ == "ColumnDataSource"
    ]
    first = len(next(iter(source.data.values())))
    deadline = time.monotonic() + 20
    while len(next(iter(source.data.values()))) < first + 5:  # streamed every 100 ms
        assert time.monotonic() < deadline, "the kernel's periodic callback does not stream"
        time.sleep(0.05)
