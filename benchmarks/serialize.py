"""Serialization benchmark: livedoc against bokeh 3.9.2, in one process, in one run.

Two workloads, each encoded the way a server writes it and decoded the way a peer reads it:

(a) pull: a document holding one ColumnDataSource of N rows (default 1,000,000) and two float64
    columns.
    encode  document -> PULL-DOC-REPLY message -> websocket frames (every payload a server writes)
    decode  received frames -> assembled message -> a new Document

(b) stream: a ColumnsStreamed event appending M rows (default 1,000) of two float64 columns to
    such a source.
    encode  the change event -> PATCH-DOC message -> websocket frames
    decode  received frames -> assembled message -> applied to a replica document holding N rows,
            measured two ways. "steady": the replica keeps receiving the stream, as a client of
            a live stream does; every SETUP_EVERY rounds it is reset (untimed) to the N pulled
            rows plus one applied stream patch, so it holds N+M to N+(2*SETUP_EVERY)*M rows.
            "first": reset before every run, so each run is the first append after a pull.
    server  (informative) `source.stream(rows)` on the server's document, reset like "steady":
            the call that makes the event "encode" starts from.

bokeh runs what `bokeh serve` runs: `Protocol().create(...)` and `Message.send(conn)`, with a
stand-in for the websocket handler that records what tornado's `write_message` would put on the
wire (text as UTF-8 bytes, binary as given), and `Receiver.consume` then `Document.from_json` /
`patch_doc.apply_to_document`. livedoc runs `Document.to_json` / `create_json_patch`, the
message constructors, `encode_message`, `MessageAssembler.receive`, `Document.from_json` and
`apply_json_patch`.

Both sides get the same arrays, decode frames in the form a websocket library delivers them
(text frames as `str`, binary frames as `bytes`), and run interleaved (the side that goes first
alternates every round). In each round every side runs twice: "cold", after a 64 MB read that
flushes the CPU caches, and "warm", at once again. A gc pass (untimed) precedes every run.
Every loop is bounded in rounds and in time. No sockets are opened.

    .venv/bin/python benchmarks/serialize.py [--quick] [--json PATH] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import json
import math
import os
import platform
import pstats
import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Frames = list[tuple[Any, bool]]  # (payload, binary) in wire order
Received = list[str | bytes]  # what a websocket library hands to on_message

REQID = "6F0C1B7D2E5A4C3B9A8D7E6F5A4B3C2D"  # a BokehJS-style PULL-DOC-REQ msgid
#: Growing cases are reset every this many rounds (2 appends per side and round).
SETUP_EVERY = 25


@dataclass
class Stage:
    """One step of an operation: `run(setup())`, only `run` timed."""

    label: str
    run: Callable[[Any], Any]
    setup: Callable[[], Any] | None = None


# -- helpers shared by both sides -------------------------------------------------------------


def received(frames: Frames) -> Received:
    """The frames as the peer's websocket library delivers them: str for text, bytes for binary."""
    return [
        bytes(payload) if binary else bytes(payload).decode("utf-8") for payload, binary in frames
    ]


def wire_bytes(frames: Frames) -> int:
    return sum(memoryview(payload).nbytes for payload, _ in frames)


def copied_bytes(payloads: list[Any], arrays: list[np.ndarray[Any, Any]]) -> tuple[int, int]:
    """(bytes copied, bytes total): payload bytes that do not share memory with any of `arrays`."""
    copied = total = 0
    for payload in payloads:
        view = np.frombuffer(payload, dtype=np.uint8)
        total += view.nbytes
        if not any(np.shares_memory(view, array) for array in arrays):
            copied += view.nbytes
    return copied, total


def drive(coroutine: Any) -> Any:
    """Run a coroutine that never has to wait (bokeh's `consume` and `send` here) to completion."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the coroutine suspended; nothing in this benchmark should block")


# -- livedoc ----------------------------------------------------------------------------------


class _SideBase:
    """What both sides do the same way: their sources, the stream, resetting between runs."""

    replica_source: Any
    replica_data: Any
    server_source: Any
    original: Any
    new_rows: Any
    event: Any

    def decode_patch(self, frames: Received) -> None:
        raise NotImplementedError

    def reset_replica(self) -> None:
        self.replica_source.data = dict(self.replica_data)

    def server_stream(self) -> None:
        self.server_source.stream(self.new_rows, rollover=None)

    def prime_server(self) -> None:
        """Untimed: the server's source back to N rows, then one append, as in a live stream."""
        self.server_source.data = dict(self.original)
        self.server_stream()

    def prime_replica(self, frames: Received) -> None:
        """Untimed: the replica back to the pulled N rows, then one stream patch applied."""
        self.reset_replica()
        self.decode_patch(frames)

    def event_columns(self) -> list[Any]:
        return [self.event.data["x"], self.event.data["y"]]


class LivedocSide(_SideBase):
    name = "livedoc"

    def __init__(self, x: Any, y: Any, sx: Any, sy: Any) -> None:
        from livedoc.document import Document
        from livedoc.document.events import ColumnsStreamedEvent
        from livedoc.models import ColumnDataSource
        from livedoc.protocol import (
            DEFAULT_LIMITS,
            Limits,
            MessageAssembler,
            encode_message,
            patch_doc,
            pull_doc_reply,
        )

        self._Document = Document
        self._encode_message = encode_message
        self._patch_doc = patch_doc
        self._pull_doc_reply = pull_doc_reply
        # The default 20 MB message limit (bokeh's websocket default too) would refuse a pull of
        # more than ~1.3 M rows; raise it only when --rows needs that.
        needed = x.nbytes + y.nbytes + 1_000_000  # the arrays plus room for the JSON frames
        self.assembler = MessageAssembler(
            Limits(max_message_size=max(DEFAULT_LIMITS.max_message_size, needed))
        )

        # (a) the document that is pulled again and again.
        self.doc = Document()
        self.doc.add_root(ColumnDataSource({"x": x, "y": y}))

        # (b) a second document with the same data: its replica is decoded from a pull before
        # the stream, then the stream is made once and its event kept for encoding.
        stream_doc = Document()
        self.stream_source = ColumnDataSource({"x": x, "y": y})
        stream_doc.add_root(self.stream_source)
        doc_json, buffers = stream_doc.to_json()
        message = self._assemble(received(self._frames(pull_doc_reply(REQID, doc_json, buffers))))
        self.replica = Document.from_json(message.content["doc"], message.buffers)
        (self.replica_source,) = self.replica.roots
        self.replica_data = dict(self.replica_source.get("data"))
        events: list[Any] = []
        stream_doc.on_change(events.append)
        self.stream_source.stream({"x": sx, "y": sy}, rollover=None)
        assert len(events) == 1, events
        assert isinstance(events[0], ColumnsStreamedEvent), events
        self.stream_doc, self.event = stream_doc, events[0]

        # (b, server) a third document, whose source `stream` appends to.
        self.original = {"x": x, "y": y}
        server_doc = Document()
        self.server_source = ColumnDataSource({"x": x, "y": y})
        server_doc.add_root(self.server_source)
        self.server_doc, self.new_rows = server_doc, {"x": sx, "y": sy}

    def _frames(self, message: Any) -> Frames:
        return [(frame.payload, frame.binary) for frame in self._encode_message(message)]

    def _assemble(self, frames: Received) -> Any:
        message = None
        for frame in frames:
            message = self.assembler.receive(frame)
        assert message is not None
        return message

    # (a)
    def encode_doc(self) -> Frames:
        doc_json, buffers = self.doc.to_json()
        return self._frames(self._pull_doc_reply(REQID, doc_json, buffers))

    def decode_doc(self, frames: Received) -> Any:
        message = self._assemble(frames)
        return self._Document.from_json(message.content["doc"], message.buffers)

    def decode_doc_generic(self, frames: Received) -> Any:
        message = self._assemble(frames)
        return self._Document.from_json(message.content["doc"], message.buffers, generic=True)

    def doc_columns(self, doc: Any) -> list[Any]:
        (source,) = doc.roots
        return [source.get("data")["x"], source.get("data")["y"]]

    # (b)
    def encode_patch(self) -> Frames:
        content, buffers = self.stream_doc.create_json_patch([self.event])
        return self._frames(self._patch_doc(content["events"], buffers))

    def decode_patch(self, frames: Received) -> None:
        message = self._assemble(frames)
        self.replica.apply_json_patch(message.content, message.buffers)

    def replica_columns(self) -> list[Any]:
        data = self.replica_source.get("data")
        return [data["x"], data["y"]]

    def stages_patch(self) -> list[Stage]:
        """(b) encode split into its steps, for the breakdown."""
        content, buffers = self.stream_doc.create_json_patch([self.event])
        message = self._patch_doc(content["events"], buffers)
        return [
            Stage(
                "event -> content + buffers (Document.create_json_patch)",
                lambda _: self.stream_doc.create_json_patch([self.event]),
            ),
            Stage("-> Message (patch_doc)", lambda _: self._patch_doc(content["events"], buffers)),
            Stage("-> frames (encode_message)", lambda _: self._encode_message(message)),
        ]


# -- bokeh ------------------------------------------------------------------------------------


class _NoWaitLock:
    """Bokeh's handler has a tornado `locks.Lock`; uncontended, acquiring it never waits."""

    async def acquire(self) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()


class _RecordingHandler:
    """Stands in for bokeh's `WSHandler`: keeps what tornado's `write_message` would write.

    tornado's `WebSocketProtocol13.write_message` turns `str` into UTF-8 bytes
    (`tornado.escape.utf8`) and requires `bytes` for binary frames, which is why bokeh's
    `Buffer.to_bytes` copies each array. Framing and the socket write are left out on both sides.
    """

    def __init__(self) -> None:
        from tornado.escape import utf8

        self._utf8 = utf8
        self.write_lock = _NoWaitLock()
        self.frames: Frames = []

    async def write_message(self, message: Any, binary: bool = False, locked: bool = True) -> None:
        self.frames.append((self._utf8(message), binary))


class BokehSide(_SideBase):
    name = "bokeh"

    def __init__(self, x: Any, y: Any, sx: Any, sy: Any) -> None:
        from bokeh.core.serialization import Serialized
        from bokeh.document import Document
        from bokeh.document.events import ColumnsStreamedEvent
        from bokeh.models import ColumnDataSource
        from bokeh.protocol import Protocol
        from bokeh.protocol.receiver import Receiver

        self._Document = Document
        self._Serialized = Serialized
        self.protocol = Protocol()  # one per server, like bokeh's connections share
        self.receiver = Receiver(self.protocol)  # one per connection

        self.doc = Document()
        self.doc.add_root(ColumnDataSource(data={"x": x, "y": y}))

        stream_doc = Document()
        self.stream_source = ColumnDataSource(data={"x": x, "y": y})
        stream_doc.add_root(self.stream_source)
        pull = self.protocol.create("PULL-DOC-REPLY", REQID, stream_doc)
        self.replica = self.decode_doc(received(self._send(pull)))
        (self.replica_source,) = self.replica.roots
        self.replica_data = dict(self.replica_source.data)
        events: list[Any] = []
        stream_doc.on_change(events.append)
        self.stream_source.stream({"x": sx, "y": sy})
        assert len(events) == 1, events
        assert isinstance(events[0], ColumnsStreamedEvent), events
        self.stream_doc, self.event = stream_doc, events[0]

        self.original = {"x": x, "y": y}
        server_doc = Document()
        self.server_source = ColumnDataSource(data={"x": x, "y": y})
        server_doc.add_root(self.server_source)
        self.server_doc, self.new_rows = server_doc, {"x": sx, "y": sy}

    def _send(self, message: Any) -> Frames:
        handler = _RecordingHandler()
        drive(message.send(handler))  # what ServerSession / WSHandler.send_message run
        return handler.frames

    def _assemble(self, frames: Received) -> Any:
        message = None
        for frame in frames:
            message = drive(self.receiver.consume(frame))
        assert message is not None
        return message

    # (a)
    def encode_doc(self) -> Frames:
        return self._send(self.protocol.create("PULL-DOC-REPLY", REQID, self.doc))

    def decode_doc(self, frames: Received) -> Any:
        message = self._assemble(frames)
        return self._Document.from_json(self._Serialized(message.content["doc"], message.buffers))

    def doc_columns(self, doc: Any) -> list[Any]:
        (source,) = doc.roots
        return [source.data["x"], source.data["y"]]

    # (b)
    def encode_patch(self) -> Frames:
        return self._send(self.protocol.create("PATCH-DOC", [self.event]))

    def decode_patch(self, frames: Received) -> None:
        message = self._assemble(frames)
        message.apply_to_document(self.replica)  # what ServerSession._handle_patch runs

    def replica_columns(self) -> list[Any]:
        return [self.replica_source.data["x"], self.replica_source.data["y"]]

    def stages_patch(self) -> list[Stage]:
        """(b) encode split into its steps (a message caches its JSON, so `send` gets a new one)."""
        return [
            Stage(
                "event -> Message (Protocol.create: Serializer.encode, make_id, flush_synced)",
                lambda _: self.protocol.create("PATCH-DOC", [self.event]),
            ),
            Stage(
                "-> frames (Message.send: header/metadata/content JSON, Buffer.to_bytes)",
                self._send,
                lambda: self.protocol.create("PATCH-DOC", [self.event]),
            ),
        ]


# -- measurement ------------------------------------------------------------------------------


@dataclass
class Contender:
    label: str
    run: Callable[[], Any]
    setup: Callable[[], None] | None = None
    #: nanoseconds per condition: "cold" (after a cache flush) and "warm" (right after itself)
    samples: dict[str, list[int]] = field(default_factory=lambda: {"cold": [], "warm": []})


@dataclass
class Case:
    workload: str
    op: str
    contenders: list[Contender]
    baseline: str = "bokeh"
    #: run the contenders' setup every this many rounds (1: before every run)
    setup_every: int = 1


class CacheFlush:
    """Reads a buffer twice the size of the last-level cache, evicting whatever ran before.

    Without it, a cheap operation timed right after an expensive one pays for the caches the
    expensive one evicted (livedoc's 40 µs encode takes ~250 µs right after bokeh's), so who
    ran before would decide the result. With it, every cold run starts from the same state.
    """

    def __init__(self, nbytes: int = 64 * 1024 * 1024) -> None:
        self.buffer = np.ones(nbytes // 8)

    def __call__(self) -> None:
        self.buffer.sum()


def _timed(contender: Contender, setup: bool) -> int:
    if setup and contender.setup is not None:
        contender.setup()
    gc.collect()  # cheap: everything built before the runs is frozen
    t0 = time.perf_counter_ns()
    result = contender.run()
    elapsed = time.perf_counter_ns() - t0
    del result
    return elapsed


def measure(
    case: Case, *, rounds: int, min_rounds: int, cap: float, warmup: int, flush: CacheFlush
) -> None:
    """Interleave the contenders, the first one rotating every round.

    In each round every contender runs twice: once after a cache flush ("cold"), then once
    more at once ("warm", its own code and data still cached). A contender's untimed setup runs
    before the flush, every `case.setup_every` rounds (and before the warm run too when that is
    every round).
    """
    for _ in range(warmup):
        for contender in case.contenders:
            _timed(contender, setup=True)
    started = time.perf_counter()
    for index in range(rounds):
        shift = index % len(case.contenders)
        for contender in case.contenders[shift:] + case.contenders[:shift]:
            if contender.setup is not None and index % case.setup_every == 0:
                contender.setup()
            flush()
            contender.samples["cold"].append(_timed(contender, setup=False))
            contender.samples["warm"].append(_timed(contender, setup=case.setup_every == 1))
        if index + 1 >= min_rounds and time.perf_counter() - started > cap:
            break


def summary(samples: list[int]) -> dict[str, Any]:
    ordered = sorted(samples)
    n = len(ordered)
    q1, median, q3 = (float(v) for v in np.percentile(ordered, [25, 50, 75]))
    p99 = ordered[max(0, math.ceil(0.99 * n) - 1)]  # nearest rank; with n < 100 it is the max
    return {
        "runs": n,
        "median_ns": median,
        "p99_ns": float(p99),
        "p99_is_max": n < 100,
        "q1_ns": q1,
        "q3_ns": q3,
        "min_ns": float(ordered[0]),
        "max_ns": float(ordered[-1]),
        "samples_ns": samples,
    }


def fmt_time(ns: float) -> str:
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.{2 if ns < 1e7 else 1}f} ms"
    return f"{ns / 1e3:.{1 if ns < 1e5 else 0}f} µs"


def fmt_bytes(n: float) -> str:
    if abs(n) >= 1e6:
        return f"{n / 1e6:.2f} MB"
    if abs(n) >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{n:.0f} B"


def fmt_ratio(ratio: float) -> str:
    if ratio >= 1:
        return f"livedoc is {ratio:.1f}x faster"
    return f"livedoc is {1 / ratio:.1f}x slower"


@contextlib.contextmanager
def traced() -> Iterator[dict[str, int]]:
    """tracemalloc peak and retained bytes of the block (Python objects and NumPy data)."""
    gc.collect()
    result: dict[str, int] = {}
    tracemalloc.start()
    try:
        yield result
        current, peak = tracemalloc.get_traced_memory()
        result["peak"], result["retained"] = peak, current
    finally:
        tracemalloc.stop()


def peak_memory(run: Callable[[], Any], repeats: int = 3) -> dict[str, int]:
    measured = []
    for _ in range(repeats):
        with traced() as memory:
            result = run()
        del result
        measured.append(memory)
    measured.sort(key=lambda m: m["peak"])
    return measured[len(measured) // 2]


def profile(run: Callable[[], Any], setup: Callable[[], None] | None, count: int, top: int) -> Any:
    profiler = cProfile.Profile()
    for _ in range(count):
        if setup is not None:
            setup()
        gc.collect()  # as in the timed runs
        profiler.enable()
        result = run()
        profiler.disable()
        del result
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        short = filename
        for marker in ("site-packages/", "/src/"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
                break
        rows.append(
            {
                "function": f"{short}:{line}({func})",
                "calls_per_run": ncalls / count,
                "tottime_per_run_us": tottime / count * 1e6,
                "cumtime_per_run_us": cumtime / count * 1e6,
            }
        )
    total = sum(row["tottime_per_run_us"] for row in rows)
    rows.sort(key=lambda row: row["tottime_per_run_us"], reverse=True)
    return {"total_per_run_us": total, "top": rows[:top]}


# -- environment ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    import subprocess

    import bokeh
    import tornado

    import livedoc

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    revision = "unknown"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parent.parent
        git = ["git", "-C", str(root)]
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=True
        ).stdout.strip()
        revision = commit + (" (src modified)" if dirty else "")
    return {
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "bokeh": bokeh.__version__,
        "tornado": tornado.version,
        "livedoc": livedoc.__version__,
        "livedoc_revision": revision,
        "loadavg_at_start": os.getloadavg(),
    }


# -- main -------------------------------------------------------------------------------------


def check(condition: bool, text: str) -> None:
    if not condition:
        raise SystemExit(f"benchmark sanity check failed: {text}")


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def breakdown(stages: list[Stage], count: int) -> list[dict[str, Any]]:
    """Median time of each stage, run `count` times, interleaved."""
    samples: list[list[int]] = [[] for _ in stages]
    for _ in range(count):
        for stage, into in zip(stages, samples, strict=True):
            argument = stage.setup() if stage.setup is not None else None
            t0 = time.perf_counter_ns()
            result = stage.run(argument)
            into.append(time.perf_counter_ns() - t0)
            del result, argument
    return [
        {"stage": stage.label, "median_ns": float(np.median(into))}
        for stage, into in zip(stages, samples, strict=True)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few runs (a smoke run)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all results here")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the document")
    parser.add_argument("--stream-rows", type=int, default=1_000, help="rows per stream patch")
    parser.add_argument(
        "--rounds", type=int, help="max rounds per case (default 500; a round is 2 runs per side)"
    )
    parser.add_argument("--cap", type=float, help="seconds per case after which runs stop")
    parser.add_argument("--profile", action="store_true", help="also print cProfile hotspots")
    args = parser.parse_args(argv)

    rounds = args.rounds or (30 if args.quick else 500)
    cap = args.cap or (3.0 if args.quick else 20.0)
    min_rounds, warmup = (5, 2) if args.quick else (20, 3)

    info = machine()
    log(f"machine: {info}")
    rng = np.random.default_rng(20_240_601)
    x, y = rng.random(args.rows), rng.random(args.rows)
    sx, sy = rng.random(args.stream_rows), rng.random(args.stream_rows)

    log("building documents ...")
    lv, bk = LivedocSide(x, y, sx, sy), BokehSide(x, y, sx, sy)
    sides: dict[str, LivedocSide | BokehSide] = {"livedoc": lv, "bokeh": bk}

    # What each side writes, once, and what its peer receives (the decode input).
    doc_frames = {name: side.encode_doc() for name, side in sides.items()}
    patch_frames = {name: side.encode_patch() for name, side in sides.items()}
    doc_rx = {name: received(frames) for name, frames in doc_frames.items()}
    patch_rx = {name: received(frames) for name, frames in patch_frames.items()}

    # Sanity: both sides round-trip the same data.
    for name, side in sides.items():
        decoded = side.decode_doc(doc_rx[name])
        for got, want in zip(side.doc_columns(decoded), (x, y), strict=True):
            check(np.array_equal(np.asarray(got), want), f"{name}: decoded document differs")
        side.decode_patch(patch_rx[name])
        for got, old, new in zip(side.replica_columns(), (x, y), (sx, sy), strict=True):
            got = np.asarray(got)
            check(
                len(got) == args.rows + args.stream_rows
                and np.array_equal(got[: args.rows], old)
                and np.array_equal(got[args.rows :], new),
                f"{name}: the replica after the stream patch differs",
            )
        side.reset_replica()
        check(len(side.replica_columns()[0]) == args.rows, f"{name}: replica reset failed")
        check(sum(binary for _, binary in doc_frames[name]) == 2, f"{name}: expected 2 buffers")
        side.prime_replica(patch_rx[name])
        side.decode_patch(patch_rx[name])
        side.prime_server()
        side.server_stream()
        for got in (side.replica_columns()[0], side.server_source.data["x"]):
            got = np.asarray(got)
            check(
                len(got) == args.rows + 2 * args.stream_rows
                and np.array_equal(got[args.rows :], np.concatenate([sx, sx])),
                f"{name}: two appends after priming differ",
            )
    generic = lv.decode_doc_generic(doc_rx["livedoc"])
    check(
        np.array_equal(np.asarray(generic.roots[0].get("data")["x"]), x),
        "livedoc generic decode differs",
    )
    del generic

    # Copies: does a binary frame share memory with the column it carries, and vice versa?
    copies: dict[str, Any] = {}
    for name, side in sides.items():
        doc_payloads = [payload for payload, binary in doc_frames[name] if binary]
        patch_payloads = [payload for payload, binary in patch_frames[name] if binary]
        enc_a = copied_bytes(doc_payloads, [x, y])
        enc_b = copied_bytes(patch_payloads, side.event_columns())
        decoded = side.decode_doc(doc_rx[name])
        rx_payloads = [frame for frame in doc_rx[name] if isinstance(frame, bytes)]
        dec_a = copied_bytes(
            [np.asarray(column) for column in side.doc_columns(decoded)],
            [np.frombuffer(payload, dtype=np.uint8) for payload in rx_payloads],
        )
        copies[name] = {
            "encode_a_copied": enc_a[0],
            "encode_a_array_bytes": enc_a[1],
            "encode_b_copied": enc_b[0],
            "encode_b_array_bytes": enc_b[1],
            "decode_a_copied": dec_a[0],
            "decode_a_array_bytes": dec_a[1],
            "wire_bytes_a": wire_bytes(doc_frames[name]),
            "wire_bytes_b": wire_bytes(patch_frames[name]),
            "frames_a": len(doc_frames[name]),
            "frames_b": len(patch_frames[name]),
        }
        del decoded

    # Memory (a), outside the timed runs: tracemalloc slows everything it traces.
    memory: dict[str, dict[str, dict[str, int]]] = {}
    for name, side in sides.items():
        rx = doc_rx[name]
        memory[name] = {
            "encode_a": peak_memory(side.encode_doc),
            "decode_a": peak_memory(lambda side=side, rx=rx: side.decode_doc(rx)),
        }
    memory["livedoc"]["decode_a_generic"] = peak_memory(
        lambda: lv.decode_doc_generic(doc_rx["livedoc"])
    )

    rows_a = f"(a) pull {args.rows:,} rows"
    rows_b = f"(b) stream {args.stream_rows:,} rows"
    lv_rx, bk_rx = patch_rx["livedoc"], patch_rx["bokeh"]
    cases = [
        Case(
            rows_a,
            "encode",
            [Contender("livedoc", lv.encode_doc), Contender("bokeh", bk.encode_doc)],
        ),
        Case(
            rows_a,
            "decode",
            [
                Contender("livedoc", lambda: lv.decode_doc(doc_rx["livedoc"])),
                Contender("livedoc (generic)", lambda: lv.decode_doc_generic(doc_rx["livedoc"])),
                Contender("bokeh", lambda: bk.decode_doc(doc_rx["bokeh"])),
            ],
        ),
        Case(
            rows_b,
            "encode",
            [Contender("livedoc", lv.encode_patch), Contender("bokeh", bk.encode_patch)],
        ),
        Case(
            rows_b,
            "decode, steady",
            [
                Contender(
                    "livedoc", lambda: lv.decode_patch(lv_rx), lambda: lv.prime_replica(lv_rx)
                ),
                Contender("bokeh", lambda: bk.decode_patch(bk_rx), lambda: bk.prime_replica(bk_rx)),
            ],
            setup_every=SETUP_EVERY,
        ),
        Case(
            rows_b,
            "decode, first",
            [
                Contender("livedoc", lambda: lv.decode_patch(lv_rx), lv.reset_replica),
                Contender("bokeh", lambda: bk.decode_patch(bk_rx), bk.reset_replica),
            ],
        ),
        Case(
            rows_b,
            "server stream()",
            [
                Contender("livedoc", lv.server_stream, lv.prime_server),
                Contender("bokeh", bk.server_stream, bk.prime_server),
            ],
            setup_every=SETUP_EVERY,
        ),
    ]

    flush = CacheFlush()
    gc.collect()
    gc.freeze()  # bokeh's import holds many objects: keep full collections off them
    started = time.perf_counter()
    for case in cases:
        log(f"measuring {case.workload} {case.op} ...")
        measure(case, rounds=rounds, min_rounds=min_rounds, cap=cap, warmup=warmup, flush=flush)
    elapsed = time.perf_counter() - started
    info["loadavg_after_timing"] = os.getloadavg()

    stages: dict[str, list[dict[str, Any]]] = {}
    profiles: dict[str, Any] = {}
    if args.profile:
        for name, side in sides.items():
            stages[name] = breakdown(side.stages_patch(), 20 if args.quick else 300)
        lv.reset_replica()
        bk.reset_replica()
        for case in cases:
            for contender in case.contenders:
                slow = case.workload == rows_a or case.op != "encode"
                count = 5 if args.quick else (20 if slow else 200)
                key = f"{case.workload} {case.op} / {contender.label}"
                log(f"profiling {key} ...")
                profiles[key] = profile(contender.run, contender.setup, count, top=12)

    # -- report -------------------------------------------------------------------------------

    conditions = ("cold", "warm")
    results = []
    for condition in conditions:
        for case in cases:
            baseline = next(c for c in case.contenders if c.label == case.baseline)
            base = summary(baseline.samples[condition])
            for contender in case.contenders:
                stats = summary(contender.samples[condition])
                ratio = None if contender is baseline else base["median_ns"] / stats["median_ns"]
                results.append(
                    {
                        "condition": condition,
                        "workload": case.workload,
                        "op": case.op,
                        "side": contender.label,
                    }
                    | stats
                    | {"ratio_bokeh_over_side": ratio}
                )

    def row(condition: str, workload: str, op: str, side: str) -> dict[str, Any]:
        return next(
            r
            for r in results
            if (r["condition"], r["workload"], r["op"], r["side"])
            == (condition, workload, op, side)
        )

    totals = []
    paths = (
        (rows_a, ("encode", "decode")),
        (rows_b, ("encode", "decode, steady")),
        (rows_b, ("encode", "decode, first")),
        (rows_b, ("server stream()", "encode", "decode, steady")),
    )
    for condition in conditions:
        for workload, ops in paths:
            lv_total = sum(row(condition, workload, op, "livedoc")["median_ns"] for op in ops)
            bk_total = sum(row(condition, workload, op, "bokeh")["median_ns"] for op in ops)
            totals.append(
                {
                    "condition": condition,
                    "label": f"{workload}: {' + '.join(ops)}",
                    "livedoc_ns": lv_total,
                    "bokeh_ns": bk_total,
                    "ratio": bk_total / lv_total,
                }
            )

    out = [f"## Serialization: livedoc {info['livedoc_revision']} vs bokeh {info['bokeh']}\n"]
    out.append(
        f"{info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, NumPy {info['numpy']}, "
        f"tornado {info['tornado']}; load average {info['loadavg_at_start'][0]:.2f} before, "
        f"{info['loadavg_after_timing'][0]:.2f} after. {'`--quick`: ' if args.quick else ''}"
        f"up to {rounds} rounds per case (or {cap:.0f} s), {warmup} warm-up rounds, sides "
        f"interleaved; the timed part took {elapsed:.0f} s. (b) decode, steady and server "
        f"stream() append to a source that already streamed: every {SETUP_EVERY} rounds it is "
        f"reset to {args.rows:,} rows plus one untimed append, so runs append to "
        f"{args.rows + args.stream_rows:,} to "
        f"{args.rows + (2 * SETUP_EVERY) * args.stream_rows:,} rows. (b) decode, first "
        f"appends to the {args.rows:,} rows of a pull (reset before every run).\n"
    )
    captions = {
        "cold": "Cold: each run starts after a 64 MB buffer is read (caches flushed) and a gc pass",
        "warm": "Warm: the same operation run again at once (its code and data still cached)",
    }
    for condition in conditions:
        out.append(f"### {captions[condition]}\n")
        out.append(
            "| workload | op | side | median | p99 | IQR (p25 - p75) | min - max | runs "
            "| bokeh/livedoc |"
        )
        out.append("|---|---|---|---:|---:|---:|---:|---:|---|")
        for r in results:
            if r["condition"] != condition:
                continue
            p99 = fmt_time(r["p99_ns"]) + (" (max)" if r["p99_is_max"] else "")
            ratio = r["ratio_bokeh_over_side"]
            out.append(
                f"| {r['workload']} | {r['op']} | {r['side']} | {fmt_time(r['median_ns'])} | "
                f"{p99} | {fmt_time(r['q1_ns'])} - {fmt_time(r['q3_ns'])} | "
                f"{fmt_time(r['min_ns'])} - {fmt_time(r['max_ns'])} | {r['runs']} | "
                f"{'' if ratio is None else fmt_ratio(ratio)} |"
            )
        out.append("")
    out.append("### Paths (sums of medians)\n")
    out.append("| condition | path | livedoc | bokeh | bokeh/livedoc |")
    out.append("|---|---|---:|---:|---|")
    for total in totals:
        out.append(
            f"| {total['condition']} | {total['label']} | {fmt_time(total['livedoc_ns'])} | "
            f"{fmt_time(total['bokeh_ns'])} | {fmt_ratio(total['ratio'])} |"
        )

    out.append("\n### Memory and copies\n")
    out.append("| measure | livedoc | bokeh |")
    out.append("|---|---:|---:|")
    lm, bm, lc, bc = memory["livedoc"], memory["bokeh"], copies["livedoc"], copies["bokeh"]
    out.append(
        f"| (a) encode: tracemalloc peak | {fmt_bytes(lm['encode_a']['peak'])} | "
        f"{fmt_bytes(bm['encode_a']['peak'])} |"
    )
    out.append(
        f"| (a) decode: tracemalloc peak | {fmt_bytes(lm['decode_a']['peak'])} "
        f"(generic: {fmt_bytes(lm['decode_a_generic']['peak'])}) | "
        f"{fmt_bytes(bm['decode_a']['peak'])} |"
    )
    for key, label in (
        ("encode_a", "(a) encode: bytes of array data copied"),
        ("encode_b", "(b) encode: bytes of array data copied"),
        ("decode_a", "(a) decode: bytes of array data copied"),
    ):
        out.append(
            f"| {label} | {lc[key + '_copied']:,} of {lc[key + '_array_bytes']:,} | "
            f"{bc[key + '_copied']:,} of {bc[key + '_array_bytes']:,} |"
        )
    out.append(
        f"| (a) bytes written ({lc['frames_a']} frames) | {lc['wire_bytes_a']:,} | "
        f"{bc['wire_bytes_a']:,} |"
    )
    out.append(
        f"| (b) bytes written ({lc['frames_b']} frames) | {lc['wire_bytes_b']:,} | "
        f"{bc['wire_bytes_b']:,} |"
    )

    out.append("\n### Goals\n")
    goals = []
    for condition in conditions:
        for op in ("encode", "decode, steady", "decode, first"):
            ratio = row(condition, rows_b, op, "livedoc")["ratio_bokeh_over_side"]
            goals.append({"condition": condition, "what": f"(b) {op}", "ratio": ratio})
        for total in totals:
            if total["condition"] == condition and total["label"].startswith(rows_b):
                what = "(b) " + total["label"].split(": ", 1)[1]
                goals.append({"condition": condition, "what": what, "ratio": total["ratio"]})
    for goal in goals:
        out.append(
            f"- livedoc at least 3x faster on {goal['what']} ({goal['condition']}): "
            f"{goal['ratio']:.2f}x, {'met' if goal['ratio'] >= 3 else 'NOT met'}"
        )
    copied = lc["encode_a_copied"] + lc["encode_b_copied"]
    out.append(
        f"- no byte of array data copied on encode: livedoc copied {copied:,} bytes, "
        f"{'met' if copied == 0 else 'NOT met'}"
    )

    if stages:
        out.append("\n### (b) encode, step by step (medians)\n")
        out.append("| side | step | median |")
        out.append("|---|---|---:|")
        for name, steps in stages.items():
            for step in steps:
                out.append(f"| {name} | {step['stage']} | {fmt_time(step['median_ns'])} |")
    if profiles:
        out.append("\n### cProfile hotspots (own time per run, top 12)\n")
        for key, prof in profiles.items():
            out.append(f"**{key}**: {prof['total_per_run_us']:.0f} µs per run under cProfile\n")
            out.append("| function | calls/run | own time/run | cumulative/run |")
            out.append("|---|---:|---:|---:|")
            for hot in prof["top"]:
                out.append(
                    f"| `{hot['function']}` | {hot['calls_per_run']:g} | "
                    f"{hot['tottime_per_run_us']:.1f} µs | {hot['cumtime_per_run_us']:.1f} µs |"
                )
            out.append("")

    print("\n".join(out))

    if args.json is not None:
        document = {
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": info,
            "config": {
                "rows": args.rows,
                "stream_rows": args.stream_rows,
                "rounds": rounds,
                "cap_s": cap,
                "min_rounds": min_rounds,
                "warmup": warmup,
                "quick": args.quick,
                "elapsed_s": elapsed,
            },
            "results": results,
            "totals": totals,
            "goals": goals,
            "memory": memory,
            "copies": copies,
            "stages": stages,
            "profiles": profiles,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=1))
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
