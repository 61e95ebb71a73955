"""jupyter_kernel_client (Datalayer, PyPI `jupyter-kernel-client`), a Python client of the
Jupyter REST API and kernel websocket, against a real livedoc server: start a kernel, run code
and read its outputs, restart, shut down. It authenticates with `Authorization: Bearer <token>`
(and `?token=` on the websocket), parses `last_activity` with `%Y-%m-%dT%H:%M:%S.%fZ`, and
speaks the legacy framing (its default). Its v1 framing (`JupyterSubprotocol.V1`) is not
tested: in 1.0.2 it cannot receive any message from any server (its `_on_message` formats a
debug line with `"{channel}".format(channel, **msg)`, a KeyError on every frame; the same
against a stock jupyter_server)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.interop.clients import scratch_jupyter_dirs
from tests.jupyter_peer import JupyterPeer
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from pathlib import Path

    from livedoc.document import Document

try:
    from jupyter_kernel_client import JupyterKernelClient
except ImportError:  # pragma: no cover - a missing setup step, reported by the test
    JupyterKernelClient = None

Start = Callable[..., LiveServer]
TOKEN = "kernel-client-token"


def no_app(doc: Document) -> None:
    """The server's one app; these tests use its Jupyter API."""


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, live_server: Start, tmp_path: Path) -> LiveServer:
    if JupyterKernelClient is None:
        pytest.fail(
            "jupyter_kernel_client is not installed: pip install jupyter-kernel-client==1.0.2"
            " (the project's test extras)"
        )
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", scratch_jupyter_dirs(tmp_path)["JUPYTER_RUNTIME_DIR"])
    root = tmp_path / "root"
    root.mkdir()
    return live_server({"/": no_app}, token=TOKEN, root_dir=str(root))


@pytest.mark.timeout(120)
def test_jupyter_kernel_client_runs_code_on_a_livedoc_kernel(served: LiveServer) -> None:
    livedoc = JupyterPeer(served.url(), TOKEN)
    client = JupyterKernelClient(
        server_url=livedoc.base,  # no trailing slash: the client appends "/api/kernels"
        token=TOKEN,
        client_kwargs={"timeout": 30},
    )
    with client:
        kernel_id = client.id
        assert kernel_id is not None
        assert [k["id"] for k in client.list_kernels()] == [kernel_id]
        assert client.last_activity is not None  # parsed with the microsecond Z format
        assert client.last_activity.tzinfo is not None
        assert dt.datetime.now(dt.UTC) - client.last_activity < dt.timedelta(minutes=5)

        info = client.kernel_info
        assert info is not None
        assert info["language_info"]["name"] == "python"

        reply = client.execute('import sys\nprint("hello from livedoc")\n6 * 7', timeout=30)
        assert reply["status"] == "ok"
        assert reply["execution_count"] == 1
        assert reply["outputs"] == [
            {"output_type": "stream", "name": "stdout", "text": "hello from livedoc\n"},
            {
                "output_type": "execute_result",
                "metadata": {},
                "data": {"text/plain": "42"},
                "execution_count": 1,
            },
        ]
        failed = client.execute("1 / 0", timeout=30)
        assert failed["status"] == "error"
        [error] = failed["outputs"]
        assert (error["output_type"], error["ename"]) == ("error", "ZeroDivisionError")

        client.execute("livedoc_marker = 1", timeout=30)
        client.restart()
        assert client.is_alive()
        after = client.execute('"livedoc_marker" in globals()', timeout=30)
        assert after["outputs"][0]["data"]["text/plain"] == "False"  # a fresh process
        assert livedoc.call("GET", f"/api/kernels/{kernel_id}")[0] == 200
    # Leaving the block shut the kernel down (DELETE), as the client started it.
    assert livedoc.call("GET", f"/api/kernels/{kernel_id}")[0] == 404
    assert livedoc.call("GET", "/api/kernels")[1] == []
