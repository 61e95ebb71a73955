"""Kernel lifecycles with real kernel processes: interrupts by signal and by message, a kernel
killed with SIGKILL (restarted, with the status messages clients see), one that keeps dying
(given up as dead), one that ignores shutdown_request (escalated to SIGKILL), idle culling,
the warm pool, and no process left behind when the server stops."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.jupyter_peer import Channels, JupyterPeer
from tests.kernels.specs import install_test_kernel_specs
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from pathlib import Path

    from livedoc.document import Document

Start = Callable[..., LiveServer]
TOKEN = "lifecycle-token"


def no_app(doc: Document) -> None:
    """The server's one app; these tests use its kernels."""


@pytest.fixture
def kernel_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = install_test_kernel_specs(tmp_path / "jupyter-data")
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    monkeypatch.setenv("FRAGILE_KERNEL_BROKEN", str(tmp_path / "broken"))
    return tmp_path


@pytest.fixture
def served(live_server: Start, kernel_specs: Path) -> tuple[LiveServer, JupyterPeer]:
    server = live_server(
        {"/": no_app},
        token=TOKEN,
        root_dir=str(kernel_specs),
        time_to_dead=0.3,
        restart_limit=1,
        shutdown_wait_time=1.0,
    )
    return server, JupyterPeer(server.url(), TOKEN)


def pid_of(server: LiveServer, kernel_id: str) -> int:
    pid = server.server.jupyter.kernels.get(kernel_id).pid
    assert pid is not None
    return pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as stat:  # a zombie no one has reaped yet counts as gone
        return stat.read().split(") ", 1)[1].startswith("Z")


def wait_until(condition: Callable[[], Any], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("spec", ["python3", "python3-message"])
def test_interrupting_a_busy_kernel(served: tuple[LiveServer, JupyterPeer], spec: str) -> None:
    _, jupyter = served
    kernel_id = jupyter.start_kernel(name=spec)["id"]

    async def scenario() -> str:
        channels = await Channels.open(jupyter, kernel_id)
        busy = asyncio.ensure_future(channels.execute("while True: pass", timeout=20))
        await jupyter.until_state(kernel_id, "busy")
        assert jupyter.call("POST", f"/api/kernels/{kernel_id}/interrupt")[0] == 204
        [error] = (await busy).of_type("error")
        still = await channels.execute("print('alive')")
        channels.close()
        assert still.stdout == "alive\n"
        ename: str = error["content"]["ename"]
        return ename

    assert asyncio.run(scenario()) == "KeyboardInterrupt"


def test_a_killed_kernel_is_restarted_and_clients_are_told(
    served: tuple[LiveServer, JupyterPeer],
) -> None:
    server, jupyter = served
    kernel_id = jupyter.start_kernel()["id"]
    first = pid_of(server, kernel_id)

    async def scenario() -> str:
        channels = await Channels.open(jupyter, kernel_id)
        await channels.execute("x = 1")
        os.kill(first, signal.SIGKILL)
        restarting = await channels.wait_for_status("restarting", timeout=10)
        assert restarting["parent_header"] == {}  # made by the server, as jupyter_server does
        await jupyter.until_state(kernel_id, "idle")
        after = await channels.execute("print('x' in globals())")  # the same socket, a new process
        channels.close()
        return after.stdout

    assert asyncio.run(scenario()) == "False\n"
    assert pid_of(server, kernel_id) != first
    assert gone(first)


def test_a_kernel_that_keeps_dying_is_given_up_as_dead(
    served: tuple[LiveServer, JupyterPeer], kernel_specs: Path
) -> None:
    server, jupyter = served
    kernel_id = jupyter.start_kernel(name="fragile")["id"]
    pid = pid_of(server, kernel_id)

    async def scenario() -> tuple[int | None, str]:
        channels = await Channels.open(jupyter, kernel_id)
        await channels.execute("1")
        (kernel_specs / "broken").touch()  # from now on, every restart fails
        os.kill(pid, signal.SIGKILL)
        await channels.wait_for_status("restarting", timeout=10)
        dead = await channels.wait_for_status("dead", timeout=20)
        closed = await channels.receive(timeout=10)  # then the server closes the socket
        channels.close()
        assert closed is None
        return channels.connection.close_code, dead["content"]["execution_state"]

    assert asyncio.run(scenario()) == (1000, "dead")
    assert jupyter.call("GET", f"/api/kernels/{kernel_id}")[0] == 404


def test_shutdown_escalates_to_sigkill_for_a_kernel_that_ignores_it(
    served: tuple[LiveServer, JupyterPeer],
) -> None:
    server, jupyter = served
    kernel_id = jupyter.start_kernel(name="stubborn")["id"]
    kernel = server.server.jupyter.kernels.get(kernel_id)
    server.call(server.server.jupyter.kernels.wait_ready(kernel_id))
    process = kernel.manager.provisioner.process  # type: ignore[union-attr]
    connection_file = kernel.manager.connection_file
    assert os.path.exists(connection_file)
    assert jupyter.call("DELETE", f"/api/kernels/{kernel_id}")[0] == 204
    assert process.returncode == -signal.SIGKILL  # neither the request nor SIGTERM stopped it
    assert not os.path.exists(connection_file)  # and its files are released


def test_idle_kernels_are_culled_unless_connected(live_server: Start, tmp_path: Path) -> None:
    server = live_server(
        {"/": no_app}, token=TOKEN, root_dir=str(tmp_path), cull_idle_timeout=1.0, cull_interval=0.2
    )
    jupyter = JupyterPeer(server.url(), TOKEN)
    idle = jupyter.start_kernel()["id"]
    watched = jupyter.start_kernel()["id"]
    idle_pid = pid_of(server, idle)

    async def scenario() -> None:
        channels = await Channels.open(jupyter, watched)
        await channels.execute("1")
        deadline = time.monotonic() + 20
        while jupyter.call("GET", f"/api/kernels/{idle}")[0] != 404:
            assert time.monotonic() < deadline, "the idle kernel was not culled"
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # well past the timeout: the connected one stays
        assert jupyter.call("GET", f"/api/kernels/{watched}")[0] == 200
        channels.close()

    asyncio.run(scenario())
    wait_until(lambda: gone(idle_pid))


def test_the_warm_pool_hands_out_ready_kernels_and_refills(
    live_server: Start, tmp_path: Path
) -> None:
    server = live_server({"/": no_app}, token=TOKEN, root_dir=str(tmp_path), kernel_pool=1)
    pool = server.server.jupyter.pool
    jupyter = JupyterPeer(server.url(), TOKEN)
    wait_until(lambda: pool.ready == 1, timeout=60)
    assert jupyter.call("GET", "/api/kernels")[1] == []  # pooled kernels are not shown
    kernel = server.call(pool.take())
    assert [k["id"] for k in jupyter.call("GET", "/api/kernels")[1]] == [kernel.id]
    assert kernel.execution_state == "idle"  # it answered before it was handed out
    wait_until(lambda: pool.ready == 1, timeout=60)


def test_no_kernel_outlives_the_server(live_server: Start, tmp_path: Path) -> None:
    server = live_server({"/": no_app}, token=TOKEN, root_dir=str(tmp_path), kernel_pool=1)
    jupyter = JupyterPeer(server.url(), TOKEN)
    pids = [pid_of(server, jupyter.start_kernel()["id"]) for _ in range(2)]
    wait_until(lambda: server.server.jupyter.pool.ready == 1, timeout=60)
    pooled = server.server.jupyter.pool._ready[0].pid
    assert pooled is not None
    server.stop()
    for pid in [*pids, pooled]:
        wait_until(lambda pid=pid: gone(pid), timeout=10)
