"""Durability of published documents: a script streams into a published document while the
`livedoc serve` process is killed with SIGKILL at a random moment; after a restart on the same
SQLite file, every acknowledged row is there, in order, with no gap."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import TYPE_CHECKING

import numpy as np

from livedoc.client import ClientError, ClientSession, pull_session
from livedoc.document import Document
from livedoc.models import ColumnDataSource

from .test_cli_serve import (
    Serve,
    free_port,
    serve as serve,  # the fixture
)

if TYPE_CHECKING:
    from pathlib import Path

BATCH = 100  # rows per stream() call


def test_every_acknowledged_row_survives_a_sigkill(serve: Serve, tmp_path: Path) -> None:
    port = free_port()
    storage = f"sqlite://{tmp_path}/documents.db"
    server = serve("--port", str(port), "--storage", storage)
    server.wait_for_line(r"published documents at")
    base = f"http://127.0.0.1:{port}"
    acknowledged = 0
    running = threading.Event()
    running.set()

    async def stream() -> None:
        nonlocal acknowledged
        doc = Document(title="durability")
        source = ColumnDataSource(data={"n": np.zeros(0, dtype=np.int64)}, name="rows")
        doc.add_root(source)
        session = await ClientSession.open(
            f"{base}/docs/local/rows/publish", document=doc, reconnect=False
        )
        try:
            for batch in range(10_000):  # bounded; the server dies long before
                if not running.is_set():
                    break
                start = batch * BATCH
                source.stream({"n": np.arange(start, start + BATCH, dtype=np.int64)})
                await session.flush()
                acknowledged = start + BATCH
        except ClientError:
            pass  # the server was killed
        finally:
            await session.close()

    writer = threading.Thread(target=lambda: asyncio.run(stream()))
    writer.start()
    deadline = time.monotonic() + 20
    while acknowledged < 2_000 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(random.uniform(0.0, 0.5))  # a random moment while rows keep coming
    server.process.kill()  # SIGKILL
    server.process.wait(10)
    running.clear()
    writer.join(30)
    assert not writer.is_alive()
    assert acknowledged >= 2_000, "the stream never got going"

    restarted = serve("--port", str(port), "--storage", storage)
    restarted.wait_for_line(r"published documents at")
    reader = pull_session(f"{base}/docs/local/rows")
    try:
        rows = np.asarray(reader.document.get_model_by_name("rows").data["n"])
    finally:
        reader.close()
    assert len(rows) >= acknowledged  # nothing acknowledged was lost
    assert np.array_equal(rows, np.arange(len(rows)))  # in order, no gap, no repeat
    assert len(rows) % BATCH == 0  # a patch is stored whole or not at all
