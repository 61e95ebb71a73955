"""Write backpressure: a client that stops reading is cut off; the others keep receiving."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

from livedoc.models import ColumnDataSource
from livedoc.protocol import pull_doc_req

from .http_client import open_upgraded_socket
from .ws_client import ProtocolClient, page_token, ws_url

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from livedoc.document import Document
    from tests.live_server import LiveServer

WRITE_BUFFER = 256 * 1024
BATCH_ROWS = 10_000  # 80 kB of float64 per streamed batch
MAX_BATCHES = 200  # 16 MB in all: far past the stalled client's socket buffers and the cap


def source_app(doc: Document) -> None:
    doc.add_root(ColumnDataSource(data={"x": [0.0]}, name="source"))


def pull_request_frames() -> list[bytes]:
    """A PULL-DOC request as three masked text frames, as a browser would send it."""
    header = json.dumps({"msgid": "stalled-1", "msgtype": "PULL-DOC-REQ"}).encode()
    frames = []
    for payload in (header, b"{}", b"{}"):
        mask = b"\x01\x02\x03\x04"
        masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
        frames.append(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    return frames


def test_a_client_that_stops_reading_is_disconnected_and_others_keep_receiving(
    live_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = live_server({"/": source_app}, websocket_max_write_buffer=WRITE_BUFFER)
    token = page_token(server.url())
    # A client that completes the handshake, asks for the document, then never reads again.
    stalled = open_upgraded_socket(ws_url(server), token, receive_buffer=4096)
    try:
        for frame in pull_request_frames():
            stalled.sendall(frame)

        async def scenario() -> tuple[int, int]:
            reader = await ProtocolClient.connect(ws_url(server), token)
            await reader.receive()  # ACK
            await reader.request(pull_doc_req())
            [session] = server.sessions()
            batches = 0
            while len(session.connections) > 1 and batches < MAX_BATCHES:
                server.with_document(
                    "/",
                    lambda doc: doc.get_model_by_name("source").stream(
                        {"x": [float(i) for i in range(BATCH_ROWS)]}
                    ),
                )
                message = await reader.receive()  # the reader gets every batch, in time
                assert message is not None
                assert message.msgtype == "PATCH-DOC"
                batches += 1
            remaining = len(session.connections)
            reader.close()
            return batches, remaining

        batches, remaining = asyncio.run(scenario())
    finally:
        stalled.close()
    assert remaining == 1  # only the reader: the stalled client was cut off
    assert batches < MAX_BATCHES
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "stopped reading" in r.getMessage()
    ]
    assert len(warnings) == 1, warnings  # one clear line saying why, naming the session
    assert server.sessions()[0].id in warnings[0]
