"""`livedoc serve` as a user runs it: a real process, its log, its pages, its shutdown."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import fields
from typing import TYPE_CHECKING

import pytest

from livedoc.server.settings import ServerSettings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SCRIPT_APP = """
from livedoc import curdoc
from livedoc.models import Div
curdoc().add_root(Div(text="script app", name="hello"))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServeProcess:
    def __init__(self, *args: str, cwd: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "livedoc", "serve", *args, "--port", str(self.port)],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []

    def wait_for_line(self, pattern: str, timeout: float = 30) -> str:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    def get(self, path: str) -> str:
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return str(response.read().decode())

    def stop(self) -> int:
        if self.process.stdout is None or self.process.stdout.closed:
            return self.process.returncode
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.lines.extend(self.process.stdout.readlines())
            self.process.stdout.close()
        return self.process.returncode


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[type[ServeProcess]]:
    started: list[ServeProcess] = []

    class Started(ServeProcess):
        def __init__(self, *args: str) -> None:
            super().__init__(*args, cwd=tmp_path)
            started.append(self)

    yield Started  # type: ignore[misc]
    for process in started:
        process.stop()


def test_serve_several_apps_logs_their_urls_and_stops_on_sigterm(
    serve: type[ServeProcess], tmp_path: Path
) -> None:
    (tmp_path / "hello.py").write_text(SCRIPT_APP)
    directory = tmp_path / "dirapp"
    directory.mkdir()
    (directory / "main.py").write_text(SCRIPT_APP.replace("script app", "directory app"))
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# a notebook app"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": SCRIPT_APP.replace("script app", "notebook app").splitlines(True),
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook))
    server = serve("hello.py", "dirapp", "nb.ipynb")
    for app in ("hello", "dirapp", "nb"):
        server.wait_for_line(rf"serving app at http://127\.0\.0\.1:{server.port}/{app}")
    index = server.get("/")
    for app in ("hello", "dirapp", "nb"):
        assert f"/{app}" in index
    assert "<title>" in server.get("/nb")
    assert server.stop() == 0
    assert any("stopping" in line for line in server.lines)


def test_serve_without_apps_serves_an_empty_document(serve: type[ServeProcess]) -> None:
    server = serve()
    server.wait_for_line(r"serving app at")
    assert "bokeh.min.js" in server.get("/")


def test_num_procs_two_both_answer(serve: type[ServeProcess], tmp_path: Path) -> None:
    (tmp_path / "hello.py").write_text(SCRIPT_APP)
    server = serve("hello.py", "--num-procs", "2")
    server.wait_for_line(r"serving app at")
    server.wait_for_line(r"serving app at")  # one line per process
    for _ in range(6):
        assert "bokeh.min.js" in server.get("/hello")
    assert server.stop() == 0  # SIGTERM to the parent stops every worker
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
    assert "LIVEDOC_SECRET_KEY" in text
    assert "--disable-index-redirect" in text
