"""Publishing benchmark: publish latency and the sustained acknowledged stream rate into a
published document watched by 1, 10 and 100 viewers, per storage backend.

    python benchmarks/publish.py                 # memory, sqlite and redis; 1/10/100 viewers
    python benchmarks/publish.py --quick         # shorter windows
    python benchmarks/publish.py --json out.json

Each backend gets a fresh `livedoc serve --storage ...` process on 127.0.0.1 (SQLite in a
temporary directory; Redis as its own `redis-server` with `appendfsync always`, so an
acknowledged patch is on disk there too). The publisher is livedoc's own client (`ClientSession`, Tornado); the
viewers are the lean asyncio websocket clients of `serve.py`, connected to the document's
websocket as browser tabs are, counting the rows streamed to them.

  publish   connect + PUSH-DOC of a document with a 10,000-row, two-column source + OK (ms),
            a fresh connection each time, as a script publishing does.
  stream    the publisher streams 1,000-row float64 batches, eight in flight, and counts the
            rows the server acknowledged (stored durably before the OK) per second; every
            viewer's received rows per second are reported too (the slowest viewer).

Goal (issue 5): with SQLite, at least 50,000 acknowledged rows/s to 10 viewers on this 2-core
machine. Every process is stopped by its PID; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from livedoc.client import ClientSession
from livedoc.document import Document
from livedoc.models import ColumnDataSource
from livedoc.protocol.tokens import generate_session_id, generate_token

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import Client, count_streamed_rows, free_port, summary, wait_listening

VENV_BIN = Path(sys.executable).parent
BATCH = 1_000
IN_FLIGHT = 8
GOAL_ROWS_PER_SECOND = 50_000


class PublishServer:
    """`livedoc serve --storage <url>`: the empty app, and its published documents."""

    def __init__(self, storage: str, log_path: Path) -> None:
        self.port = free_port()
        command = [str(VENV_BIN / "livedoc"), "serve", "--port", str(self.port)]
        command += ["--storage", storage, "--log-level", "warning"]
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log)
        self.base = f"http://127.0.0.1:{self.port}"
        try:
            wait_listening(self.port, self.process, log_path, "livedoc serve", 30)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def document(rows: int) -> tuple[Document, ColumnDataSource]:
    doc = Document(title="bench")
    source = ColumnDataSource(
        data={"t": np.arange(rows, dtype=np.float64), "y": np.zeros(rows)}, name="rows"
    )
    doc.add_root(source)
    return doc, source


async def measure_publish(server: PublishServer, count: int) -> list[float]:
    times = []
    for index in range(count):
        doc, _ = document(10_000)
        started = time.perf_counter()
        session = await ClientSession.open(
            f"{server.base}/docs/local/latency-{index % 4}/publish", document=doc
        )
        times.append((time.perf_counter() - started) * 1000)
        await session.close()
    return times


async def measure_stream(
    server: PublishServer, viewers: int, seconds: float
) -> tuple[float, float]:
    """(acknowledged rows/s, the slowest viewer's received rows/s)."""
    doc, source = document(BATCH)
    name = f"stream-{viewers}"
    publisher = await ClientSession.open(f"{server.base}/docs/local/{name}/publish", document=doc)
    ws_url = f"ws://127.0.0.1:{server.port}/docs/local/{name}/ws"
    clients = []
    for _ in range(viewers):
        client = await Client.open(ws_url, generate_token(generate_session_id()))
        await client.pull()
        clients.append(client)
    counters = [count_streamed_rows(client) for client in clients]
    batch = {"t": np.arange(BATCH, dtype=np.float64), "y": np.ones(BATCH)}
    acknowledged = 0
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    before = [counter[0] for counter in counters]
    for _ in range(100_000):  # bounded; the deadline ends it
        if time.monotonic() >= deadline:
            break
        for _ in range(IN_FLIGHT):
            source.stream(batch, rollover=100_000)
        await publisher.flush()
        acknowledged += IN_FLIGHT * BATCH
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.2)
    received = [counter[0] - first for counter, first in zip(counters, before, strict=True)]
    for client in clients:
        client.close()
    await publisher.close()
    return acknowledged / elapsed, min(received) / elapsed


class RedisProcess:
    """A redis-server that fsyncs every write (appendfsync always), as durable acks need."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        log_path = workdir / "redis.log"
        self.log = log_path.open("wb")
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--dir", str(workdir), "--save", "", "--appendonly", "yes"]
        command += ["--appendfsync", "always"]
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        try:
            wait_listening(self.port, self.process, log_path, "redis-server", 10)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def run_backend(backend: str, quick: bool, workdir: Path) -> dict[str, Any]:
    redis = RedisProcess(workdir) if backend == "redis" else None
    storage = {
        "memory": "memory://",
        "sqlite": f"sqlite://{workdir}/documents.db",
        "redis": redis.url if redis else "",
    }[backend]
    server = PublishServer(storage, workdir / f"{backend}.log")
    try:
        result: dict[str, Any] = {"backend": backend}
        latencies = asyncio.run(measure_publish(server, 10 if quick else 30))
        result["publish_ms"] = summary(latencies)
        for viewers in (1, 10, 100):
            acked, slowest = asyncio.run(measure_stream(server, viewers, 2 if quick else 5))
            result[f"stream_{viewers}"] = {
                "acked_rows_per_s": acked,
                "slowest_viewer_rows_per_s": slowest,
            }
            print(
                f"  {backend}: {viewers} viewers: {acked:,.0f} acknowledged rows/s,"
                f" slowest viewer {slowest:,.0f} rows/s",
                flush=True,
            )
        return result
    finally:
        server.stop()
        if redis is not None:
            redis.stop()


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| backend | publish (ms, median / p99) | viewers | acknowledged rows/s | slowest viewer rows/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for result in results:
        publish = result["publish_ms"]
        for viewers in (1, 10, 100):
            stream = result[f"stream_{viewers}"]
            latency = f"{publish['median']:.1f} / {publish['p99']:.1f}" if viewers == 1 else ""
            lines.append(
                f"| {result['backend'] if viewers == 1 else ''} | {latency} | {viewers} |"
                f" {stream['acked_rows_per_s']:,.0f} | {stream['slowest_viewer_rows_per_s']:,.0f} |"
            )
    sqlite = next((r for r in results if r["backend"] == "sqlite"), None)
    if sqlite is not None:
        rate = sqlite["stream_10"]["acked_rows_per_s"]
        verdict = "met" if rate >= GOAL_ROWS_PER_SECOND else "NOT met"
        lines.append(
            f"\nGoal: SQLite, 10 viewers, >= {GOAL_ROWS_PER_SECOND:,} acknowledged rows/s:"
            f" {rate:,.0f} ({verdict})."
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter measuring windows")
    parser.add_argument(
        "--backends", default="memory,sqlite,redis", help="comma-separated: memory, sqlite, redis"
    )
    parser.add_argument("--json", type=Path, help="write the results as JSON here too")
    options = parser.parse_args()
    print(f"livedoc publishing benchmark; {os.cpu_count()} CPUs", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="livedoc-publish-bench-") as workdir:
        for backend in options.backends.split(","):
            results.append(run_backend(backend.strip(), options.quick, Path(workdir)))
    print()
    print(report(results))
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
