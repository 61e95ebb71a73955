from __future__ import annotations

import json

import numpy as np

from livedoc import protocol
from livedoc.protocol import Frame, encode_message, message_size


def test_frames_are_header_metadata_content_then_buffer_pairs() -> None:
    payload = np.arange(4, dtype=np.float64)
    message = protocol.patch_doc([{"kind": "TitleChanged", "title": "t"}], {"7": payload.data})
    frames = encode_message(message)
    assert [frame.binary for frame in frames] == [False, False, False, False, True]
    header = json.loads(bytes(frames[0].payload))
    assert header == {"msgid": message.msgid, "msgtype": "PATCH-DOC", "num_buffers": 1}
    assert json.loads(bytes(frames[1].payload)) == {}
    assert json.loads(bytes(frames[2].payload)) == {
        "events": [{"kind": "TitleChanged", "title": "t"}]
    }
    assert json.loads(bytes(frames[3].payload)) == {"id": "7"}


def test_binary_payloads_are_passed_through_without_copying() -> None:
    column = np.linspace(0.0, 1.0, 1000)
    view = column.data
    frames = encode_message(protocol.patch_doc([], {"0": view}))
    assert frames[-1].payload is view
    assert np.shares_memory(np.frombuffer(frames[-1].payload, dtype=np.float64), column)


def test_text_frames_are_compact_utf8() -> None:
    frames = encode_message(protocol.error("r", "naïve ✓"))
    content = bytes(frames[2].payload)
    assert content == '{"text":"naïve ✓","traceback":null}'.encode()
    assert message_size(frames) == sum(len(bytes(frame.payload)) for frame in frames)


def test_as_received_gives_str_for_text_and_bytes_for_binary() -> None:
    assert Frame(b'{"a":1}', False).as_received() == '{"a":1}'
    assert Frame(b"\x00\x01", True).as_received() == b"\x00\x01"
