"""The third-party clients of the interop tests, as processes: the @jupyterlab/services script in
Node and a stock jupyter_server used as a gateway front. Every process is started here, waited
for with a bound, and stopped by its PID (terminate, wait, kill)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "LABSERVICES_STEPS",
    "NODE_DIR",
    "NPM_SETUP",
    "JupyterFront",
    "run_labservices",
    "scratch_jupyter_dirs",
]

NODE_DIR = Path(__file__).parent / "node"
#: The setup step that installs the Node client (the exact, locked versions).
NPM_SETUP = "npm ci --prefix tests/interop/node"
#: What labservices.mjs does, in order; each step prints one JSON line.
LABSERVICES_STEPS = [
    "kernelspecs",
    "contents",
    "session_start",
    "execute",
    "comm",
    "interrupt",
    "restart",
    "rename",
    "shutdown",
    "delete",
    "done",
]


def stop_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM to the process by its PID, then SIGKILL if it is still there after `grace`."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scratch_jupyter_dirs(root: Path) -> dict[str, str]:
    """JUPYTER_* directories under `root`, so that no runtime, data or config file of a test
    lands in the home directory."""
    dirs = {}
    for name in ("runtime", "data", "config"):
        path = root / f"jupyter-{name}"
        path.mkdir(parents=True, exist_ok=True)
        dirs[f"JUPYTER_{name.upper()}_DIR"] = str(path)
    return dirs


# -- @jupyterlab/services ----------------------------------------------------------------------


def _installed_node_client() -> str:
    """The node binary, once the locked packages are installed; the test fails otherwise."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js (20 or newer) must be on PATH for the @jupyterlab/services tests")
    wanted = json.loads((NODE_DIR / "package.json").read_text())["dependencies"]
    for package, version in wanted.items():
        manifest = NODE_DIR / "node_modules" / package / "package.json"
        installed = json.loads(manifest.read_text())["version"] if manifest.is_file() else None
        if installed != version:
            pytest.fail(
                f"{package} {version} is not installed in tests/interop/node (found {installed});"
                f" run the setup step: {NPM_SETUP}"
            )
    return node


@dataclass
class LabservicesRun:
    returncode: int | None
    records: list[dict[str, Any]]
    stdout: str
    stderr: str

    def step(self, name: str) -> dict[str, Any]:
        return next(r for r in self.records if r.get("step") == name)

    def report(self) -> str:
        return (
            f"labservices.mjs exited {self.returncode}\n--- steps (stdout) ---\n{self.stdout}"
            f"--- stderr (last 60 lines) ---\n" + "\n".join(self.stderr.splitlines()[-60:])
        )


def run_labservices(
    url: str, token: str, *, protocol: str, buffers: bool = True, timeout: float = 100.0
) -> LabservicesRun:
    """Run labservices.mjs against `url`; asserts that every step passed."""
    node = _installed_node_client()
    argv = [node, str(NODE_DIR / "labservices.mjs"), "--url", url, "--token", token]
    argv += ["--protocol", protocol] + ([] if buffers else ["--no-buffers"])
    process = subprocess.Popen(
        argv,
        cwd=NODE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate(timeout=10)
        stderr += f"\n[killed after {timeout:g} s]"
    finally:
        stop_process(process)
    records = []
    for line in stdout.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append({"step": "?", "ok": False, "error": f"not a step record: {line!r}"})
    run = LabservicesRun(process.returncode, records, stdout, stderr)
    passed = [r.get("step") for r in records if r.get("ok") is True]
    assert passed == LABSERVICES_STEPS, run.report()
    assert run.returncode == 0, run.report()
    return run


# -- jupyter_server as a gateway front -----------------------------------------------------------


class JupyterFront:
    """A stock jupyter_server on 127.0.0.1 whose kernels live on a gateway (livedoc here):
    `--GatewayClient.url`, its own token, contents in its own root directory."""

    def __init__(self, gateway_url: str, gateway_token: str, scratch: Path) -> None:
        self.token = "front-token"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        root = scratch / "front-root"
        root.mkdir(parents=True, exist_ok=True)
        home = scratch / "front-home"
        home.mkdir(exist_ok=True)
        env = {**os.environ, **scratch_jupyter_dirs(scratch / "front"), "HOME": str(home)}
        env.pop("JUPYTER_TOKEN", None)
        self.log_path = scratch / "front.log"
        argv = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={self.token}",
            f"--GatewayClient.url={gateway_url.rstrip('/')}",
            f"--GatewayClient.auth_token={gateway_token}",
            "--GatewayClient.request_timeout=30",
            "--FileContentsManager.delete_to_trash=False",  # no ~/.local/share/Trash
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            self._wait_until_serving(timeout=60)
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"jupyter_server exited {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "api", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        pytest.fail(f"jupyter_server did not answer /api within {timeout:g} s:\n{self.log()}")

    def log(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-80:])

    def stop(self) -> None:
        # The front shuts its kernels down on the gateway as it stops: livedoc must still run.
        stop_process(self.process, grace=15)
