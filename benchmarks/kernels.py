"""Kernels benchmark: livedoc's Jupyter-compatible kernels API against jupyter_server, and
sessions in kernels (`livedoc serve --isolation kernel`) against inline sessions, Voila and
`bokeh serve`; in one run, each server its own process on 127.0.0.1, driven by the same client.

Both servers run from .venv (the same Python, jupyter_client, ipykernel and kernel spec), with
JUPYTER_RUNTIME_DIR / JUPYTER_DATA_DIR / JUPYTER_CONFIG_DIR / IPYTHONDIR pointed at a scratch
directory (removed at the end) and an empty scratch root dir. jupyter_server runs with its stock
settings (`--IdentityProvider.token=<t> --ServerApp.root_dir=<tmp> --no-browser --allow-root
--port <p> --ip 127.0.0.1`): no TCP_NODELAY hook, as users get it. livedoc runs as
`livedoc serve --port <p> --token <t> --root-dir <tmp> --log-level warning`.

Workloads:

  start    POST /api/kernels -> open /api/kernels/<id>/channels (v1 framing) -> send
           kernel_info_request -> kernel_info_reply received (ms), one kernel at a time, each
           deleted (DELETE, also timed) before the next; the sides alternate kernel by kernel.
  execute  one warm kernel per side: execute_request `1+1` (store_history false) -> execute_reply
           received, and -> iopub `status: idle` received (ms), after warm-up; the v1 and the
           legacy framing as separate rows; the sides take turns request by request. Also
           measured, interleaved the same way: the floor under both, a kernel started by this
           script with jupyter_client and spoken to directly over ZMQ (no server), and each
           server's CPU per request (all its threads, /proc/<pid>/task/*/schedstat).
  memory   the server process's VmRSS (not its kernels') on a fresh server with 0 kernels and
           with 5 idle kernels (each answered kernel_info over a websocket, then closed), a
           fresh pair of servers per round (informative).
  open     session open latency as a browser sees it, one session at a time, the sides in
           rotation, each session closed after: livedoc (kernel_apps/slider_app.py) with
           `--isolation kernel --kernel-pool 2` and inline: page GET (the session token) ->
           websocket -> ACK -> PULL-DOC -> reply; Voila VOILA (.bench/voila-pyX.Y, built on first
           use) with `--preheat_kernel=True --pool_size=2` on kernel_apps/slider.ipynb
           (ipywidgets IntSlider + HTML): page GET (the executed notebook's HTML) -> kernel
           websocket -> kernel_info -> widget control comm request_states -> update_states.
           Between sessions: until the closed session's kernel is shut down, the pool is full
           again (server log) and the server with its kernels is idle.
  victim   slider round trip (PATCH-DOC of the value -> on_change replaces 1,000 values -> the
           server's PATCH-DOC) of a victim session, with and without a blocker session whose
           callback spins the CPU for 200 ms, moved again as soon as it answers; livedoc
           `--isolation kernel`, livedoc inline, and .venv's `bokeh serve`
           (kernel_apps/bokeh_slider_app.py); blocks of each condition, the servers in rotation.

The client is one asyncio program: a one-write HTTP/1.1 client and a minimal websocket client on
asyncio transports, both with TCP_NODELAY on their own sockets, so only the servers' socket
options show; livedoc.kernels.wire frames and parses the kernel messages (it is cross-checked
against jupyter_server's serializers in the tests). Arrival times are taken in data_received,
before any queueing. `open` and `victim` use serve.py's Bokeh-protocol client (the page's
token, the websocket, ACK, PULL-DOC, PATCH-DOC) and Tornado's HTTP client for the pages, and the
kernel websocket above for Voila's widgets. Every loop is bounded in count and time; every server and every kernel
process it started is stopped by its PID, also on an error, Ctrl-C or SIGTERM. Server logs go
to .bench/logs/kernels-<phase>-<side>.log.

    .venv/bin/python benchmarks/kernels.py [--quick] [--json PATH]
                                           [--workloads start,execute,memory,open,victim]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tornado.httpclient import AsyncHTTPClient

from livedoc.kernels.wire import (
    V1_PROTOCOL,
    RawMessage,
    decode_legacy,
    decode_v1,
    encode_legacy,
    encode_v1,
)
from livedoc.protocol import patch_doc
from livedoc.protocol.tokens import session_id_from_token

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve as serve_bench  # the Bokeh-protocol client and the peer-venv builder

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator
    from types import FrameType

    from livedoc.protocol import Message

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
LOG_DIR = CHECKOUT / ".bench" / "logs"
VENV_BIN = Path(sys.executable).parent
SIDES = ("livedoc", "jupyter_server")
PEER = "jupyter_server"
TOKEN = "kernels-bench-" + uuid.uuid4().hex
TIMEOUT = 60.0  # any single request, handshake or reply
MAX_FRAMES_PER_REPLY = 1000  # bounds the loops that wait for one reply among other messages
MEMORY_KERNELS = 5
T = TypeVar("T")
EXECUTE_CONTENT = {
    "code": "1+1",
    "silent": False,
    "store_history": False,
    "user_expressions": {},
    "allow_stdin": False,
    "stop_on_error": True,
}


# -- processes ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the state on (index 0 = field 3)


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields else None  # field 22: starttime, tells a reused PID apart


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields and fields[1] == str(pid):
                found.append(int(entry))
    return found


def descendants_of(pid: int) -> list[int]:
    found, pending = [], [pid]
    for _ in range(10_000):  # bounded walk
        if not pending:
            break
        for child in children_of(pending.pop()):
            found.append(child)
            pending.append(child)
    return found


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of `pid` (its ZMQ I/O threads too), in ns, from schedstat."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # a thread that just ended
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
    return total


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class ServerProcess:
    """One livedoc or jupyter_server process; it and the kernels it started stopped by PID."""

    def __init__(self, side: str, scratch: Path, tag: str) -> None:
        self.side = side
        self.port = free_port()
        self.base = f"127.0.0.1:{self.port}"
        home = scratch / side
        root = home / "root"
        root.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "IPYTHONDIR": str(home / "ipython"),
            "LIVEDOC_DATA_DIR": str(home / "livedoc"),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("LIVEDOC_TOKEN", None)
        if side == "livedoc":
            command = [str(VENV_BIN / "livedoc"), "serve", "--port", str(self.port)]
            command += ["--address", "127.0.0.1", "--token", TOKEN, "--root-dir", str(root)]
            command += ["--log-level", "warning"]
        else:
            command = [str(VENV_BIN / "jupyter-server"), f"--IdentityProvider.token={TOKEN}"]
            command += [f"--ServerApp.root_dir={root}", "--no-browser", "--allow-root"]
            command += ["--port", str(self.port), "--ip", "127.0.0.1"]
        self.command = command
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"kernels-{tag}-{side}.log"
        # (pid, start time) of every child seen, so a kernel the server failed to stop is
        # still stopped by its PID at the end, and never a process that reused the PID.
        self.seen: set[tuple[int, str]] = set()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
        self.pid = self.process.pid
        try:
            self._wait_listening(60)
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    tail = self.log_path.read_text(errors="replace")[-2000:]
                    raise RuntimeError(
                        f"{self.side} exited with {self.process.returncode}:\n{tail}"
                    ) from None
                time.sleep(0.05)
        raise RuntimeError(f"{self.side} did not listen within {within:.0f} s")

    def note_children(self) -> list[int]:
        """The server's descendants now (remembered for the final clean-up)."""
        pids = descendants_of(self.pid)
        for pid in pids:
            started = _start_time(pid)
            if started is not None:
                self.seen.add((pid, started))
        return pids

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.note_children()
            self.process.send_signal(signal.SIGTERM)
            try:
                # Both shut their kernels down on SIGTERM; jupyter_server can take seconds.
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        stop_pids(self.seen, self.side)


@contextlib.contextmanager
def servers(scratch: Path, tag: str) -> Iterator[dict[str, ServerProcess]]:
    """Both servers, started one after the other and stopped whatever happens."""
    started: dict[str, ServerProcess] = {}
    try:
        for side in SIDES:
            started[side] = ServerProcess(side, scratch, tag)
        yield started
    finally:
        for server in started.values():
            server.stop()


# -- the client -----------------------------------------------------------------------------------


async def http(server: ServerProcess, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One request on a fresh connection, written in one write; (status, decoded JSON)."""
    data = b"" if body is None else json.dumps(body).encode()
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: {server.base}\r\nAuthorization: token {TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + data
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", server.port), TIMEOUT
    )
    try:
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            payload = await asyncio.wait_for(
                reader.readexactly(int(headers["content-length"])), TIMEOUT
            )
        elif status in (204, 304):
            payload = b""
        else:
            payload = await asyncio.wait_for(reader.read(), TIMEOUT)
    finally:
        writer.close()
    return status, json.loads(payload) if payload.strip() else None


class Endpoint(Protocol):
    """What the websocket client needs of a server: its name, port and host:port."""

    side: str
    port: int
    base: str


class WebSocket(asyncio.Protocol):
    """A minimal RFC 6455 client: the handshake's response headers are kept (to check the
    subprotocol), frames are cut straight out of the receive buffer and queued with their
    arrival time. Server frames are never masked; ours are. No extensions are offered."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        self.frames: asyncio.Queue[tuple[float, str | bytes] | None] = asyncio.Queue()

    @classmethod
    async def connect(
        cls, server: Endpoint, kernel_id: str, subprotocol: str | None
    ) -> tuple[WebSocket, str | None]:
        """The open websocket and the subprotocol the server selected."""
        session = uuid.uuid4().hex
        offer = f"Sec-WebSocket-Protocol: {subprotocol}\r\n" if subprotocol else ""
        request = (
            f"GET /api/kernels/{kernel_id}/channels?session_id={session} HTTP/1.1\r\n"
            f"Host: {server.base}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{offer}Authorization: token {TOKEN}\r\n\r\n"
        ).encode()
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(lambda: cls(request), "127.0.0.1", server.port), TIMEOUT
        )
        try:
            headers = await asyncio.wait_for(protocol.upgraded, TIMEOUT)
        except BaseException:
            protocol.close()
            raise
        return protocol, headers.get("sec-websocket-protocol")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(exc or ConnectionError("closed during the handshake"))
        self.frames.put_nowait(None)

    def data_received(self, data: bytes) -> None:
        arrived = time.perf_counter()
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            del self.buffer[: end + 4]
            status, *lines = head.split("\r\n")
            if not status.startswith(("HTTP/1.1 101", "HTTP/1.0 101")):
                self.upgraded.set_exception(ConnectionError(f"no upgrade: {head[:300]!r}"))
                return
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.upgraded.set_result(headers)
        self._cut_frames(arrived)

    def _cut_frames(self, arrived: float) -> None:
        buffer, position, size = self.buffer, 0, len(self.buffer)
        while size - position >= 2:
            first, length, start = buffer[position], buffer[position + 1] & 0x7F, position + 2
            opcode = first & 0x0F
            if length == 126:
                if size - start < 2:
                    break
                length, start = int.from_bytes(buffer[start : start + 2], "big"), start + 2
            elif length == 127:
                if size - start < 8:
                    break
                length, start = int.from_bytes(buffer[start : start + 8], "big"), start + 8
            if size - start < length:
                break
            if not first & 0x80 or opcode == 0:
                # Neither server fragments (Tornado never does); failing loudly beats guessing.
                raise ConnectionError("a fragmented websocket message")
            payload = bytes(buffer[start : start + length])
            position = start + length
            if opcode == 1:
                self.frames.put_nowait((arrived, payload.decode()))
            elif opcode == 2:
                self.frames.put_nowait((arrived, payload))
            elif opcode == 9:
                self.write_frame(10, payload)  # pong
            elif opcode == 8 and self.transport is not None:
                self.transport.close()
        del buffer[:position]

    def write_frame(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            head = bytes([0x80 | opcode, 0x80 | length])
        elif length < 1 << 16:
            head = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
        else:
            head = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
        key = os.urandom(4)
        repeated = (key * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
            length, "big"
        )
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(head + key + masked)

    async def next_frame(self, within: float) -> tuple[float, str | bytes]:
        item = await asyncio.wait_for(self.frames.get(), within)
        if item is None:
            raise ConnectionError("the server closed the websocket")
        return item

    def close(self) -> None:
        self.write_frame(8, (1000).to_bytes(2, "big"))
        if self.transport is not None:
            self.transport.close()


@dataclass
class Incoming:
    arrived: float
    channel: str
    msg_type: str
    parent_id: str | None
    content: bytes


class KernelClient:
    """One kernel websocket in one framing."""

    def __init__(self, ws: WebSocket, v1: bool) -> None:
        self.ws = ws
        self.v1 = v1
        self.session = uuid.uuid4().hex

    @classmethod
    async def open(cls, server: Endpoint, kernel_id: str, v1: bool) -> KernelClient:
        ws, selected = await WebSocket.connect(server, kernel_id, V1_PROTOCOL if v1 else None)
        if selected != (V1_PROTOCOL if v1 else None):
            ws.close()
            raise RuntimeError(f"{server.side} selected subprotocol {selected!r}")
        return cls(ws, v1)

    def send(
        self,
        msg_type: str,
        content: dict[str, Any],
        channel: str = "shell",
        metadata: dict[str, Any] | None = None,
    ) -> str:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "bench",
            "session": self.session,
            "date": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "version": "5.3",
        }
        raw = RawMessage(
            channel,
            json.dumps(header).encode(),
            b"{}",
            json.dumps(metadata or {}).encode(),
            json.dumps(content).encode(),
        )
        if self.v1:
            self.ws.write_frame(2, encode_v1(raw))
        else:
            frame = encode_legacy(raw)
            if isinstance(frame, str):
                self.ws.write_frame(1, frame.encode())
            else:
                self.ws.write_frame(2, frame)
        return msg_id

    async def receive(self, within: float = TIMEOUT) -> Incoming:
        arrived, frame = await self.ws.next_frame(within)
        if self.v1:
            if isinstance(frame, str):
                raise RuntimeError("a text frame on a v1 connection")
            raw = decode_v1(frame)
        else:
            raw = decode_legacy(frame)
        header = json.loads(raw.header)
        parent = json.loads(raw.parent_header)
        return Incoming(
            arrived, raw.channel, header.get("msg_type", ""), parent.get("msg_id"), raw.content
        )

    async def kernel_info(self) -> float:
        """Send kernel_info_request; the arrival time of its reply."""
        msg_id = self.send("kernel_info_request", {})
        deadline = time.monotonic() + TIMEOUT
        for _ in range(MAX_FRAMES_PER_REPLY):
            message = await self.receive(max(0.01, deadline - time.monotonic()))
            if message.parent_id == msg_id and message.msg_type == "kernel_info_reply":
                return message.arrived
        raise RuntimeError(f"no kernel_info_reply within {MAX_FRAMES_PER_REPLY} messages")

    async def execute(self, code: str) -> tuple[float, float, float]:
        """(sent, execute_reply arrived, status idle arrived), perf_counter seconds."""
        sent = time.perf_counter()
        msg_id = self.send("execute_request", EXECUTE_CONTENT | {"code": code})
        reply = idle = None
        deadline = time.monotonic() + TIMEOUT
        for _ in range(MAX_FRAMES_PER_REPLY):
            message = await self.receive(max(0.01, deadline - time.monotonic()))
            if message.parent_id != msg_id:
                continue
            if message.channel == "shell" and message.msg_type == "execute_reply":
                if json.loads(message.content).get("status") != "ok":
                    raise RuntimeError(f"execute failed: {message.content[:300]!r}")
                reply = message.arrived
            elif message.msg_type == "status" and b'"idle"' in message.content:
                idle = message.arrived
            if reply is not None and idle is not None:
                return sent, reply, idle
        raise RuntimeError(f"no execute_reply and idle within {MAX_FRAMES_PER_REPLY} messages")

    def close(self) -> None:
        self.ws.close()


REFERENCE = "kernel alone (ZMQ)"
#: PIDs of the reference kernels this process started (stopped by PID if anything fails).
REFERENCE_PIDS: set[tuple[int, str]] = set()


class ZmqKernel:
    """The floor under both servers: an ipykernel started with jupyter_client by this
    process (same spec, same Python) and spoken to directly over ZMQ, without a server."""

    def __init__(self, manager: Any, context: Any, shell: Any, iopub: Any) -> None:
        self.manager = manager
        self.context = context
        self.shell = shell
        self.iopub = iopub

    @classmethod
    async def start(cls, scratch: Path) -> ZmqKernel:
        import zmq
        import zmq.asyncio
        from jupyter_client.manager import AsyncKernelManager

        home = scratch / "reference"
        (home / "root").mkdir(parents=True, exist_ok=True)
        manager = AsyncKernelManager(
            kernel_name="python3", connection_file=str(home / "kernel.json")
        )
        env = {**os.environ, "IPYTHONDIR": str(home / "ipython")}
        env |= {"JUPYTER_RUNTIME_DIR": str(home / "runtime")}
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with (LOG_DIR / "kernels-reference-kernel.log").open("wb") as log:
            await manager.start_kernel(cwd=str(home / "root"), env=env, stdout=log, stderr=log)
        pid = manager.provisioner.process.pid
        started = _start_time(pid)
        if started is not None:
            REFERENCE_PIDS.add((pid, started))
        info = manager.get_connection_info()
        context = zmq.asyncio.Context()
        shell = context.socket(zmq.DEALER)
        iopub = context.socket(zmq.SUB)
        iopub.setsockopt(zmq.SUBSCRIBE, b"")
        for sock, port in ((shell, info["shell_port"]), (iopub, info["iopub_port"])):
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(f"{info['transport']}://{info['ip']}:{port}")
        kernel = cls(manager, context, shell, iopub)
        try:
            await kernel._wait_live()
        except BaseException:
            await kernel.stop()
            raise
        return kernel

    async def _wait_live(self) -> None:
        """Until the kernel answers and the iopub subscription delivers (bounded)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            self.manager.session.send(self.shell, self.manager.session.msg("kernel_info_request"))
            if await self.iopub.poll(200):
                break
        else:
            raise RuntimeError("the reference kernel's iopub never came alive")
        await asyncio.sleep(0.2)
        while await self.shell.poll(0) or await self.iopub.poll(0):  # drain what that caused
            for sock in (self.shell, self.iopub):
                if await sock.poll(0):
                    await sock.recv_multipart()

    async def _until(self, sock: Any, msg_id: str, msg_type: str) -> float:
        for _ in range(MAX_FRAMES_PER_REPLY):
            frames = await asyncio.wait_for(sock.recv_multipart(), TIMEOUT)
            arrived = time.perf_counter()
            parts = frames[frames.index(b"<IDS|MSG>") + 1 :]
            if json.loads(parts[2]).get("msg_id") != msg_id:
                continue
            if json.loads(parts[1]).get("msg_type") != msg_type:
                continue
            if msg_type == "status" and b'"idle"' not in parts[4]:
                continue
            return arrived
        raise RuntimeError(f"no {msg_type} within {MAX_FRAMES_PER_REPLY} messages")

    async def execute(self, code: str) -> tuple[float, float, float]:
        session = self.manager.session
        request = session.msg("execute_request", EXECUTE_CONTENT | {"code": code})
        msg_id = request["header"]["msg_id"]
        loop = asyncio.get_running_loop()
        reply = loop.create_task(self._until(self.shell, msg_id, "execute_reply"))
        idle = loop.create_task(self._until(self.iopub, msg_id, "status"))
        sent = time.perf_counter()
        session.send(self.shell, request)
        replied, idled = await asyncio.gather(reply, idle)
        return sent, replied, idled

    def close(self) -> None:
        pass  # the sockets live as long as the kernel; see stop()

    async def stop(self) -> None:
        for sock in (self.shell, self.iopub):
            sock.close()
        try:
            await asyncio.wait_for(self.manager.shutdown_kernel(now=True), 15)
        finally:
            self.context.term()
            stop_pids(REFERENCE_PIDS, "the reference kernel", quiet=True)


def stop_pids(pids: set[tuple[int, str]], what: str, quiet: bool = False) -> None:
    """SIGTERM, then SIGKILL, to those of `pids` (pid, start time) still running."""
    left = [(pid, st) for pid, st in pids if _start_time(pid) == st]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid, started in left:
            if _start_time(pid) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and any(_start_time(p) == s for p, s in left):
            time.sleep(0.05)
    still = [pid for pid, started in left if _start_time(pid) == started]
    if left and not quiet:
        print(
            f"  WARNING: {what} left {len(left)} process(es) behind: {sorted(left)}"
            f"{'; still alive: ' + str(still) if still else ' (stopped now)'}",
            file=sys.stderr,
            flush=True,
        )


async def start_kernel(server: ServerProcess) -> str:
    status, model = await http(server, "POST", "/api/kernels", {"name": "python3"})
    if status != 201 or not isinstance(model, dict):
        raise RuntimeError(f"{server.side}: POST /api/kernels answered {status}: {model}")
    server.note_children()
    return str(model["id"])


async def delete_kernel(server: ServerProcess, kernel_id: str) -> None:
    status, body = await http(server, "DELETE", f"/api/kernels/{kernel_id}")
    if status != 204:
        raise RuntimeError(f"{server.side}: DELETE answered {status}: {body}")


# -- statistics -----------------------------------------------------------------------------------


@dataclass
class Result:
    workload: str
    metric: str
    unit: str
    values: dict[str, list[float]] = field(default_factory=dict)
    goal: bool = False  # the goal applies to this row


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": statistics.median(ordered),
        "p99": percentile(ordered, 0.99),
        "p25": percentile(ordered, 0.25),
        "p75": percentile(ordered, 0.75),
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def alternating(index: int) -> tuple[str, ...]:
    """The sides in the order of round `index`: who goes first alternates."""
    return SIDES if index % 2 == 0 else SIDES[::-1]


# -- workloads ------------------------------------------------------------------------------------


async def workload_start(procs: dict[str, ServerProcess], count: int, cap: float) -> list[Result]:
    metrics = {
        "total": Result("start", "POST -> kernel_info_reply (total)", "ms"),
        "post": Result("start", "  POST /api/kernels answered", "ms"),
        "open": Result("start", "  then websocket open (101)", "ms"),
        "info": Result("start", "  then kernel_info round trip", "ms"),
        "delete": Result("start", "DELETE /api/kernels/<id>", "ms"),
    }
    for result in metrics.values():
        result.values = {side: [] for side in SIDES}
    deadline = time.monotonic() + cap
    for index in range(count):
        if time.monotonic() > deadline:
            print(f"  start: time cap ({cap:.0f} s) reached after {index} rounds", flush=True)
            break
        for side in alternating(index):
            server = procs[side]
            began = time.perf_counter()
            kernel_id = await start_kernel(server)
            posted = time.perf_counter()
            client = await KernelClient.open(server, kernel_id, v1=True)
            opened = time.perf_counter()
            replied = await client.kernel_info()
            client.close()
            deleting = time.perf_counter()
            await delete_kernel(server, kernel_id)
            deleted = time.perf_counter()
            for key, value in (
                ("total", replied - began),
                ("post", posted - began),
                ("open", opened - posted),
                ("info", replied - opened),
                ("delete", deleted - deleting),
            ):
                metrics[key].values[side].append(value * 1000)
    return list(metrics.values())


def cpu_reading(server: ServerProcess, last: dict[str, int], result: Result) -> None:
    """The server's CPU (ms) since its previous reading, into `result`."""
    now = cpu_ns(server.pid)
    if server.side in last:
        result.values[server.side].append((now - last[server.side]) / 1e6)
    last[server.side] = now


async def workload_execute(
    procs: dict[str, ServerProcess], count: int, warmup: int, cap: float, scratch: Path
) -> list[Result]:
    """Both servers' kernels and the reference kernel, request by request in rotation."""
    kernels = {side: await start_kernel(procs[side]) for side in SIDES}
    reference: ZmqKernel | None = None
    everyone = (*SIDES, REFERENCE)
    results = []
    try:
        reference = await ZmqKernel.start(scratch)
        for v1 in (True, False):
            name = "v1" if v1 else "legacy"
            reply = Result("execute", f"1+1 -> execute_reply, {name}", "ms", goal=True)
            idle = Result("execute", f"1+1 -> status idle, {name}", "ms", goal=True)
            cpu = Result("execute", f"server CPU per execute, {name}", "ms")
            reply.values = {side: [] for side in everyone}
            idle.values = {side: [] for side in everyone}
            cpu.values = {side: [] for side in SIDES}
            clients: dict[str, KernelClient | ZmqKernel] = {REFERENCE: reference}
            try:
                for side in SIDES:
                    client = await KernelClient.open(procs[side], kernels[side], v1)
                    clients[side] = client
                    await client.kernel_info()
                for _ in range(warmup):
                    for side in everyone:
                        await clients[side].execute("1+1")
                # A server's CPU from before one of its requests to before its next one: all
                # it did for that request (the other requests are not its business).
                last_cpu: dict[str, int] = {}
                deadline = time.monotonic() + cap
                for index in range(count):
                    if time.monotonic() > deadline:
                        print(f"  execute: time cap ({cap:.0f} s) reached after {index}")
                        break
                    shift = index % len(everyone)  # who goes first rotates
                    for side in everyone[shift:] + everyone[:shift]:
                        if side in procs:
                            cpu_reading(procs[side], last_cpu, cpu)
                        sent, replied, idled = await clients[side].execute("1+1")
                        reply.values[side].append((replied - sent) * 1000)
                        idle.values[side].append((idled - sent) * 1000)
                for side in SIDES:
                    cpu_reading(procs[side], last_cpu, cpu)  # closes each one's last request
            finally:
                for client in clients.values():
                    client.close()
            results += [reply, idle, cpu]
    finally:
        if reference is not None:
            await reference.stop()
        for side in SIDES:
            await delete_kernel(procs[side], kernels[side])
    return results


async def memory_round(procs: dict[str, ServerProcess]) -> dict[str, tuple[float, float]]:
    """RSS (MiB) of each fresh server with 0, then with MEMORY_KERNELS idle kernels."""
    for side in SIDES:
        await http(procs[side], "GET", "/api/kernels")  # the handlers' first-use costs
    await asyncio.sleep(1.0)
    empty = {side: procs[side].rss_kib() / 1024 for side in SIDES}
    kernels: dict[str, list[str]] = {side: [] for side in SIDES}
    try:
        for index in range(MEMORY_KERNELS):
            for side in alternating(index):
                kernel_id = await start_kernel(procs[side])
                kernels[side].append(kernel_id)
                client = await KernelClient.open(procs[side], kernel_id, v1=True)
                await client.kernel_info()
                client.close()
        await asyncio.sleep(1.5)  # closed websockets cleaned up, kernels idle
        loaded = {side: procs[side].rss_kib() / 1024 for side in SIDES}
    finally:
        for side in SIDES:
            for kernel_id in kernels[side]:
                await delete_kernel(procs[side], kernel_id)
    return {side: (empty[side], loaded[side]) for side in SIDES}


def run_memory(scratch: Path, rounds: int) -> list[Result]:
    empty = Result("memory", "server RSS, 0 kernels (fresh)", "MiB")
    loaded = Result("memory", f"server RSS, {MEMORY_KERNELS} idle kernels", "MiB")
    growth = Result("memory", "server RSS growth per idle kernel", "MiB")
    for result in (empty, loaded, growth):
        result.values = {side: [] for side in SIDES}
    for index in range(rounds):
        with servers(scratch, f"memory{index}") as procs:
            measured = run_async(memory_round(procs))
        for side, (zero, five) in measured.items():
            empty.values[side].append(zero)
            loaded.values[side].append(five)
            growth.values[side].append((five - zero) / MEMORY_KERNELS)
    return [empty, loaded, growth]


async def run_latency(
    procs: dict[str, ServerProcess], names: list[str], quick: bool, scratch: Path
) -> list[Result]:
    results = []
    if "start" in names:
        begun = time.monotonic()
        results += await workload_start(procs, 6 if quick else 20, 30 if quick else 75)
        print(f"  start: {time.monotonic() - begun:.1f} s", flush=True)
    if "execute" in names:
        begun = time.monotonic()
        results += await workload_execute(
            procs, 40 if quick else 200, 5 if quick else 10, 15 if quick else 40, scratch
        )
        print(f"  execute: {time.monotonic() - begun:.1f} s", flush=True)
    return results


# -- app servers: livedoc serve (kernel, inline), bokeh serve, Voila (open, victim) ---------------

APP_DIR = HERE / "kernel_apps"
LIVEDOC_APP = APP_DIR / "slider_app.py"
BOKEH_APP = APP_DIR / "bokeh_slider_app.py"
NOTEBOOK = APP_DIR / "slider.ipynb"
BENCH_DIR = CHECKOUT / ".bench"
# The newest Voila release when this was written (2026-12), in a venv of its own: installing it
# into .venv would change the jupyter_server the tests run against.
VOILA = "0.5.13"
VOILA_VENV = BENCH_DIR / f"voila-py{sys.version_info.major}.{sys.version_info.minor}"
KERNEL, INLINE, VOILA_SIDE, BOKEH = "livedoc kernel", "livedoc inline", "Voila", "bokeh serve"
POOL = 2  # livedoc's --kernel-pool and Voila's --pool_size
# livedoc discards a session this long after its last connection closed (and checks as often),
# so a closed session's kernel is shut down before the next one opens (default: 15 s / 17 s).
SESSION_LIFETIME = 0.5
QUIET_WINDOW = 0.25  # s; "settled" = two windows in a row under QUIET_SHARE of one core,
QUIET_SHARE = 0.05  # over the server and all its descendants (kernels)
SETTLE_CAP = 30.0  # s, for each thing waited for between sessions
POOL_FULL = re.compile(rf"kernel pool: {POOL} of {POOL} ready")
VOILA_FILLED = re.compile(r"Kernel pool of \S+ is filled")
KERNEL_OPENED = re.compile(
    r"session (\S+) runs in kernel \S+ \(pid \d+\), opened in ([\d.]+) ms \(kernel ([\d.]+), "
    r"channels ([\d.]+), app ([\d.]+), replica ([\d.]+)\)"
)
INLINE_OPENED = re.compile(r"session (\S+) opened in ([\d.]+) ms")
VOILA_KERNEL_ID = re.compile(rb'"kernelId":\s*"([0-9a-f-]{36})"')
ROWS = 1000  # the apps' source length
SPIN_MS = 200  # the blocker's callback
# s; the victim waits uniform(0, this) before each move, in both conditions. Longer than a spin
# cycle, so its moves fall at random phases of the blocker's spins: after a short pause they
# would lock on to the end of a spin (the victim's previous answer comes when a spin ends).
VICTIM_PAUSE = 0.25
MAX_SPINS = 100_000  # bounds the blocker's loop (it is also stopped with its block)


@dataclass
class Voila:
    executable: Path
    versions: str


def _voila_versions(python: Path) -> str | None:
    code = (
        "from importlib.metadata import version as v; print(', '.join(f'{n} {v(n)}' for n in "
        "('voila', 'ipywidgets', 'jupyter_server', 'ipykernel', 'tornado')))"
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else None


def base_python() -> Path:
    """The Python .venv was made from (the same version and build), else PATH's."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidate = Path(sys.base_prefix) / "bin" / name
    if candidate.exists():
        return candidate
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"no {name} found (for the Voila venv)")
    return Path(found)


def build_voila() -> Voila:
    """.bench/voila-pyX.Y with Voila VOILA and ipywidgets, created (with pip's progress output,
    as serve.py builds its bokeh peer) when missing or not the wanted version."""
    python = VOILA_VENV / "bin" / "python"
    versions = _voila_versions(python) if python.exists() else None
    if versions is None or not versions.startswith(f"voila {VOILA},"):
        base = base_python()
        print(f"  building the Voila venv {VOILA_VENV} from {base} (once) ...", flush=True)
        if not python.exists():
            serve_bench._run_checked([str(base), "-m", "venv", str(VOILA_VENV)], "creating it")
        install = [str(python), "-m", "pip", "install", "--progress-bar", "on"]
        serve_bench._run_checked(
            [*install, f"voila=={VOILA}", "ipywidgets", "ipykernel"], "installing Voila"
        )
        versions = _voila_versions(python)
        if versions is None or not versions.startswith(f"voila {VOILA},"):
            raise RuntimeError(f"the Voila venv has {versions}, not voila {VOILA}")
    return Voila(VOILA_VENV / "bin" / "voila", versions)


def choose_voila() -> Voila | str:
    """The Voila to compare with, or why there is none (the run goes on without it)."""
    try:
        return build_voila()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return f"Voila {VOILA} could not be installed in {VOILA_VENV} ({exc})"


def _cpu_or_none(pid: int) -> int | None:
    try:
        return cpu_ns(pid)
    except OSError:  # it has just ended
        return None


class AppServer:
    """`livedoc serve` (inline or kernel), `bokeh serve` or Voila, serving the benchmark's
    app; it and every process seen under it (its kernels) are stopped by PID."""

    def __init__(self, side: str, scratch: Path, tag: str, voila: Voila | None = None) -> None:
        self.side = side
        self.port = free_port()
        self.base = f"127.0.0.1:{self.port}"
        home = scratch / f"{tag}-{side.replace(' ', '-')}"
        root = home / "root"
        root.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "IPYTHONDIR": str(home / "ipython"),
            "LIVEDOC_DATA_DIR": str(home / "livedoc"),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("LIVEDOC_TOKEN", None)
        port = str(self.port)
        path = f"/{LIVEDOC_APP.stem}"
        if side in (KERNEL, INLINE):
            command = [str(VENV_BIN / "livedoc"), "serve", str(LIVEDOC_APP), "--port", port]
            command += ["--address", "127.0.0.1", "--token", TOKEN, "--root-dir", str(root)]
            # info: the pool's and the sessions' log lines are what the settle waits for
            command += ["--log-level", "info", "--unused-session-lifetime", str(SESSION_LIFETIME)]
            command += ["--check-unused-sessions", str(SESSION_LIFETIME)]
            if side == KERNEL:
                command += ["--isolation", "kernel", "--kernel-pool", str(POOL)]
        elif side == BOKEH:
            command = [str(VENV_BIN / "bokeh"), "serve", str(BOKEH_APP), "--port", port]
            command += ["--address", "127.0.0.1", "--log-level", "warning"]
            path = f"/{BOKEH_APP.stem}"
        elif side == VOILA_SIDE and voila is not None:
            command = [str(voila.executable), str(NOTEBOOK), "--port", port, "--no-browser"]
            command += ["--Voila.ip=127.0.0.1", "--preheat_kernel=True", f"--pool_size={POOL}"]
            command += [f"--Voila.connection_dir_root={home}"]
            path = "/"
        else:
            raise ValueError(f"no server for {side!r}")
        self.command = command
        self.url = f"http://{self.base}{path}"
        self.ws_url = self.url.replace("http://", "ws://") + "/ws"
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"kernels-{tag}-{side.replace(' ', '-')}.log"
        self.seen: set[tuple[int, str]] = set()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
        self.pid = self.process.pid
        try:
            serve_bench.wait_listening(self.port, self.process, self.log_path, side, 90)
        except BaseException:
            self.stop()
            raise

    def note_children(self) -> list[int]:
        pids = descendants_of(self.pid)
        for pid in pids:
            started = _start_time(pid)
            if started is not None:
                self.seen.add((pid, started))
        return pids

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    async def wait_log(self, pattern: re.Pattern[str], since: int, within: float) -> bool:
        """Until `pattern` shows in the log past byte `since`; False after `within` s."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if pattern.search(self.log_since(since)):
                return True
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.side} exited:\n{self.log_since(0)[-2000:]}")
            await asyncio.sleep(0.02)
        return False

    async def wait_quiet(self, within: float) -> bool:
        """Until the server and all its descendants used under QUIET_SHARE of one core in two
        QUIET_WINDOWs in a row, with no process started or ended; False after `within` s."""
        deadline = time.monotonic() + within
        quiet = 0
        while time.monotonic() < deadline:
            pids = {self.pid, *self.note_children()}
            before = {pid: _cpu_or_none(pid) for pid in pids}
            await asyncio.sleep(QUIET_WINDOW)
            after = {pid: _cpu_or_none(pid) for pid in pids}
            same = pids == {self.pid, *descendants_of(self.pid)}
            known = [(before[p], after[p]) for p in pids]
            if same and all(b is not None and a is not None for b, a in known):
                used = sum(a - b for b, a in known if a is not None and b is not None)
                quiet = quiet + 1 if used < QUIET_SHARE * QUIET_WINDOW * 1e9 else 0
            else:
                quiet = 0
            if quiet >= 2:
                return True
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.note_children()
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)  # Voila and livedoc shut their kernels down first
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        stop_pids(self.seen, self.side)


@contextlib.contextmanager
def app_servers(
    sides: list[str], scratch: Path, tag: str, voila: Voila | None = None
) -> Iterator[dict[str, AppServer]]:
    """The servers, started one after the other and stopped whatever happens."""
    started: dict[str, AppServer] = {}
    try:
        for side in sides:
            started[side] = AppServer(side, scratch, tag, voila)
        yield started
    finally:
        for server in started.values():
            server.stop()


async def until_ready(server: AppServer) -> None:
    """Until the server's pool is full (kernel mode, Voila) and everything under it is idle."""
    if server.side == KERNEL and not await server.wait_log(POOL_FULL, 0, 120):
        raise RuntimeError(f"{server.side}: the kernel pool did not fill within 120 s")
    if server.side == VOILA_SIDE and not await server.wait_log(VOILA_FILLED, 0, 120):
        raise RuntimeError("Voila: the kernel pool did not fill within 120 s")
    if not await server.wait_quiet(SETTLE_CAP):
        print(f"  WARNING: {server.side} not idle after {SETTLE_CAP:.0f} s", flush=True)


def rotated(sides: list[str], index: int) -> list[str]:
    shift = index % len(sides)
    return sides[shift:] + sides[:shift]


# -- workload open --------------------------------------------------------------------------------

OPEN_TOTAL = "session open, as a browser sees it"


@dataclass
class Opened:
    phases: dict[str, float]  # ms
    session: str  # livedoc's session id, Voila's kernel id


async def open_livedoc(http: AsyncHTTPClient, server: AppServer) -> Opened:
    """page GET (the token) -> websocket -> ACK -> PULL-DOC -> reply; then closed."""
    began = time.perf_counter()
    token = await serve_bench.page_token(http, server.url)
    paged = time.perf_counter()
    client = await serve_bench.Client.open(server.ws_url, token)
    acked = time.perf_counter()
    try:
        doc = await client.pull()
        pulled = time.perf_counter()
    finally:
        client.close()
    if len(doc.get("roots", [])) != 4:
        raise RuntimeError(f"{server.side}: unexpected document {str(doc)[:300]}")
    return Opened(
        {
            OPEN_TOTAL: (pulled - began) * 1000,
            "  page GET (app run for the session)": (paged - began) * 1000,
            "  websocket + ACK": (acked - paged) * 1000,
            "  PULL-DOC -> reply": (pulled - acked) * 1000,
        },
        session_id_from_token(token),
    )


async def open_voila(http: AsyncHTTPClient, server: AppServer) -> Opened:
    """What a browser does on a Voila page with a preheated kernel: the page GET (the executed
    notebook's HTML), the kernel's websocket, kernel_info (which @jupyterlab/services waits for
    before sending anything else), then the widget manager's control comm: comm_open
    `jupyter.widget.control` + request_states -> update_states (the widgets' state, as
    PULL-DOC). Then closed as a tab closes: the websocket, and the POST the page's
    `beforeunload` beacon sends to shut its kernel down."""
    began = time.perf_counter()
    response = await http.fetch(server.url)
    paged = time.perf_counter()
    match = VOILA_KERNEL_ID.search(response.body)
    if match is None or b"application/vnd.jupyter.widget-view+json" not in response.body:
        raise RuntimeError("Voila: no kernel id or no rendered slider in the page")
    kernel_id = match.group(1).decode()
    client = await KernelClient.open(server, kernel_id, v1=True)
    opened = time.perf_counter()
    try:
        await client.kernel_info()
        informed = time.perf_counter()
        comm_id = uuid.uuid4().hex
        control = {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}}
        client.send("comm_open", control, metadata={"version": "1.0.0"})
        client.send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        deadline = time.monotonic() + TIMEOUT
        for _ in range(MAX_FRAMES_PER_REPLY):
            message = await client.receive(max(0.01, deadline - time.monotonic()))
            if message.msg_type != "comm_msg":
                continue
            content = json.loads(message.content)
            if content.get("comm_id") == comm_id:
                data = content.get("data", {})
                if data.get("method") == "update_states":
                    break
        else:
            raise RuntimeError("Voila: no update_states reply")
        stated = time.perf_counter()
    finally:
        client.close()
    names = {state.get("model_name") for state in data.get("states", {}).values()}
    if not {"IntSliderModel", "HTMLModel"} <= names:
        raise RuntimeError(f"Voila: unexpected widget states {sorted(map(str, names))}")
    await voila_shutdown(http, server, kernel_id)
    return Opened(
        {
            OPEN_TOTAL: (stated - began) * 1000,
            "  page GET (executed notebook HTML)": (paged - began) * 1000,
            "  kernel websocket (101)": (opened - paged) * 1000,
            "  kernel_info round trip": (informed - opened) * 1000,
            "  widget states (request_states -> update_states)": (stated - informed) * 1000,
        },
        kernel_id,
    )


async def voila_shutdown(http: AsyncHTTPClient, server: AppServer, kernel_id: str) -> None:
    """The page's beforeunload beacon: POST /voila/api/shutdown/<kernel> with `_xsrf` in the
    form and its cookie (the pre-rendered page sets none, so the client makes one up, as a
    browser holding the cookie would send it)."""
    xsrf = uuid.uuid4().hex
    response = await http.fetch(
        f"http://{server.base}/voila/api/shutdown/{kernel_id}",
        method="POST",
        body=f"_xsrf={xsrf}",
        headers={"Cookie": f"_xsrf={xsrf}", "Content-Type": "application/x-www-form-urlencoded"},
        raise_error=False,
    )
    if response.code != 204:
        raise RuntimeError(f"Voila: the kernel shutdown answered {response.code}")


async def settle(server: AppServer, opened: Opened, offset: int) -> bool:
    """After a closed session: until its kernel is shut down, the pool is full again and the
    server with everything under it is idle (see `wait_quiet`); False if any wait timed out."""
    done = True
    if server.side in (KERNEL, INLINE):
        gone = re.compile(rf"session {re.escape(opened.session)} destroyed")
        done &= await server.wait_log(gone, offset, SETTLE_CAP)
    if server.side == KERNEL:
        done &= await server.wait_log(POOL_FULL, offset, SETTLE_CAP)
    if server.side == VOILA_SIDE:  # the shutdown POST returned when the kernel was gone
        done &= await server.wait_log(VOILA_FILLED, offset, SETTLE_CAP)
    done &= await server.wait_quiet(SETTLE_CAP)
    return done


SERVER_PHASES = ("opened (server)", "  kernel (pool take)", "  channels", "  app", "  replica")


def server_phases(server: AppServer, opened: Opened, offset: int) -> dict[str, float]:
    """livedoc's own account of the open, from its log line for this session (ms)."""
    text = server.log_since(offset)
    if server.side == KERNEL:
        for match in KERNEL_OPENED.finditer(text):
            if match.group(1) == opened.session:
                values = [float(group) for group in match.groups()[1:]]
                return dict(zip(SERVER_PHASES, values, strict=True))
    elif server.side == INLINE:
        for match in INLINE_OPENED.finditer(text):
            if match.group(1) == opened.session:
                return {SERVER_PHASES[0]: float(match.group(2))}
    return {}


@dataclass
class Series:
    """Values per (metric, side), in insertion order."""

    workload: str
    unit: str
    values: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def add(self, metric: str, side: str, value: float) -> None:
        self.values.setdefault(metric, {}).setdefault(side, []).append(value)


async def workload_open(procs: dict[str, AppServer], rounds: int, cap: float) -> Series:
    """One session at a time, the sides in rotation; one untimed warm-up session per side."""
    series = Series("open", "ms")
    http = AsyncHTTPClient(force_instance=True)
    sides = list(procs)
    unsettled = dict.fromkeys(sides, 0)
    try:
        for server in procs.values():
            await until_ready(server)
        deadline = time.monotonic() + cap
        for index in range(rounds + 1):  # round 0 is the warm-up
            if time.monotonic() > deadline:
                print(f"  open: time cap ({cap:.0f} s) reached after {index - 1} rounds")
                break
            for side in rotated(sides, index):
                server = procs[side]
                offset = server.log_size()
                opener = open_voila if side == VOILA_SIDE else open_livedoc
                opened = await opener(http, server)
                waited = time.monotonic()
                settled = await settle(server, opened, offset)
                waited = time.monotonic() - waited
                if not index:
                    continue
                unsettled[side] += not settled
                for metric, value in opened.phases.items():
                    series.add(metric, side, value)
                for metric, value in server_phases(server, opened, offset).items():
                    series.add(f"livedoc's log: {metric}", side, value)
                series.add("wait after the session (pool refill, settle)", side, waited * 1000)
    finally:
        http.close()
    for side, count in unsettled.items():
        if count:
            print(f"  WARNING: {side}: {count} sessions not settled within the caps", flush=True)
    return series


def run_open(scratch: Path, quick: bool, voila: Voila | str) -> Series:
    sides = [KERNEL, INLINE] + ([VOILA_SIDE] if isinstance(voila, Voila) else [])
    if isinstance(voila, str):
        print(f"  WARNING: {voila}; the open workload runs without Voila", flush=True)
    with app_servers(sides, scratch, "open", voila if isinstance(voila, Voila) else None) as procs:
        return run_async(workload_open(procs, 3 if quick else 15, 35 if quick else 140))


# -- workload victim ------------------------------------------------------------------------------


def is_new_column(message: Message) -> bool:
    return serve_bench.replaced_rows(message) == ROWS


def is_status(message: Message) -> bool:
    return any(
        event.get("kind") == "ModelChanged" and event.get("attr") == "text"
        for event in message.content.get("events", [])
    )


async def round_trip(
    client: serve_bench.Client, model_id: str, value: float, wanted: Callable[[Message], bool]
) -> float:
    """PATCH-DOC of a slider's value -> the PATCH-DOC `wanted` picks (ms); the OK may come
    first, a PATCH-DOC of anything else is an error."""
    event = {"kind": "ModelChanged", "model": {"id": model_id}, "attr": "value", "new": value}
    started = time.perf_counter()
    client.send(patch_doc([event], {}))
    for _ in range(MAX_FRAMES_PER_REPLY):
        message = await client.receive(TIMEOUT)
        if message is None:
            raise RuntimeError("the connection closed during a round trip")
        if message.msgtype == "PATCH-DOC":
            if not wanted(message):
                raise RuntimeError(f"an unexpected PATCH-DOC: {str(message.content)[:300]}")
            return (time.perf_counter() - started) * 1000
    raise RuntimeError(f"no PATCH-DOC back within {MAX_FRAMES_PER_REPLY} messages")


@dataclass
class Slider:
    client: serve_bench.Client
    ids: dict[str, str]  # model name -> id
    moves: int = 0

    @classmethod
    async def open(cls, http: AsyncHTTPClient, server: AppServer) -> Slider:
        client, doc = await serve_bench.open_session(http, server)
        ids = {
            root["attributes"]["name"]: root["id"]
            for root in doc["roots"]
            if root.get("attributes", {}).get("name")
        }
        if not {"slider", "spin", "status"} <= ids.keys():
            client.close()
            raise RuntimeError(f"unexpected document roots {sorted(ids)}")
        return cls(client, ids)

    async def victim_move(self) -> float:
        self.moves += 1
        value = 2 + self.moves % 98  # never the value before: on_change always runs
        return await round_trip(self.client, self.ids["slider"], value, is_new_column)

    async def spin_move(self) -> float:
        self.moves += 1
        value = SPIN_MS + self.moves % 2  # 200 or 201 ms, never the value before
        return await round_trip(self.client, self.ids["spin"], value, is_status)


class Blocker:
    """Moves the spin slider again as soon as the previous spin answered, until stopped."""

    def __init__(self, slider: Slider) -> None:
        self.slider = slider
        self.round_trips: list[float] = []
        self.busy = 0.0  # s of blocking time (spin values) asked for while measured
        self.stop = asyncio.Event()
        self.first = asyncio.get_running_loop().create_future()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        for _ in range(MAX_SPINS):
            if self.stop.is_set():
                return
            took = await self.slider.spin_move()
            if self.first.done():
                self.round_trips.append(took)
                self.busy += (SPIN_MS + self.slider.moves % 2) / 1000
            else:
                self.first.set_result(None)

    async def started(self) -> None:
        await asyncio.wait_for(asyncio.shield(self.first), TIMEOUT)

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, TIMEOUT)


VICTIM_METRICS = {
    "without": "victim round trip, no blocker",
    "with": "victim round trip, blocker spinning",
    "hog": "victim round trip, a CPU hog process (control)",
}
#: PIDs (with start times) of the CPU hogs this process started, stopped by PID on any exit.
HOG_PIDS: set[tuple[int, str]] = set()


@contextlib.contextmanager
def cpu_hog() -> Iterator[None]:
    """A process of this script's that keeps one core busy (no session, no server): what the
    blocker's kernel costs the machine, without livedoc in it."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
    started = _start_time(hog.pid)
    if started is not None:
        HOG_PIDS.add((hog.pid, started))
    try:
        time.sleep(0.1)  # running
        yield
    finally:
        hog.kill()
        hog.wait(5)
        stop_pids(HOG_PIDS, "the CPU hog", quiet=True)
        HOG_PIDS.clear()


async def workload_victim(
    procs: dict[str, AppServer], blocks: int, per_block: int, cap: float
) -> tuple[Series, dict[str, dict[str, Any]]]:
    """Per server, a victim session and a blocker session; blocks of `per_block` victim round
    trips without and with the blocker running (and, for livedoc kernel, with a CPU hog process
    instead), the servers in rotation and the order of the conditions rotating."""
    series = Series("victim", "ms")
    blockers: dict[str, dict[str, Any]] = {}
    rng = random.Random(20261204)
    http = AsyncHTTPClient(force_instance=True)
    sessions: dict[str, tuple[Slider, Slider]] = {}
    try:
        for server in procs.values():
            await until_ready(server)
        for side, server in procs.items():
            sessions[side] = (await Slider.open(http, server), await Slider.open(http, server))
            blockers[side] = {"round trips": [], "busy": 0.0, "wall": 0.0}
        for server in procs.values():
            await until_ready(server)  # kernel mode: the pool refilled after the two sessions
        for victim, blocker_session in sessions.values():  # warm-up, untimed
            for _ in range(5):
                await victim.victim_move()
            await blocker_session.spin_move()
        sides = list(procs)
        deadline = time.monotonic() + cap
        for index in range(blocks):
            if time.monotonic() > deadline:
                print(f"  victim: time cap ({cap:.0f} s) reached after {index} blocks")
                break
            for turn, side in enumerate(rotated(sides, index)):
                victim, blocker_session = sessions[side]
                conditions = ["without", "with"] + (["hog"] if side == KERNEL else [])
                for condition in rotated(conditions, index + turn):
                    blocker = Blocker(blocker_session) if condition == "with" else None
                    if blocker is not None:
                        await blocker.started()
                    began = time.monotonic()
                    hog = cpu_hog() if condition == "hog" else contextlib.nullcontext()
                    try:
                        with hog:
                            for _ in range(per_block):
                                await asyncio.sleep(rng.uniform(0, VICTIM_PAUSE))
                                took = await victim.victim_move()
                                series.add(VICTIM_METRICS[condition], side, took)
                    finally:
                        if blocker is not None:
                            wall = time.monotonic() - began
                            await blocker.finish()
                            blockers[side]["round trips"] += blocker.round_trips
                            blockers[side]["busy"] += min(blocker.busy, wall)
                            blockers[side]["wall"] += wall
    finally:
        for pair in sessions.values():
            for slider in pair:
                slider.client.close()
        http.close()
    return series, blockers


def run_victim(scratch: Path, quick: bool) -> tuple[Series, dict[str, dict[str, Any]]]:
    with app_servers([KERNEL, INLINE, BOKEH], scratch, "victim") as procs:
        return run_async(
            workload_victim(procs, 2 if quick else 4, 8 if quick else 20, 40 if quick else 150)
        )


# -- tables for open and victim -------------------------------------------------------------------

GOAL_OPEN_MS = 50.0  # livedoc --isolation kernel: median open <= 50 ms, and below Voila's
GOAL_VICTIM = 1.10  # livedoc --isolation kernel: with the blocker <= 1.1x without


def stats_cells(stats: dict[str, float]) -> str:
    return (
        f"| {fmt(stats['median'])} | {fmt(stats['p99'])} | {fmt(stats['p25'])} - "
        f"{fmt(stats['p75'])} | {fmt(stats['min'])} - {fmt(stats['max'])} | {stats['n']} "
    )


SIDE_ORDER = (KERNEL, INLINE, VOILA_SIDE, BOKEH)


def open_table(series: Series) -> tuple[str, list[dict[str, Any]], bool | None]:
    """Every metric, a row per side; the total's ratio to Voila's and the goal."""
    lines = [
        "| metric | side | median | p99 | IQR (p25 - p75) | min - max | n | / Voila | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows: list[dict[str, Any]] = []
    totals = series.values.get(OPEN_TOTAL, {})
    voila = statistics.median(totals[VOILA_SIDE]) if totals.get(VOILA_SIDE) else None
    met: bool | None = None
    order = [OPEN_TOTAL]  # then each side's phases, the sides in SIDE_ORDER; the wait last
    for side in SIDE_ORDER:
        order += [m for m, per in series.values.items() if side in per and m not in order]
    order.sort(key=lambda metric: metric.startswith("wait"))
    for metric in order:
        per_side = series.values.get(metric, {})
        present = [side for side in SIDE_ORDER if side in per_side]
        for position, side in enumerate(present):
            values = per_side[side]
            stats = summary(values)
            ratio = verdict = ""
            if metric == OPEN_TOTAL and voila:
                ratio = f"**{stats['median'] / voila:.3g}**"
            if metric == OPEN_TOTAL and side == KERNEL:
                met = stats["median"] <= GOAL_OPEN_MS and (voila is None or stats["median"] < voila)
                verdict = f"<= {GOAL_OPEN_MS:g} ms and < Voila: {'met' if met else 'NOT met'}"
                if voila is None:
                    verdict += " (no Voila in this run)"
            label = f"{metric} ({series.unit})" if position == 0 else ""
            lines.append(f"| {label} | {side} {stats_cells(stats)}| {ratio} | {verdict} |")
            rows.append({"metric": metric.strip(), "side": side, **stats, "raw": values})
    return "\n".join(lines), rows, met


def victim_table(
    series: Series, blockers: dict[str, dict[str, Any]]
) -> tuple[str, list[dict[str, Any]], bool | None]:
    """A row per server: without / with the blocker and the ratios, the CPU-hog control (livedoc
    kernel), the blocker's own round trips and duty."""
    lines = [
        "| server | no blocker: median | p99 | blocker spinning: median | p99 | IQR (p25 - p75) "
        "| with / without (median) | (p99) | n | CPU hog instead: median | p99 "
        "| hog / without (median) | blocker round trip, median (n) | blocker duty | goal |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows: list[dict[str, Any]] = []
    met: bool | None = None
    values = {key: series.values.get(metric, {}) for key, metric in VICTIM_METRICS.items()}
    for side in SIDE_ORDER:
        if side not in values["without"] or side not in values["with"]:
            continue
        calm, busy = summary(values["without"][side]), summary(values["with"][side])
        hog = summary(values["hog"][side]) if side in values["hog"] else None
        ratio, ratio99 = busy["median"] / calm["median"], busy["p99"] / calm["p99"]
        blocker = blockers.get(side, {})
        spins = blocker.get("round trips", [])
        duty = blocker["busy"] / blocker["wall"] if blocker.get("wall") else float("nan")
        verdict = ""
        if side == KERNEL:
            met = ratio <= GOAL_VICTIM
            verdict = f"<= {GOAL_VICTIM:g} {'met' if met else 'NOT met'}"
        hog_cells = (
            f"{fmt(hog['median'])} | {fmt(hog['p99'])} | {hog['median'] / calm['median']:.3g}"
            if hog
            else "- | - | -"
        )
        lines.append(
            f"| {side} | {fmt(calm['median'])} | {fmt(calm['p99'])} | {fmt(busy['median'])} "
            f"| {fmt(busy['p99'])} | {fmt(busy['p25'])} - {fmt(busy['p75'])} | **{ratio:.3g}** "
            f"| {ratio99:.3g} | {calm['n']} / {busy['n']} | {hog_cells} "
            f"| {fmt(statistics.median(spins)) if spins else '-'} ({len(spins)}) "
            f"| {duty:.0%} | {verdict} |"
        )
        rows.append(
            {
                "side": side,
                "without": calm,
                "with": busy,
                "hog": hog,
                "ratio_median": ratio,
                "ratio_p99": ratio99,
                "hog_ratio_median": hog["median"] / calm["median"] if hog else None,
                "blocker_round_trip": summary(spins) if spins else None,
                "blocker_duty": duty,
                "raw": {
                    "without": values["without"][side],
                    "with": values["with"][side],
                    "hog": values["hog"].get(side),
                    "blocker": spins,
                },
            }
        )
    return "\n".join(lines), rows, met


# -- the run --------------------------------------------------------------------------------------

# The goal, as the ratio livedoc / jupyter_server of the medians.
GOAL = 0.2


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(results: list[Result]) -> tuple[str, list[dict[str, Any]]]:
    """A Markdown table (a row per side; ratio and goal on livedoc's) and the raw rows."""
    lines = [
        "| workload | metric | side | median | p99 | IQR (p25 - p75) | min - max | n "
        f"| livedoc / {PEER} | goal |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = []
    for result in results:
        ours, theirs = summary(result.values["livedoc"]), summary(result.values[PEER])
        ratio = ours["median"] / theirs["median"] if theirs["median"] else float("inf")
        has_goal = result.goal
        met = ratio <= GOAL if has_goal else None
        verdict = f"<= {GOAL:g} {'met' if met else 'NOT met'}" if has_goal else ""
        sides = [("livedoc", ours), (PEER, theirs)]
        reference = summary(result.values[REFERENCE]) if REFERENCE in result.values else None
        if reference is not None:
            sides.append((f"_{REFERENCE}, reference_", reference))
        for side, stats in sides:
            first = side == "livedoc"
            lines.append(
                f"| {result.workload if first else ''} "
                f"| {result.metric + ' (' + result.unit + ')' if first else ''} "
                f"| {side} | {fmt(stats['median'])} | {fmt(stats['p99'])} "
                f"| {fmt(stats['p25'])} - {fmt(stats['p75'])} "
                f"| {fmt(stats['min'])} - {fmt(stats['max'])} | {stats['n']} "
                f"| {f'**{ratio:.3g}**' if first else ''} | {verdict if first else ''} |"
            )
        rows.append(
            {
                "workload": result.workload,
                "metric": result.metric.strip(),
                "unit": result.unit,
                "livedoc": ours,
                PEER: theirs,
                REFERENCE: reference,
                "ratio": ratio,
                "goal": f"<= {GOAL:g}" if has_goal else None,
                "met": met,
                "raw": result.values,
            }
        )
    return "\n".join(lines), rows


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, with SIGTERM cancelling the work (its `finally` blocks delete the kernels)
    and then unwinding like Ctrl-C."""

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            return await coroutine
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwinds like Ctrl-C, through the `finally` blocks that stop the servers by their PIDs.
    raise KeyboardInterrupt


WORKLOADS = ("start", "execute", "memory", "open", "victim")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~2 minutes)")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated subset of: %(default)s"
    )
    parser.add_argument("--json", type=Path, help="write the summaries and raw values here")
    options = parser.parse_args()
    names = [name.strip() for name in options.workloads.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {list(WORKLOADS)}")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    def load() -> str:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())

    voila: Voila | str = "not used"
    if "open" in names:
        voila = choose_voila()
    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("jupyter_server", "jupyter_client", "ipykernel", "tornado", "pyzmq")
    )
    print(
        f"livedoc {version('livedoc')} vs {PEER} (Python {platform.python_version()}; "
        f"{versions}); {os.cpu_count()} CPUs, load average "
        f"{load()}; {'quick' if options.quick else 'full'} run",
        flush=True,
    )
    if "open" in names:
        print(f"  open: {voila.versions if isinstance(voila, Voila) else voila}", flush=True)
    if "victim" in names:
        print(f"  victim: bokeh {version('bokeh')} (.venv), livedoc, numpy", flush=True)
    loads: dict[str, dict[str, str]] = {}
    open_series: Series | None = None
    victim: tuple[Series, dict[str, dict[str, Any]]] | None = None
    scratch = Path(tempfile.mkdtemp(prefix="livedoc-kernels-bench-"))
    results: list[Result] = []
    started = time.monotonic()
    try:
        latency = [name for name in names if name in ("start", "execute")]
        if latency:
            with servers(scratch, "latency") as procs:
                try:
                    results += run_async(run_latency(procs, latency, options.quick, scratch))
                finally:
                    stop_pids(REFERENCE_PIDS, "the reference kernel")
        if "memory" in names:
            begun = time.monotonic()
            results += run_memory(scratch, 1 if options.quick else 2)
            print(f"  memory: {time.monotonic() - begun:.1f} s", flush=True)
        if "open" in names:
            begun, before = time.monotonic(), load()
            open_series = run_open(scratch, options.quick, voila)
            loads["open"] = {"before": before, "after": load()}
            print(f"  open: {time.monotonic() - begun:.1f} s (load {before} -> {load()})")
        if "victim" in names:
            begun, before = time.monotonic(), load()
            victim = run_victim(scratch, options.quick)
            loads["victim"] = {"before": before, "after": load()}
            print(f"  victim: {time.monotonic() - begun:.1f} s (load {before} -> {load()})")
    except KeyboardInterrupt:
        print("\ninterrupted; every server started was stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"  ({time.monotonic() - started:.0f} s; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})",
        flush=True,
    )

    rows: list[dict[str, Any]] = []
    if results:
        text, rows = table(results)
        print(f"\n{text}")
        goals = [row for row in rows if row["goal"]]
        if goals:
            verdict = all(row["met"] for row in goals)
            ratios = ", ".join(f"{row['metric']} {row['ratio']:.3g}" for row in goals)
            print(
                f"\nGoal (execute round trips, livedoc <= {GOAL:g}x {PEER}): "
                f"{'met' if verdict else 'NOT met'} ({ratios})"
            )
    report: dict[str, Any] = {"tool": "benchmarks/kernels.py", "rows": rows, "load": loads}
    if open_series is not None:
        text, report["open"], met = open_table(open_series)
        print(f"\nopen (load average {loads['open']['before']} -> {loads['open']['after']}):")
        print(f"\n{text}")
        print(
            f"\nGoal (open, livedoc --isolation kernel median <= {GOAL_OPEN_MS:g} ms and below "
            f"Voila's): {'met' if met else 'NOT met'}"
        )
    if victim is not None:
        text, report["victim"], met = victim_table(*victim)
        print(f"\nvictim (load average {loads['victim']['before']} -> {loads['victim']['after']}):")
        print(f"\n{text}")
        print(
            f"\nGoal (victim, livedoc --isolation kernel with the blocker <= {GOAL_VICTIM:g}x "
            f"without): {'met' if met else 'NOT met'}"
        )
    if options.json:
        options.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
