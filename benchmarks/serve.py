"""Server benchmark: `livedoc serve` against `bokeh serve` (bokeh 3.9.2, the newest release), in
one run, as separate processes on 127.0.0.1, driven by the same client code.

The app (benchmarks/serve_apps/*_app.py) is the same on both sides: one figure with a line over
a 1,000-row ColumnDataSource, and one slider whose on_change replaces the 1,000 y values.

Workloads (each side in turn, servers started fresh for each workload):

  open        session open latency, one client at a time: page GET -> websocket -> ACK ->
              PULL-DOC -> PULL-DOC-REPLY. Median and p99 in ms.
  open50      sessions/s with 50 concurrent clients, each opening sessions one after another.
  memory      server RSS growth per open session (100 sessions held open), in kB.
  stream      every session streams 1,000-row float64 batches every 10 ms; 50 sessions, one
              client each: rows/s delivered per client, and the server's CPU seconds per second.
  fanout      the same stream to 50 connections of one session.
  slider      round trip: client PATCH-DOC of the slider's value -> on_change replaces 1,000
              values -> the PATCH-DOC back. Median and p99 in ms.

The client is one asyncio program using livedoc.protocol to frame and parse messages (tested
against bokeh's own encoder) and Tornado websockets, with TCP_NODELAY on its sockets so only the
server's socket options show. Every loop is bounded in count and time; every server process is
stopped by its PID.

    .venv/bin/python benchmarks/serve.py [--quick] [--workloads open,slider] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import WebSocketClientConnection, websocket_connect

from livedoc.protocol import MessageAssembler, encode_message, patch_doc, pull_doc_req
from livedoc.protocol.tokens import generate_session_id, generate_token

if TYPE_CHECKING:
    from livedoc.protocol.messages import Message

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
APPS = {
    "livedoc": HERE / "serve_apps" / "livedoc_app.py",
    "bokeh": HERE / "serve_apps" / "bokeh_app.py",
}
TICK = os.sysconf("SC_CLK_TCK")


# -- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """One `livedoc serve` or `bokeh serve` process for one workload."""

    def __init__(self, side: str, stream_ms: float = 0) -> None:
        self.side = side
        self.port = free_port()
        app = APPS[side]
        command = {
            "livedoc": [str(VENV_BIN / "livedoc"), "serve", str(app), "--log-level", "warning"],
            "bokeh": [str(VENV_BIN / "bokeh"), "serve", str(app), "--log-level", "warning"],
        }[side] + ["--port", str(self.port)]
        env = {**os.environ, "BENCH_STREAM_MS": str(stream_ms), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.url = f"http://127.0.0.1:{self.port}/{app.stem}"
        self.ws_url = self.url.replace("http://", "ws://") + "/ws"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{side} server exited with {self.process.returncode}"
                    ) from None
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{side} server did not listen within 60 s")

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
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# -- the client -----------------------------------------------------------------------------------


class Client:
    """One websocket connection speaking the Bokeh protocol."""

    def __init__(self, connection: WebSocketClientConnection) -> None:
        self.connection = connection
        self.assembler = MessageAssembler()

    @classmethod
    async def open(cls, ws_url: str, token: str) -> Client:
        connection = await websocket_connect(ws_url, subprotocols=["bokeh", token])
        stream = getattr(connection, "stream", None) or connection.protocol.stream  # type: ignore[union-attr]
        stream.set_nodelay(True)
        client = cls(connection)
        ack = await client.receive()
        if ack is None or ack.msgtype != "ACK":
            raise RuntimeError(f"expected ACK, got {ack}")
        return client

    async def send(self, message: Message) -> None:
        for frame in encode_message(message):
            await self.connection.write_message(bytes(frame.payload), binary=frame.binary)

    async def receive(self, within: float = 30) -> Message | None:
        while True:
            frame = await asyncio.wait_for(self.connection.read_message(), within)
            if frame is None:
                return None
            message = self.assembler.receive(frame)
            if message is not None:
                return message

    async def pull(self) -> dict[str, Any]:
        request = pull_doc_req()
        await self.send(request)
        while True:
            reply = await self.receive()
            if reply is None:
                raise RuntimeError("connection closed during PULL-DOC")
            if reply.reqid == request.msgid:
                doc: dict[str, Any] = reply.content["doc"]
                return doc

    def close(self) -> None:
        self.connection.close()


async def page_token(http: AsyncHTTPClient, url: str) -> str:
    response = await http.fetch(url)
    match = re.search(rb'"token":\s*"([^"]+)"', response.body) or re.search(
        rb"token&quot;:\s*&quot;([^&]+)&", response.body
    )
    if match is None:
        raise RuntimeError(f"no session token in the page of {url}")
    return match.group(1).decode()


async def open_session(
    http: AsyncHTTPClient, server: ServerProcess
) -> tuple[Client, dict[str, Any]]:
    token = await page_token(http, server.url)
    client = await Client.open(server.ws_url, token)
    return client, await client.pull()


# -- workloads ------------------------------------------------------------------------------------


@dataclass
class Result:
    workload: str
    metric: str
    unit: str
    better: str  # "lower" or "higher"
    values: dict[str, list[float]] = field(default_factory=dict)


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "median": statistics.median(ordered),
        "p99": p99,
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


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


async def workload_open50(server: ServerProcess, total: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True, max_clients=64)
    opened = 0

    async def worker() -> None:
        nonlocal opened
        while opened < total:
            opened += 1
            client, _ = await open_session(http, server)
            client.close()

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(50))), 300)
    elapsed = time.perf_counter() - started
    http.close()
    return [opened / elapsed]


async def workload_memory(server: ServerProcess, count: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True)
    warm, _ = await open_session(http, server)  # first-session costs (imports, caches) excluded
    await asyncio.sleep(0.5)
    before = server.rss_kb()
    clients = [(await open_session(http, server))[0] for _ in range(count)]
    await asyncio.sleep(0.5)
    after = server.rss_kb()
    for client in [warm, *clients]:
        client.close()
    http.close()
    return [(after - before) / count]


async def count_rows(client: Client, until: float) -> int:
    rows = 0
    while time.monotonic() < until:
        try:
            message = await client.receive(within=max(0.01, until - time.monotonic()))
        except TimeoutError:
            break
        if message is None:
            break
        for event in message.content.get("events", []):
            if event.get("kind") == "ColumnsStreamed":
                data = event["data"]
                column = (
                    data["entries"][0][1] if isinstance(data, dict) and "entries" in data else None
                )
                rows += _column_length(column)
    return rows


def _column_length(column: Any) -> int:
    if isinstance(column, dict) and column.get("type") == "ndarray":
        shape = column.get("shape") or [0]
        return int(shape[0])
    if isinstance(column, list):
        return len(column)
    return 0


async def workload_stream(
    server: ServerProcess, sessions: int, seconds: float, shared: bool
) -> tuple[list[float], list[float]]:
    http = AsyncHTTPClient(force_instance=True, max_clients=64)
    clients = []
    if shared:
        session_id = generate_session_id()
        for _ in range(sessions):
            client = await Client.open(server.ws_url, generate_token(session_id))
            await client.pull()
            clients.append(client)
    else:
        for _ in range(sessions):
            clients.append((await open_session(http, server))[0])
    await asyncio.sleep(0.5)  # every stream running
    cpu_before, started = server.cpu_seconds(), time.monotonic()
    until = started + seconds
    rows = await asyncio.gather(*(count_rows(client, until) for client in clients))
    elapsed = time.monotonic() - started
    cpu = (server.cpu_seconds() - cpu_before) / elapsed
    for client in clients:
        client.close()
    http.close()
    return [r / elapsed for r in rows], [cpu]


async def workload_slider(server: ServerProcess, count: int) -> list[float]:
    http = AsyncHTTPClient(force_instance=True)
    client, doc = await open_session(http, server)
    [slider] = [root for root in doc["roots"] if root["name"] == "Slider"]
    times = []
    for index in range(count):
        value = 2 + index % 90
        event = {
            "kind": "ModelChanged",
            "model": {"id": slider["id"]},
            "attr": "value",
            "new": value,
        }
        started = time.perf_counter()
        await client.send(patch_doc([event], {}))
        while True:  # the server's PATCH-DOC with the new column (the OK may come first)
            message = await client.receive()
            if message is None:
                raise RuntimeError("connection closed during the slider round trip")
            if message.msgtype == "PATCH-DOC":
                break
        times.append((time.perf_counter() - started) * 1000)
    client.close()
    http.close()
    return times


# -- the run ------------------------------------------------------------------------------------


def run_workload(name: str, side: str, quick: bool) -> list[Result]:
    scale = 0.2 if quick else 1.0
    stream_ms = 10.0 if name in ("stream", "fanout") else 0.0
    server = ServerProcess(side, stream_ms=stream_ms)
    try:
        loop = asyncio.new_event_loop()
        try:
            if name == "open":
                values = loop.run_until_complete(workload_open(server, int(100 * scale) + 10))
                return [Result("open", "session open latency", "ms", "lower", {side: values})]
            if name == "open50":
                values = loop.run_until_complete(workload_open50(server, int(500 * scale) + 50))
                return [
                    Result("open50", "sessions/s, 50 concurrent", "1/s", "higher", {side: values})
                ]
            if name == "memory":
                values = loop.run_until_complete(workload_memory(server, int(100 * scale) + 10))
                return [Result("memory", "RSS per open session", "kB", "lower", {side: values})]
            if name in ("stream", "fanout"):
                rates, cpu = loop.run_until_complete(
                    workload_stream(server, 50, 3.0 if quick else 10.0, shared=name == "fanout")
                )
                label = "50 sessions" if name == "stream" else "50 connections, 1 session"
                return [
                    Result(name, f"rows/s per client, {label}", "rows/s", "higher", {side: rates}),
                    Result(name, f"server CPU, {label}", "cores", "lower", {side: cpu}),
                ]
            if name == "slider":
                values = loop.run_until_complete(workload_slider(server, int(200 * scale) + 20))
                return [Result("slider", "slider round trip", "ms", "lower", {side: values})]
            raise ValueError(f"unknown workload {name!r}")
        finally:
            loop.close()
    finally:
        server.stop()


WORKLOADS = ["open", "open50", "memory", "stream", "fanout", "slider"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run (about a minute)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated subset")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    options = parser.parse_args()
    import bokeh

    print(
        f"livedoc vs bokeh {bokeh.__version__} serve; Python {platform.python_version()}; "
        f"{os.cpu_count()} CPUs; {'quick' if options.quick else 'full'} run",
        flush=True,
    )
    merged: dict[tuple[str, str], Result] = {}
    for name in options.workloads.split(","):
        for side in ("livedoc", "bokeh"):
            print(f"  {name}: {side} ...", flush=True)
            for result in run_workload(name, side, options.quick):
                key = (result.workload, result.metric)
                if key in merged:
                    merged[key].values.update(result.values)
                else:
                    merged[key] = result
    rows = []
    header = f"{'workload':<8} {'metric':<40} {'livedoc':>14} {'bokeh':>14} {'ratio':>7}  goal"
    print("\n" + header + "\n" + "-" * len(header))
    goals = {
        ("open", "lower"): "<= 0.3",
        ("open50", "higher"): ">= 3",
        ("memory", "lower"): "<= 0.5",
        ("stream", "higher"): ">= 3",
        ("fanout", "higher"): ">= 1",
        ("fanout", "lower"): "<= 0.5",
        ("slider", "lower"): "<= 0.1",
    }
    for result in merged.values():
        ours, theirs = summary(result.values["livedoc"]), summary(result.values["bokeh"])
        ratio = ours["median"] / theirs["median"] if theirs["median"] else float("inf")
        goal = goals.get((result.workload, result.better), "")
        spread = f"(p99 {ours['p99']:.3g} / {theirs['p99']:.3g})" if ours["n"] > 1 else ""
        print(
            f"{result.workload:<8} {result.metric + ' ' + result.unit:<40} "
            f"{ours['median']:>14.4g} {theirs['median']:>14.4g} {ratio:>7.3f}  {goal} {spread}"
        )
        rows.append(
            {
                "workload": result.workload,
                "metric": result.metric,
                "unit": result.unit,
                "livedoc": ours,
                "bokeh": theirs,
                "ratio": ratio,
                "goal": goal,
            }
        )
    if options.json:
        options.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
