"""A stock jupyter_server (the test-only oracle) as a gateway front for livedoc:
`--GatewayClient.url=<livedoc>` makes it keep contents and sessions itself and run every kernel
on livedoc, over livedoc's REST API and its legacy websocket framing, with livedoc's token in
`Authorization: token ...`. A user of the front must not notice: kernels start, run code,
interrupt, restart and stop through it, and they are livedoc's kernels."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.interop.clients import JupyterFront, run_labservices, scratch_jupyter_dirs
from tests.jupyter_peer import Channels, JupyterPeer
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from pathlib import Path

    from livedoc.document import Document

Start = Callable[..., LiveServer]
TOKEN = "gateway-token"


def no_app(doc: Document) -> None:
    """The server's one app; these tests use its Jupyter API."""


@pytest.fixture
def gateway(
    monkeypatch: pytest.MonkeyPatch, live_server: Start, tmp_path: Path
) -> Iterator[tuple[JupyterPeer, JupyterPeer]]:
    """(the front, livedoc behind it), each with its own token."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", scratch_jupyter_dirs(tmp_path)["JUPYTER_RUNTIME_DIR"])
    root = tmp_path / "livedoc-root"
    root.mkdir()
    server = live_server({"/": no_app}, token=TOKEN, root_dir=str(root))
    front = JupyterFront(server.url(), TOKEN, tmp_path)
    try:
        yield JupyterPeer(front.url, front.token), JupyterPeer(server.url(), TOKEN)
    finally:
        front.stop()  # before livedoc stops: the front shuts its kernels down there
        print(f"--- the front's log (pytest shows it when the test failed) ---\n{front.log()}")


def livedoc_kernel(livedoc: JupyterPeer, kernel_id: str) -> dict[str, Any] | None:
    status, model, _ = livedoc.call("GET", f"/api/kernels/{kernel_id}")
    assert status in (200, 404), (status, model)
    return model if status == 200 else None


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout:g} s for {what}")


async def interrupt_a_busy_loop(channels: Channels, front: JupyterPeer, kernel_id: str) -> Any:
    """Run an endless loop, interrupt it through the front; the loop's reply."""
    code = 'print("looping", flush=True)\nwhile True:\n    pass'
    request = channels.message(
        "execute_request",
        {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        },
    )
    channels.send(request)
    msg_id = request["header"]["msg_id"]
    interrupted = False
    deadline = time.monotonic() + 30
    while True:
        incoming = await channels.receive(max(0.1, deadline - time.monotonic()))
        assert incoming is not None, "the websocket closed"
        if incoming["parent_header"].get("msg_id") != msg_id:
            continue
        kind = incoming["header"]["msg_type"]
        if kind == "stream" and "looping" in incoming["content"]["text"] and not interrupted:
            status, body, _ = front.call("POST", f"/api/kernels/{kernel_id}/interrupt", {})
            assert status == 204, (status, body)
            interrupted = True
        elif kind == "execute_reply":
            assert interrupted, incoming
            return incoming["content"]


@pytest.mark.timeout(180)
def test_kernels_started_through_the_front_live_on_livedoc(
    gateway: tuple[JupyterPeer, JupyterPeer],
) -> None:
    front, livedoc = gateway
    status, specs, _ = front.call("GET", "/api/kernelspecs")
    assert status == 200
    assert specs["default"] == "python3"  # the gateway's, as the front reports it
    assert "python3" in specs["kernelspecs"]

    kernel_id = front.start_kernel(name="python3")["id"]
    model = livedoc_kernel(livedoc, kernel_id)
    assert model is not None  # the same id, on livedoc
    assert model["name"] == "python3"

    async def session() -> None:
        # The front forces the legacy framing (on both of its sides) whatever the client offers.
        channels = await Channels.open(front, kernel_id, v1=True)
        try:
            assert not channels.v1
            reply = await channels.execute('print("hello through the front")\n6 * 7')
            assert reply.reply is not None
            assert reply.reply["content"]["status"] == "ok"
            assert reply.stdout == "hello through the front\n"
            [result] = reply.of_type("execute_result")
            assert result["content"]["data"]["text/plain"] == "42"
            # The front relays over a websocket of its own to livedoc.
            wait_until(
                lambda: (livedoc_kernel(livedoc, kernel_id) or {}).get("connections") == 1,
                "livedoc to count the front's websocket",
            )

            interrupted = await interrupt_a_busy_loop(channels, front, kernel_id)
            assert (interrupted["status"], interrupted["ename"]) == ("error", "KeyboardInterrupt")

            await channels.execute("livedoc_marker = 1")
            status, model, _ = front.call("POST", f"/api/kernels/{kernel_id}/restart", {})
            assert (status, model["id"]) == (200, kernel_id), model
            after = await channels.execute('"livedoc_marker" in globals()')
            [result] = after.of_type("execute_result")
            assert result["content"]["data"]["text/plain"] == "False"  # a fresh process
        finally:
            channels.close()

    asyncio.run(session())
    status, _, _ = front.call("DELETE", f"/api/kernels/{kernel_id}")
    assert status == 204
    assert livedoc_kernel(livedoc, kernel_id) is None
    assert kernel_id not in [k["id"] for k in livedoc.call("GET", "/api/kernels")[1]]
    assert front.call("GET", f"/api/kernels/{kernel_id}")[0] == 404


@pytest.mark.timeout(180)
def test_jupyterlab_services_through_the_front(gateway: tuple[JupyterPeer, JupyterPeer]) -> None:
    front, livedoc = gateway
    # The library offers v1, the front answers without a subprotocol, and the library falls
    # back to the legacy framing. Binary frames do not survive the front's relay (it decodes
    # them as UTF-8), so the comm round trip carries no buffers here.
    run = run_labservices(front.base + "/", front.token or "", protocol="fallback", buffers=False)
    assert run.step("session_start")["subprotocol"] == ""
    assert run.step("session_start")["websockets"] >= 2
    kernel_id = run.step("session_start")["kernel"]
    assert livedoc_kernel(livedoc, kernel_id) is None  # the session's shutdown reached livedoc
    assert livedoc.call("GET", "/api/kernels")[1] == []
