"""Bad input over a real websocket: each gets its error, nothing changes, the server goes on.

A bad request gets ERROR with its `reqid` and the connection stays open; a broken frame stream
is closed with a 4000-4999 code and a reason. Either way the session's document is unchanged
(another connection of the same session pulls it again and compares) and other sessions are
served as before.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.models import ColumnDataSource, Slider
from livedoc.protocol import CloseCode, Message, patch_doc, push_doc, server_info_req

from .ws_client import ProtocolClient, connected, pulled, root_named, value_change

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.document import Document
    from tests.live_server import LiveServer

LIMIT = 64 * 1024  # websocket_max_message_size of these tests' servers


def slider_app(doc: Document) -> None:
    doc.add_root(Slider(start=0, end=10, value=1, name="slider", title="s"))
    doc.add_root(ColumnDataSource(data={"x": [1.0, 2.0]}, name="source"))


async def assert_next_is_reply_to_a_new_request(client: ProtocolClient) -> None:
    """Nothing is queued for `client`: the next message it gets answers a request sent now."""
    request = server_info_req()
    await client.send(request)
    reply = await client.receive()
    assert reply is not None
    assert (reply.msgtype, reply.reqid) == ("SERVER-INFO-REPLY", request.msgid)


def with_ids(events: list[dict[str, Any]], doc_json: dict[str, Any]) -> list[dict[str, Any]]:
    """Events written with SLIDER / SOURCE placeholders, given the document's real ids."""
    text = json.dumps(events)
    text = text.replace("SLIDER", root_named(doc_json, "slider")["id"])
    text = text.replace("SOURCE", root_named(doc_json, "source")["id"])
    concrete: list[dict[str, Any]] = json.loads(text)
    return concrete


def patched(attr_and_patches: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ColumnsPatched", "model": {"id": "SOURCE"}, "attr": "data", **attr_and_patches}


BAD_PATCHES = [
    pytest.param([value_change("no-such-id", "value", 3)], "no-such-id", id="unknown model"),
    pytest.param(
        [value_change("SLIDER", "no_such_attr", 3)], "no_such_attr", id="unknown attribute"
    ),
    pytest.param(
        [value_change("SLIDER", "value", 3), value_change("SLIDER", "step", "x")],
        "step",
        id="invalid value after a valid one",
    ),
    pytest.param([{"kind": "NoSuchEvent"}], "NoSuchEvent", id="unknown event kind"),
    pytest.param(
        [patched({"patches": {"x": [[0, 7.0], [2, 9.0]]}})],
        "index 2",
        id="patch index out of range after a valid one",
    ),
    pytest.param(
        [
            {
                "kind": "ColumnsStreamed",
                "model": {"id": "SOURCE"},
                "attr": "data",
                "data": {"x": [3.0]},
                "rollover": -5,
            }
        ],
        "rollover",
        id="negative rollover",
    ),
    pytest.param(
        [value_change("SLIDER", "title", json.loads("[" * 900 + "]" * 900))],
        "nested",
        id="value nested 900 deep",
    ),
    pytest.param(
        [
            value_change(
                "SLIDER",
                "value",
                {
                    "type": "ndarray",
                    "array": {"type": "bytes", "data": {"id": "never-sent"}},
                    "shape": [1],
                    "dtype": "float64",
                    "order": "little",
                },
            )
        ],
        "never-sent",
        id="reference to a buffer never sent",
    ),
]


@pytest.mark.parametrize(("events", "named"), BAD_PATCHES)
def test_a_bad_patch_gets_an_error_and_changes_nothing_for_anyone(
    live_server: Callable[..., LiveServer], events: list[dict[str, Any]], named: str
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        sender = await connected(server, "bad-patch-session")
        watcher = await connected(server, "bad-patch-session")
        before = await pulled(watcher)
        await pulled(sender)
        reply = await sender.request(patch_doc(with_ids(events, before), {}))
        assert reply.msgtype == "ERROR"
        assert named in reply.content["text"]
        assert "Traceback" not in json.dumps(reply.content)
        assert await pulled(sender) == before  # still open, and nothing applied
        await assert_next_is_reply_to_a_new_request(watcher)  # no patch was broadcast
        assert await pulled(watcher) == before
        sender.close()
        watcher.close()

    asyncio.run(scenario())


def test_a_push_with_malformed_roots_gets_an_error_and_keeps_the_document(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        client = await connected(server)
        before = await pulled(client)
        bad = push_doc({"version": "3.9.2", "title": "wiped", "roots": {}}, {})
        reply = await client.request(bad)
        assert reply.msgtype == "ERROR"
        assert "roots" in reply.content["text"]
        assert await pulled(client) == before
        client.close()

    asyncio.run(scenario())


def test_an_unknown_message_type_gets_an_error_and_the_connection_stays_open(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        client = await connected(server)
        for frame in ['{"msgid": "q1", "msgtype": "NO-SUCH-TYPE"}', "{}", "{}"]:
            await client.send_raw(frame)
        reply = await client.receive()
        assert reply is not None
        assert (reply.msgtype, reply.reqid) == ("ERROR", "q1")
        assert "NO-SUCH-TYPE" in reply.content["text"]
        assert root_named(await pulled(client), "slider")["attributes"]["value"] == 1
        client.close()

    asyncio.run(scenario())


def test_a_message_over_the_size_limit_in_several_frames_gets_an_error(
    live_server: Callable[..., LiveServer],
) -> None:
    """Each frame fits the websocket limit; together they do not, so the message is refused."""
    server = live_server({"/": slider_app}, websocket_max_message_size=LIMIT)

    async def scenario() -> None:
        client = await connected(server)
        before = await pulled(client)
        slider_id = root_named(before, "slider")["id"]
        half = "x" * (LIMIT * 3 // 4)
        message = Message(
            msgtype="PATCH-DOC",
            content={"events": [value_change(slider_id, "title", half)]},
            metadata={"padding": half},
        )
        reply = await client.request(message)
        assert reply.msgtype == "ERROR"
        assert "limit" in reply.content["text"]
        assert await pulled(client) == before
        client.close()

    asyncio.run(scenario())


HEADER = '{"msgid": "v1", "msgtype": "PATCH-DOC", "num_buffers": 1}'
BAD_FRAMES = [
    pytest.param(
        [b"\x00\x01garbage"], CloseCode.FRAME_TYPE, id="binary frame where a header belongs"
    ),
    pytest.param(
        [HEADER, "{}", '{"events": []}', '{"id": "b1"}', "not a binary payload"],
        CloseCode.FRAME_TYPE,
        id="text frame where a buffer payload belongs",
    ),
    pytest.param(["{not json"], CloseCode.BAD_HEADER, id="garbage header"),
    pytest.param(['{"msgid": "v2"}'], CloseCode.BAD_HEADER, id="header without msgtype"),
    pytest.param(
        ['{"msgid": "v3", "msgtype": "PATCH-DOC", "num_buffers": true}'],
        CloseCode.BAD_HEADER,
        id="num_buffers not a count",
    ),
    pytest.param(
        ['{"msgid": "v4", "msgtype": "PATCH-DOC", "num_buffers": 100000}'],
        CloseCode.TOO_MANY_BUFFERS,
        id="too many buffers",
    ),
    pytest.param(
        ['{"msgid": "v5", "msgtype": "PULL-DOC-REPLY"}', "{}", '{"doc": {}}'],
        CloseCode.UNEXPECTED_MESSAGE,
        id="a message only servers send",
    ),
    pytest.param(["y" * (LIMIT + 1)], 1009, id="one frame over the size limit"),
]


@pytest.mark.parametrize(("frames", "code"), BAD_FRAMES)
def test_a_broken_frame_stream_is_closed_with_a_code_and_reason_and_nothing_else_suffers(
    live_server: Callable[..., LiveServer], frames: list[str | bytes], code: int
) -> None:
    server = live_server({"/": slider_app}, websocket_max_message_size=LIMIT)

    async def scenario() -> None:
        watcher = await connected(server, "violated-session")
        before = await pulled(watcher)
        offender = await connected(server, "violated-session")
        for frame in frames:
            await offender.send_raw(frame)
        assert await offender.receive() is None
        assert offender.close_code == code
        assert offender.close_reason  # says what was wrong
        offender.close()
        await assert_next_is_reply_to_a_new_request(watcher)
        assert await pulled(watcher) == before
        newcomer = await connected(server)  # the server opens new sessions as before
        assert root_named(await pulled(newcomer), "slider")["attributes"]["value"] == 1
        watcher.close()
        newcomer.close()

    asyncio.run(scenario())
