"""`livedoc serve` as a user runs it: a real process, its log, its pages, its shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING

import pytest

from livedoc.protocol import pull_doc_req
from livedoc.server.settings import ServerSettings

from .ws_client import ProtocolClient

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SCRIPT_APP = """
from livedoc import curdoc
from livedoc.models import Div
curdoc().add_root(Div(text="script app", name="hello"))
"""

PID_APP = """
import os
from livedoc import curdoc
from livedoc.models import Div
curdoc().add_root(Div(text=str(os.getpid()), name="pid"))
"""

SECRET = "integration-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServeProcess:
    """`python -m livedoc serve ...` with its log on a pipe; stopped by PID with SIGTERM."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        if "--port" not in args:
            args = (*args, "--port", str(free_port()))
        self.port = int(args[args.index("--port") + 1])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livedoc", "serve", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.lines: list[str] = []
        self.workers: list[int] = []  # --num-procs children, once the log names them

    def wait_for_line(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            match = re.search(pattern, line)
            if match is not None:
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    def get(self, path: str) -> str:
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())

    def stop(self) -> int:
        for worker in self.workers:  # a stopped worker could not act on the SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker, signal.SIGCONT)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for worker in self.workers:  # normally gone with the parent; never leave one behind
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(worker, signal.SIGKILL)
        if self.process.stdout is not None and not self.process.stdout.closed:
            self.lines.extend(self.process.stdout.readlines())
            self.process.stdout.close()
        return self.process.returncode


Serve = Callable[..., ServeProcess]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Starts `livedoc serve` in the test's directory; stops every process it started."""
    started: list[ServeProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServeProcess:
        process = ServeProcess(*args, cwd=tmp_path, env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def write_notebook(path: Path, source: str) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# a notebook app"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source.splitlines(True),
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook))


def test_serve_several_apps_logs_their_urls_and_stops_on_sigterm(
    serve: Serve, tmp_path: Path
) -> None:
    (tmp_path / "hello.py").write_text(SCRIPT_APP)
    directory = tmp_path / "dirapp"
    directory.mkdir()
    (directory / "main.py").write_text(SCRIPT_APP.replace("script app", "directory app"))
    write_notebook(tmp_path / "nb.ipynb", SCRIPT_APP.replace("script app", "notebook app"))
    server = serve("hello.py", "dirapp", "nb.ipynb")
    for app in ("hello", "dirapp", "nb"):
        server.wait_for_line(rf"serving app at http://127\.0\.0\.1:{server.port}/{app}\b")
    index = server.get("/")
    for app in ("hello", "dirapp", "nb"):
        assert f'href="/{app}"' in index
    for app, text in (("hello", "script app"), ("dirapp", "directory app"), ("nb", "notebook app")):
        assert "bokeh.min.js" in server.get(f"/{app}")
        assert (
            pull_over_websocket(server.port, f"/{app}", page_token_at(server.port, f"/{app}"))
            == text
        )
    assert server.stop() == 0
    assert any("stopping" in line for line in server.lines)


def page_token_at(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        html = response.read().decode()
    match = re.search(r'"token":\s*"([^"]+)"', html)
    assert match is not None
    return match.group(1)


def pull_over_websocket(port: int, app: str, token: str) -> str:
    """The text of the document's single Div, pulled over the app's websocket."""

    async def pull() -> str:
        client = await ProtocolClient.connect(f"ws://127.0.0.1:{port}{app}/ws", token)
        ack = await client.receive()
        assert ack is not None
        assert ack.msgtype == "ACK"
        reply = await client.request(pull_doc_req())
        client.close()
        [root] = reply.content["doc"]["roots"]
        return str(root["attributes"]["text"])

    return asyncio.run(pull())


def test_serve_on_port_0_prints_the_real_url_and_serves_an_empty_document(
    serve: Serve,
) -> None:
    server = serve("--port", "0")
    match = server.wait_for_line(r"serving app at http://127\.0\.0\.1:(\d+)/")
    server.port = int(match.group(1))
    assert server.port != 0
    assert "bokeh.min.js" in server.get("/")


def test_serve_with_a_prefix(serve: Serve, tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text(SCRIPT_APP)
    server = serve("hello.py", "--prefix", "apps")
    server.wait_for_line(rf"serving app at http://127\.0\.0\.1:{server.port}/apps/hello\b")
    assert "bokeh.min.js" in server.get("/apps/hello")
    token = page_token_at(server.port, "/apps/hello")
    assert pull_over_websocket(server.port, "/apps/hello", token) == "script app"


def process_state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def only_this_worker_accepts(workers: list[int], chosen: int) -> None:
    """Pause every other worker (SIGSTOP), so the kernel hands new connections to `chosen`."""
    for worker in workers:
        os.kill(worker, signal.SIGCONT if worker == chosen else signal.SIGSTOP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if all(process_state(w) == "T" for w in workers if w != chosen):
            return
        time.sleep(0.01)
    raise AssertionError("the other workers did not stop")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads process states from /proc")
def test_num_procs_a_token_from_one_process_opens_its_session_on_another(
    serve: Serve, tmp_path: Path
) -> None:
    (tmp_path / "pid.py").write_text(PID_APP)
    server = serve(
        "pid.py", "--num-procs", "2", "--session-ids", "signed", env={"LIVEDOC_SECRET_KEY": SECRET}
    )
    match = server.wait_for_line(r"started 2 worker processes: (\d+) (\d+)")
    server.workers = [int(pid) for pid in match.groups()]
    server.wait_for_line(r"serving app at")
    server.wait_for_line(r"serving app at")  # one line per worker
    first, second = server.workers
    try:
        only_this_worker_accepts(server.workers, first)
        token = page_token_at(server.port, "/pid")  # a signed token minted by the first
        only_this_worker_accepts(server.workers, second)
        # The second process never saw this session: it builds it from the token alone.
        assert pull_over_websocket(server.port, "/pid", token) == str(second)
    finally:
        for worker in server.workers:
            os.kill(worker, signal.SIGCONT)
    for _ in range(4):  # both answer pages once running freely again
        assert "bokeh.min.js" in server.get("/pid")
    assert server.stop() == 0  # SIGTERM to the parent stops every worker
    for worker in server.workers:
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", server.port), timeout=2),
    ):
        pass


def test_help_explains_every_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livedoc", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for field in fields(ServerSettings):
        if field.name in ("secret_key", "index_redirect"):
            continue  # from $LIVEDOC_SECRET_KEY; --disable-index-redirect
        flag = "--" + field.name.replace("_", "-")
        assert flag in text, flag
        help_text = " ".join(ServerSettings.help_for(field.name).split())
        assert help_text[:40] in text, f"{flag} is listed without its explanation"
    assert "LIVEDOC_SECRET_KEY" in text
    assert "--disable-index-redirect" in text


def test_a_bad_app_path_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "livedoc", "serve", str(tmp_path / "missing.py"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "missing.py" in result.stderr
    assert "Traceback" not in result.stderr
