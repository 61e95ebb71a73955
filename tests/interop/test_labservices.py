"""JupyterLab's own client library, @jupyterlab/services (tests/interop/node, in Node with `ws`),
against a real livedoc server: what JupyterLab does when a user opens, runs, renames and closes a
notebook (kernel specs, a new notebook, saves and checkpoints, a session, execution, a comm round
trip with binary buffers, interrupt, restart with the reconnect, session rename, shutdown,
delete). Once with the `v1.kernel.websocket.jupyter.org` framing the library offers first, once
with the legacy JSON framing the library falls back to when no subprotocol is agreed.

Setup: `npm ci --prefix tests/interop/node` (the test fails, saying so, without it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from livedoc.kernels.wire import V1_PROTOCOL
from tests.interop.clients import run_labservices, scratch_jupyter_dirs
from tests.jupyter_peer import JupyterPeer
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from pathlib import Path

    from livedoc.document import Document

Start = Callable[..., LiveServer]
TOKEN = "labservices-token"


def no_app(doc: Document) -> None:
    """The server's one app; these tests use its Jupyter API."""


@pytest.fixture
def served(
    monkeypatch: pytest.MonkeyPatch, live_server: Start, tmp_path: Path
) -> tuple[LiveServer, Path]:
    for name, path in scratch_jupyter_dirs(tmp_path / "livedoc").items():
        if name == "JUPYTER_RUNTIME_DIR":  # kernel connection files, not in ~
            monkeypatch.setenv(name, path)
    root = tmp_path / "root"
    root.mkdir()
    return live_server({"/": no_app}, token=TOKEN, root_dir=str(root)), root


@pytest.mark.timeout(180)
@pytest.mark.parametrize("protocol", ["v1", "legacy"])
def test_jupyterlab_services_runs_a_notebook_session(
    served: tuple[LiveServer, Path], protocol: str
) -> None:
    server, root = served
    run = run_labservices(server.url(), TOKEN, protocol=protocol)

    started = run.step("session_start")
    assert started["subprotocol"] == (V1_PROTOCOL if protocol == "v1" else "")
    assert run.step("execute")["stdout"] == "hello from livedoc\n"
    assert run.step("execute")["result"] == "42"
    assert run.step("comm")["buffers"] == 1  # the binary buffer came back intact
    assert run.step("restart")["sockets"] >= 1  # the library reconnected after the restart
    # What the client did is what the server holds: nothing left running, the notebook gone.
    peer = JupyterPeer(server.url(), TOKEN)
    assert peer.call("GET", "/api/kernels")[:2] == (200, [])
    assert peer.call("GET", "/api/sessions")[:2] == (200, [])
    assert [p.name for p in root.iterdir() if not p.name.startswith(".")] == []
