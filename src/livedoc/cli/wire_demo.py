"""`livedoc wire-demo`: watch a live document travel over the Bokeh protocol, frame by frame.

It builds a document around a streaming `ColumnDataSource`, applies the seven column operations
to it, and for each one prints the PATCH-DOC message's websocket frames with their sizes. Then it
feeds those frames to a receiving `MessageAssembler`, applies the decoded patch to a replica
document (schema-agnostic, as a server holds it) and checks the replica matches the original.
No network is involved: this is the sans-I/O core a server and a client are built on.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from livedoc.document import Document, DocumentPatchedEvent
from livedoc.document.column_source import current_data
from livedoc.models import ColumnDataSource
from livedoc.protocol import (
    Frame,
    Message,
    MessageAssembler,
    encode_message,
    message_size,
    patch_doc,
    pull_doc_reply,
)

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "wire-demo",
        help="show the wire messages of the seven column operations (no server needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--rows", type=int, default=8, help="rows per streamed batch (default: %(default)s)"
    )
    parser.add_argument(
        "--preview",
        type=int,
        default=110,
        help="characters of each text frame to show (default: %(default)s)",
    )
    parser.set_defaults(command=run)


def _frame_line(frame: Frame, preview: int) -> str:
    size = memoryview(frame.payload).nbytes
    if frame.binary:
        return f"    binary {size:>8,} B  <{size} raw bytes>"
    text = bytes(frame.payload).decode()
    if len(text) > preview:
        text = text[: preview - 3] + "..."
    return f"    text   {size:>8,} B  {text}"


def _columns_summary(data: dict[str, Any]) -> str:
    parts = []
    for name, column in data.items():
        values = (
            list(np.asarray(column).ravel()) if isinstance(column, np.ndarray) else list(column)
        )
        shown = ", ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in values[:3])
        more = f", ... ({len(values)} rows)" if len(values) > 3 else ""
        parts.append(f"{name}=[{shown}{more}]")
    return " ".join(parts) if parts else "(no columns)"


def _same(left: dict[str, Any], right: dict[str, Any]) -> bool:
    if set(left) != set(right):
        return False
    for name in left:
        a = np.asarray(left[name], dtype=object if not isinstance(left[name], np.ndarray) else None)
        b = np.asarray(
            right[name], dtype=object if not isinstance(right[name], np.ndarray) else None
        )
        if a.shape != b.shape:
            return False
        for x, y in zip(a.ravel().tolist(), b.ravel().tolist(), strict=True):
            if x != y and not (
                isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
            ):
                return False
    return True


class _Wire:
    """Carries messages from the document to a replica through frames and an assembler."""

    def __init__(self, out: TextIO, preview: int) -> None:
        self.out = out
        self.preview = preview
        self.receiver = MessageAssembler()
        self.total_bytes = 0

    def send(self, message: Message) -> Message:
        frames = encode_message(message)
        size = message_size(frames)
        self.total_bytes += size
        print(f"  {message.msgtype}: {len(frames)} frames, {size:,} bytes", file=self.out)
        for frame in frames:
            print(_frame_line(frame, self.preview), file=self.out)
        received = None
        for frame in frames:
            received = self.receiver.receive(frame.as_received())
        assert received is not None, "the assembler did not complete the message"
        return received


def run(args: argparse.Namespace, out: TextIO) -> int:
    rng = np.random.default_rng(7)
    rows = max(1, int(args.rows))
    wire = _Wire(out, int(args.preview))

    def readings(start: int, count: int) -> dict[str, Any]:
        t = np.arange(start, start + count, dtype=np.float64)
        return {
            "t": t,
            "temperature": 20 + np.cumsum(rng.normal(0, 0.3, count)),
            "sensor": ["a"] * count,
        }

    source = ColumnDataSource(data=readings(0, rows), name="readings")
    doc = Document(title="wire demo")
    doc.add_root(source)

    print("== the document, as a browser pulls it", file=out)
    doc_json, buffers = doc.to_json()
    received = wire.send(pull_doc_reply("demo-request", doc_json, buffers))
    replica = Document.from_json(received.content["doc"], received.buffers, generic=True)
    replica_source = replica.roots[0]
    print(
        f"  replica: {replica_source!r} {_columns_summary(current_data(replica_source))}\n",
        file=out,
    )

    pending: list[DocumentPatchedEvent] = []
    doc.on_change(
        lambda event: pending.append(event) if isinstance(event, DocumentPatchedEvent) else None
    )
    next_t = rows
    ok = True

    def step(number: int, title: str, operation: Callable[[], None]) -> None:
        nonlocal ok
        print(f"== {number}. {title}", file=out)
        operation()
        content, patch_buffers = doc.create_json_patch(pending)
        kinds = ", ".join(event.kind for event in pending)
        pending.clear()
        message = wire.send(patch_doc(content["events"], patch_buffers))
        replica.apply_json_patch(message.content, message.buffers)
        after = current_data(replica_source)
        same = _same(after, source.data)
        ok = ok and same
        print(
            f"  decoded: {len(message.content['events'])} event(s) [{kinds}], {len(message.buffers)} buffer(s)",
            file=out,
        )
        print(f"  replica: {_columns_summary(after)}", file=out)
        print(f"  replica equals the document: {'yes' if same else 'NO'}\n", file=out)

    def append() -> None:
        nonlocal next_t
        source.stream(readings(next_t, rows))
        next_t += rows

    def append_rollover() -> None:
        nonlocal next_t
        source.stream(readings(next_t, rows), rollover=2 * rows)
        next_t += rows

    n = source.length
    step(1, f"append {rows} rows (ColumnsStreamed)", append)
    step(
        2,
        f"append {rows} rows keeping the last {2 * rows} (ColumnsStreamed, rollover)",
        append_rollover,
    )
    step(
        3,
        "patch cells by index and by slice (ColumnsPatched)",
        lambda: source.patch({"temperature": [(0, -1.0), (slice(1, 3), [-2.0, -3.0])]}),
    )
    n = source.length
    step(
        4,
        "create a column (ColumnDataChanged, cols=[humidity])",
        lambda: source.add_columns(humidity=np.full(n, 0.5)),
    )
    step(
        5,
        "replace one column (ColumnDataChanged, cols=[temperature])",
        lambda: source.update_columns(temperature=np.linspace(18.0, 22.0, n)),
    )
    step(
        6, "delete a column (ColumnDataChanged, cols=null)", lambda: source.remove_columns("sensor")
    )
    step(
        7,
        "replace all columns (ColumnDataChanged, cols=null)",
        lambda: setattr(source, "data", readings(0, 4)),
    )
    print(
        f"total: {wire.total_bytes:,} bytes on the wire; replica in sync: {'yes' if ok else 'NO'}",
        file=out,
    )
    return 0 if ok else 1
