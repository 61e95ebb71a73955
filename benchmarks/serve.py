"""Server benchmark: `livedoc serve` against the newest `bokeh serve`, in one run, as separate
processes on 127.0.0.1, driven by the same client code.

The peer is bokeh PEER_BOKEH (below) in its own venv, .bench/bokeh-<version>-py<X.Y>/ at the
top of the checkout, built (with pip's progress output) on the first run from pyenv's newest
Python 3.12.x (else a later one, else PATH's), because bokeh 3.10 needs 3.12 and livedoc's .venv
is 3.11. If that cannot be built, the run says so and falls back to the bokeh in .venv (the test
oracle, 3.9.2); `--peer venv` asks for that one directly.

The app (benchmarks/serve_apps/*_app.py) is the same on both sides: one figure with a line over
a 1,000-row ColumnDataSource, and one slider whose on_change replaces the 1,000 y values.

Workloads (each side in turn, a fresh server process for each workload):

  open     session open latency, one client at a time: page GET -> websocket -> ACK ->
           PULL-DOC -> PULL-DOC-REPLY (ms).
  open50   sessions/s with 50 concurrent clients, each opening sessions one after another;
           one value per round of sessions.
  memory   server RSS growth per open session while sessions are held open (kB), one value
           per batch of sessions opened.
  stream   every session streams 1,000-row float64 batches every 10 ms; 50 sessions with one
           client each: rows/s delivered per client, and server CPU (cores, one value per second).
  fanout   the same stream from one session to 50 connections of it.
  slider   round trip: client PATCH-DOC of the slider's value -> on_change replaces 1,000
           values -> the server's PATCH-DOC back (ms).

The client is one asyncio program: Tornado's HTTP client for the page, a minimal websocket
client on an asyncio transport (see WebSocketClient) and livedoc.protocol to frame and parse
messages (tested against bokeh's own encoder), with TCP_NODELAY on its sockets so only the
server's socket options show. Every loop is bounded in count and time; every server process is
stopped by its PID, also on an error, Ctrl-C or SIGTERM. Server logs go to .bench/logs/.

    .venv/bin/python benchmarks/serve.py [--quick] [--workloads open,slider] [--json PATH]
                                         [--peer newest|venv] [--peer-bokeh VERSION]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient

from livedoc.protocol import Message, MessageAssembler, encode_message, patch_doc, pull_doc_req
from livedoc.protocol.tokens import session_id_from_token

if TYPE_CHECKING:
    from types import FrameType

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
BENCH_DIR = CHECKOUT / ".bench"
LOG_DIR = BENCH_DIR / "logs"
VENV_BIN = Path(sys.executable).parent
APPS = {
    "livedoc": HERE / "serve_apps" / "livedoc_app.py",
    "bokeh": HERE / "serve_apps" / "bokeh_app.py",
}
# The newest bokeh release when this was written (2026-11); `--peer-bokeh` picks another.
PEER_BOKEH = "3.10.2"
PEER_MIN_PYTHON = (3, 12)
TICK = os.sysconf("SC_CLK_TCK")
ROWS = 1000  # the apps' source length and stream batch size
MAX_MESSAGES_PER_REPLY = 1000  # bounds the loops that wait for one reply among other messages


# -- the peer -------------------------------------------------------------------------------------


@dataclass
class Peer:
    """Where `bokeh serve` comes from, and what the table says about it."""

    bokeh: Path
    version: str
    python: str
    note: str = ""


def _run_checked(command: list[str], what: str) -> None:
    print(f"    $ {' '.join(command)}", flush=True)
    # pip's own progress goes straight to the terminal: a first run downloads ~30 MB.
    result = subprocess.run(command, check=False, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed with exit status {result.returncode}")


def _python_version(python: Path) -> tuple[int, ...]:
    output = subprocess.run(
        [str(python), "-c", "import sys; print(*sys.version_info[:3])"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return tuple(int(part) for part in output.split())


def _bokeh_version(python: Path) -> str | None:
    result = subprocess.run(
        [str(python), "-c", "import bokeh; print(bokeh.__version__)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def find_peer_python() -> Path | None:
    """A Python for the peer: the newest 3.12.x (the oldest Python bokeh 3.10 supports, the
    release its wheels are most used on), else the newest later one; pyenv's, then PATH's."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [
        Path(p) for p in glob.glob(str(pyenv_root / "versions" / "3.*" / "bin" / "python3"))
    ]
    for name in ("python3.14", "python3.13", "python3.12"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(found))
    ranked: list[tuple[bool, tuple[int, ...], Path]] = []
    for candidate in candidates:
        try:
            version = _python_version(candidate)
        except (OSError, subprocess.SubprocessError, ValueError):
            continue
        if version >= PEER_MIN_PYTHON:
            ranked.append((version[:2] == PEER_MIN_PYTHON, version, candidate))
    return max(ranked)[2] if ranked else None


def build_peer(version: str) -> Peer:
    """The .bench venv with bokeh `version`, created (with progress output) when missing."""
    base = find_peer_python()
    if base is None:
        raise RuntimeError("no Python >= 3.12 found (pyenv versions or PATH)")
    tag = ".".join(str(part) for part in _python_version(base)[:2])
    venv = BENCH_DIR / f"bokeh-{version}-py{tag}"
    python = venv / "bin" / "python"
    if python.exists() and _bokeh_version(python) == version:
        return Peer(venv / "bin" / "bokeh", version, platform_of(python))
    print(f"  building the peer venv {venv} from {base} (once) ...", flush=True)
    if not python.exists():
        _run_checked([str(base), "-m", "venv", str(venv)], "creating the peer venv")
    _run_checked(
        [str(python), "-m", "pip", "install", "--progress-bar", "on", f"bokeh=={version}"],
        "installing bokeh into the peer venv",
    )
    installed = _bokeh_version(python)
    if installed != version:
        raise RuntimeError(f"the peer venv has bokeh {installed}, not {version}")
    return Peer(venv / "bin" / "bokeh", version, platform_of(python))


def platform_of(python: Path) -> str:
    return "Python " + ".".join(str(part) for part in _python_version(python))


def choose_peer(kind: str, version: str) -> Peer:
    own = Peer(
        VENV_BIN / "bokeh",
        _bokeh_version(VENV_BIN / "python") or "?",
        f"Python {platform.python_version()}",
    )
    if kind == "venv":
        return own
    try:
        return build_peer(version)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"  WARNING: cannot build bokeh {version}: {exc}; using .venv's bokeh", flush=True)
        own.note = f"fallback: bokeh {version} could not be installed ({exc})"
        return own


# -- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(
    port: int, process: subprocess.Popen[bytes], log_path: Path, what: str, within: float
) -> None:
    """Until `process` accepts connections on `port`; its log's tail if it exits first."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{what} exited with {process.returncode}:\n{tail}") from None
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen within {within:.0f} s")


class ServerProcess:
    """One `livedoc serve` or `bokeh serve` process for one workload, stopped by its PID."""

    def __init__(self, side: str, peer: Peer, workload: str, stream_ms: float = 0) -> None:
        self.side = side
        self.port = free_port()
        app = APPS[side]
        executable = VENV_BIN / "livedoc" if side == "livedoc" else peer.bokeh
        command = [str(executable), "serve", str(app), "--log-level", "warning"]
        command += ["--port", str(self.port), "--address", "127.0.0.1"]
        env = {**os.environ, "BENCH_STREAM_MS": str(stream_ms), "PYTHONUNBUFFERED": "1"}
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{workload}-{side}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        self.url = f"http://127.0.0.1:{self.port}/{app.stem}"
        self.ws_url = self.url.replace("http://", "ws://") + "/ws"
        try:
            self._wait_listening(60)
        except BaseException:
            self.stop()
            raise

    def _wait_listening(self, within: float) -> None:
        wait_listening(self.port, self.process, self.log_path, f"{self.side} server", within)

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                # bokeh serve can take over 10 s to exit with 100 sessions open; nothing of a
                # benchmark server needs a clean exit, so it gets 3 s before SIGKILL.
                self.process.wait(3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# -- the client -----------------------------------------------------------------------------------


class WebSocketClient(asyncio.Protocol):
    """A minimal RFC 6455 client on an asyncio transport.

    Tornado's websocket client spends tens of microseconds of Python per frame; at 50 streaming
    connections (25,000 frames/s) that made the client, which shares the machine's two cores
    with the server, the bottleneck. Frames here are cut straight out of the receive buffer.
    Server frames are never masked; ours are (as RFC 6455 requires of clients).
    """

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = asyncio.get_running_loop().create_future()
        self.frames: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.on_frame: Callable[[str | bytes], None] | None = None  # instead of the queue

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
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            if not head.startswith((b"HTTP/1.1 101", b"HTTP/1.0 101")):
                self.upgraded.set_exception(ConnectionError(f"no upgrade: {head[:200]!r}"))
                return
            self.upgraded.set_result(None)
        self._cut_frames()

    def _cut_frames(self) -> None:
        buffer, position, size = self.buffer, 0, len(self.buffer)
        while size - position >= 2:
            opcode, length, start = (
                buffer[position] & 0x0F,
                buffer[position + 1] & 0x7F,
                position + 2,
            )
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
            if not buffer[position] & 0x80 or opcode == 0:
                # Neither server fragments messages (Tornado never does); failing loudly beats
                # miscounting. asyncio closes the transport and the reader sees the end.
                raise ConnectionError("a fragmented websocket message")
            payload = bytes(buffer[start : start + length])
            position = start + length
            if opcode == 1:
                self._deliver(payload.decode())
            elif opcode == 2:
                self._deliver(payload)
            elif opcode == 9:
                self.write_frame(10, payload)  # pong
            elif opcode == 8 and self.transport is not None:
                self.transport.close()
        del buffer[:position]

    def _deliver(self, frame: str | bytes) -> None:
        if self.on_frame is not None:
            self.on_frame(frame)
        else:
            self.frames.put_nowait(frame)

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


class Client:
    """One websocket connection speaking the Bokeh protocol."""

    def __init__(self, socket_: WebSocketClient, token: str) -> None:
        self.socket = socket_
        self.token = token
        self.assembler = MessageAssembler()

    @classmethod
    async def open(cls, ws_url: str, token: str) -> Client:
        parts = urlsplit(ws_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
            f"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: bokeh, {token}\r\n\r\n"
        ).encode()
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(lambda: WebSocketClient(request), host, port)
        await asyncio.wait_for(protocol.upgraded, 30)
        client = cls(protocol, token)
        ack = await client.receive()
        if ack is None or ack.msgtype != "ACK":
            raise RuntimeError(f"expected ACK, got {ack}")
        return client

    def send(self, message: Message) -> None:
        for frame in encode_message(message):
            self.socket.write_frame(2 if frame.binary else 1, bytes(frame.payload))

    async def receive(self, within: float = 30) -> Message | None:
        for _ in range(16):  # a message is 3 frames plus 2 per buffer
            frame = await asyncio.wait_for(self.socket.frames.get(), within)
            if frame is None:
                return None
            message = self.assembler.receive(frame)
            if message is not None:
                return message
        raise RuntimeError("a message longer than 16 frames")

    async def reply_to(self, request: Message) -> Message:
        for _ in range(MAX_MESSAGES_PER_REPLY):
            reply = await self.receive()
            if reply is None:
                raise RuntimeError(
                    f"connection closed while waiting for the {request.msgtype} reply"
                )
            if reply.reqid == request.msgid:
                return reply
        raise RuntimeError(
            f"no reply to {request.msgtype} within {MAX_MESSAGES_PER_REPLY} messages"
        )

    async def pull(self) -> dict[str, Any]:
        request = pull_doc_req()
        self.send(request)
        doc: dict[str, Any] = (await self.reply_to(request)).content["doc"]
        return doc

    def close(self) -> None:
        self.socket.write_frame(8, (1000).to_bytes(2, "big"))
        if self.socket.transport is not None:
            self.socket.transport.close()


TOKEN_PATTERNS = (
    re.compile(rb'"token":\s*"([^"]+)"'),
    re.compile(rb"token&quot;:\s*&quot;([^&]+)&"),
)


async def page_token(http: AsyncHTTPClient, url: str) -> str:
    """The session token a browser would take from the app page at `url`."""
    response = await http.fetch(url)
    for pattern in TOKEN_PATTERNS:
        match = pattern.search(response.body)
        if match:
            return match.group(1).decode()
    raise RuntimeError(f"no session token in the page of {url}")


async def open_session(
    http: AsyncHTTPClient, server: ServerProcess, session_id: str | None = None
) -> tuple[Client, dict[str, Any]]:
    """A browser's way in: the page, then its websocket, ACK and PULL-DOC."""
    url = server.url if session_id is None else f"{server.url}?bokeh-session-id={session_id}"
    client = await Client.open(server.ws_url, await page_token(http, url))
    return client, await client.pull()


# -- statistics -----------------------------------------------------------------------------------


@dataclass
class Result:
    workload: str
    metric: str
    unit: str
    better: str  # "lower" or "higher"
    values: dict[str, list[float]] = field(default_factory=dict)


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


# -- workloads ------------------------------------------------------------------------------------


async def workload_open(server: ServerProcess, count: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client, _ = await open_session(http, server)
        times.append((time.perf_counter() - started) * 1000)
        client.close()
    http.close()
    return times


async def workload_open50(server: ServerProcess, rounds: int, per_round: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True, max_clients=64)
    rates = []
    for _ in range(rounds):
        remaining = per_round

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                client, _ = await open_session(http, server)
                client.close()

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(50))), 300)
        rates.append(per_round / (time.perf_counter() - started))
    http.close()
    return rates


async def workload_memory(server: ServerProcess, batches: int, per_batch: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True)
    warm, _ = await open_session(http, server)  # first-session costs (imports, caches) excluded
    clients = [warm]
    await asyncio.sleep(0.5)
    growth = []
    before = server.rss_kb()
    for _ in range(batches):
        for _ in range(per_batch):
            clients.append((await open_session(http, server))[0])
        await asyncio.sleep(0.3)  # let the server finish the last session's work
        after = server.rss_kb()
        growth.append((after - before) / per_batch)
        before = after
    for client in clients:
        client.close()
    http.close()
    return growth


def _column_length(column: Any) -> int:
    if isinstance(column, dict) and column.get("type") == "ndarray":
        shape = column.get("shape") or [0]
        return int(shape[0])
    if isinstance(column, list):
        return len(column)
    return 0


def streamed_rows(message: Message) -> int:
    rows = 0
    for event in message.content.get("events", []):
        if event.get("kind") == "ColumnsStreamed":
            data = event["data"]
            if isinstance(data, dict) and data.get("entries"):
                rows += _column_length(data["entries"][0][1])
    return rows


def count_streamed_rows(client: Client) -> list[int]:
    """From now on, `client`'s incoming frames are counted as they arrive (no queue); the
    returned one-element list holds the rows streamed to it so far."""
    total = [0]
    while not client.socket.frames.empty():  # frames that came before: assembled, not counted
        frame = client.socket.frames.get_nowait()
        if frame is not None:
            client.assembler.receive(frame)

    def on_frame(frame: str | bytes) -> None:
        message = client.assembler.receive(frame)
        if message is not None:
            total[0] += streamed_rows(message)

    client.socket.on_frame = on_frame
    return total


async def sample_cpu(server: ServerProcess, until: float) -> list[float]:
    """Server CPU in cores, one value per second of the window."""
    samples = []
    last_cpu, last_time = server.cpu_seconds(), time.monotonic()
    while last_time + 1 <= until:
        await asyncio.sleep(1)
        cpu, now = server.cpu_seconds(), time.monotonic()
        samples.append((cpu - last_cpu) / (now - last_time))
        last_cpu, last_time = cpu, now
    return samples


async def workload_stream(
    server: ServerProcess, clients_count: int, seconds: float, shared: bool
) -> tuple[list[float], list[float]]:
    http = AsyncHTTPClient(force_instance=True, max_clients=64)
    first, _ = await open_session(http, server)
    clients = [first]
    # With `shared`, every further connection joins the first one's session as a browser tab
    # does through the page URL; otherwise each gets its own session.
    shared_id = session_id_from_token(first.token) if shared else None
    counters = [count_streamed_rows(first)]
    for _ in range(clients_count - 1):
        client, _ = await open_session(http, server, shared_id)
        clients.append(client)
        counters.append(count_streamed_rows(client))
    await asyncio.sleep(0.5)  # every stream running
    before = [counter[0] for counter in counters]
    started = time.monotonic()
    cpu = await sample_cpu(server, started + seconds)
    elapsed = time.monotonic() - started
    rows = [counter[0] - first_count for counter, first_count in zip(counters, before, strict=True)]
    for client in clients:
        client.close()
    http.close()
    return [r / elapsed for r in rows], cpu


def replaced_rows(message: Message) -> int:
    rows = 0
    for event in message.content.get("events", []):
        if event.get("kind") == "ColumnDataChanged" and event.get("cols") == ["y"]:
            rows += _column_length(event["data"]["entries"][0][1])
    return rows


async def workload_slider(server: ServerProcess, count: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True)
    client, doc = await open_session(http, server)
    [slider] = [root for root in doc["roots"] if root["name"] == "Slider"]
    times = []
    for index in range(count):
        event = {
            "kind": "ModelChanged",
            "model": {"id": slider["id"]},
            "attr": "value",
            "new": 2 + index % 90,  # never the current value, so on_change always runs
        }
        started = time.perf_counter()
        client.send(patch_doc([event], {}))
        for _ in range(MAX_MESSAGES_PER_REPLY):  # the OK may come first
            message = await client.receive()
            if message is None:
                raise RuntimeError("connection closed during the slider round trip")
            if message.msgtype == "PATCH-DOC":
                if replaced_rows(message) != ROWS:
                    raise RuntimeError(f"the slider's PATCH-DOC is not the new column: {message}")
                break
        else:
            raise RuntimeError("no PATCH-DOC back from the slider change")
        times.append((time.perf_counter() - started) * 1000)
    client.close()
    http.close()
    return times


# -- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    better: str  # "lower": ratio <= bound; "higher": ratio >= bound
    bound: float

    def met(self, ratio: float) -> bool:
        return ratio <= self.bound if self.better == "lower" else ratio >= self.bound

    def __str__(self) -> str:
        return f"{'<=' if self.better == 'lower' else '>='} {self.bound:g}"


# Issue 3's goals, as ratios livedoc / bokeh of the medians.
GOALS = {
    ("open", "session open latency"): Goal("lower", 0.3),
    ("open50", "sessions/s, 50 concurrent clients"): Goal("higher", 3),
    ("memory", "RSS per open session"): Goal("lower", 0.5),
    ("stream", "rows/s per client, 50 sessions"): Goal("higher", 3),
    ("fanout", "rows/s per client, 50 connections of 1 session"): Goal("higher", 1),
    ("fanout", "server CPU, 50 connections of 1 session"): Goal("lower", 0.5),
    ("slider", "slider round trip"): Goal("lower", 0.1),
}

Workload = Callable[[ServerProcess, bool], Coroutine[Any, Any, list[Result]]]


async def run_open(server: ServerProcess, quick: bool) -> list[Result]:
    values = await workload_open(server, 15 if quick else 110)
    return [Result("open", "session open latency", "ms", "lower", {server.side: values})]


async def run_open50(server: ServerProcess, quick: bool) -> list[Result]:
    values = await workload_open50(server, rounds=2 if quick else 5, per_round=50 if quick else 100)
    metric = "sessions/s, 50 concurrent clients"
    return [Result("open50", metric, "1/s", "higher", {server.side: values})]


async def run_memory(server: ServerProcess, quick: bool) -> list[Result]:
    values = await workload_memory(server, batches=2 if quick else 4, per_batch=10 if quick else 50)
    return [Result("memory", "RSS per open session", "kB", "lower", {server.side: values})]


async def _run_stream(server: ServerProcess, quick: bool, shared: bool) -> list[Result]:
    rates, cpu = await workload_stream(server, 50, 2.0 if quick else 10.0, shared)
    name, label = ("fanout", "50 connections of 1 session") if shared else ("stream", "50 sessions")
    return [
        Result(name, f"rows/s per client, {label}", "rows/s", "higher", {server.side: rates}),
        Result(name, f"server CPU, {label}", "cores", "lower", {server.side: cpu}),
    ]


async def run_stream(server: ServerProcess, quick: bool) -> list[Result]:
    return await _run_stream(server, quick, shared=False)


async def run_fanout(server: ServerProcess, quick: bool) -> list[Result]:
    return await _run_stream(server, quick, shared=True)


async def run_slider(server: ServerProcess, quick: bool) -> list[Result]:
    values = await workload_slider(server, 20 if quick else 220)
    return [Result("slider", "slider round trip", "ms", "lower", {server.side: values})]


WORKLOADS: dict[str, Workload] = {
    "open": run_open,
    "open50": run_open50,
    "memory": run_memory,
    "stream": run_stream,
    "fanout": run_fanout,
    "slider": run_slider,
}
STREAMING = {"stream", "fanout"}


def run_workload(name: str, side: str, peer: Peer, quick: bool) -> list[Result]:
    stream_ms = 10.0 if name in STREAMING else 0.0
    server = ServerProcess(side, peer, name, stream_ms=stream_ms)
    try:
        return asyncio.run(WORKLOADS[name](server, quick))
    finally:
        server.stop()


def fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def table(results: list[Result], peer: Peer) -> tuple[str, list[dict[str, Any]]]:
    """A Markdown table (a row per side, the ratio and goal on livedoc's) and the raw rows."""
    lines = [
        "| workload | metric | side | median | p99 | IQR (p25 - p75) | min - max | n "
        "| livedoc / bokeh | goal |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    rows = []
    for result in results:
        ours, theirs = summary(result.values["livedoc"]), summary(result.values["bokeh"])
        ratio = ours["median"] / theirs["median"] if theirs["median"] else float("inf")
        goal = GOALS.get((result.workload, result.metric))
        verdict = f"{goal} {'met' if goal.met(ratio) else 'NOT met'}" if goal else ""
        for side, stats in (("livedoc", ours), (f"bokeh {peer.version}", theirs)):
            first = side == "livedoc"
            lines.append(
                f"| {result.workload if first else ''} | {result.metric + ' (' + result.unit + ')' if first else ''} "
                f"| {side} | {fmt(stats['median'])} | {fmt(stats['p99'])} "
                f"| {fmt(stats['p25'])} - {fmt(stats['p75'])} | {fmt(stats['min'])} - {fmt(stats['max'])} "
                f"| {stats['n']} | {f'**{ratio:.3g}**' if first else ''} | {verdict if first else ''} |"
            )
        rows.append(
            {
                "workload": result.workload,
                "metric": result.metric,
                "unit": result.unit,
                "livedoc": ours,
                "bokeh": theirs,
                "ratio": ratio,
                "goal": str(goal) if goal else None,
                "met": goal.met(ratio) if goal else None,
                "raw": result.values,
            }
        )
    return "\n".join(lines), rows


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwinds like Ctrl-C, through the `finally` blocks that stop the servers by their PIDs.
    raise KeyboardInterrupt


def run_all(names: list[str], peer: Peer, quick: bool) -> dict[tuple[str, str], Result]:
    merged: dict[tuple[str, str], Result] = {}
    started = time.monotonic()
    for name in names:
        for side in ("livedoc", "bokeh"):
            print(f"  {name}: {side} ...", end=" ", flush=True)
            begun = time.monotonic()
            results = run_workload(name, side, peer, quick)
            print(f"{time.monotonic() - begun:.1f} s", flush=True)
            for result in results:
                key = (result.workload, result.metric)
                if key in merged:
                    merged[key].values.update(result.values)
                else:
                    merged[key] = result
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return merged


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (under a minute)")
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated subset of: %(default)s"
    )
    parser.add_argument(
        "--peer",
        choices=("newest", "venv"),
        default="newest",
        help="newest: bokeh --peer-bokeh in .bench/ (built on first use); venv: .venv's bokeh",
    )
    parser.add_argument("--peer-bokeh", default=PEER_BOKEH, help="bokeh version for --peer newest")
    parser.add_argument("--json", type=Path, help="write the summaries and raw values here")
    options = parser.parse_args()
    names = [name.strip() for name in options.workloads.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {list(WORKLOADS)}")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)

    peer = choose_peer(options.peer, options.peer_bokeh)
    print(
        f"livedoc (Python {platform.python_version()}) vs bokeh {peer.version} serve "
        f"({peer.python}); {os.cpu_count()} CPUs; {'quick' if options.quick else 'full'} run"
        + (f"\n  NOTE: {peer.note}" if peer.note else ""),
        flush=True,
    )
    try:
        merged = run_all(names, peer, options.quick)
    except KeyboardInterrupt:
        print("\ninterrupted; every server started was stopped", file=sys.stderr)
        return 130

    text, rows = table(list(merged.values()), peer)
    print(f"\n{text}")
    if options.json:
        options.json.write_text(
            json.dumps({"peer": peer.__dict__ | {"bokeh": str(peer.bokeh)}, "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
