"""Raw websocket clients against a real server: the protocol, echo rules, and bad input."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.document import Document, Serializer
from livedoc.models import ColumnDataSource, Slider
from livedoc.protocol import patch_doc, pull_doc_req, server_info_req

from .ws_client import ProtocolClient, token_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.protocol.messages import Message
    from tests.live_server import LiveServer


def slider_app(doc: Document) -> None:
    doc.add_root(Slider(start=0, end=10, value=1, name="slider", title="s"))
    doc.add_root(ColumnDataSource(data={"x": [1.0, 2.0]}, name="source"))


def ws_url(server: LiveServer) -> str:
    return server.url().replace("http://", "ws://").rstrip("/") + "/ws"


def value_change(model_id: str, attr: str, new: Any) -> dict[str, Any]:
    return {"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr, "new": new}


async def connected(server: LiveServer, session_id: str | None = None) -> ProtocolClient:
    client = await ProtocolClient.connect(ws_url(server), token_for(session_id))
    ack = await client.receive()
    assert ack is not None
    assert ack.msgtype == "ACK"
    return client


async def pulled(client: ProtocolClient) -> dict[str, Any]:
    reply = await client.request(pull_doc_req())
    assert reply.msgtype == "PULL-DOC-REPLY"
    doc: dict[str, Any] = reply.content["doc"]
    return doc


def slider_of(doc_json: dict[str, Any]) -> dict[str, Any]:
    [slider] = [root for root in doc_json["roots"] if root["name"] == "Slider"]
    return slider


def test_ack_pull_and_server_info(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        client = await connected(server)
        doc = await pulled(client)
        assert slider_of(doc)["attributes"]["value"] == 1
        info = await client.request(server_info_req())
        assert info.msgtype == "SERVER-INFO-REPLY"
        assert "bokeh" in info.content["version_info"]
        client.close()

    asyncio.run(scenario())


def test_patch_goes_to_other_connections_not_the_sender_and_ok_follows(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        sender = await connected(server, "shared-session-1")
        doc = await pulled(sender)
        other = await connected(server, "shared-session-1")
        slider_id = slider_of(doc)["id"]
        reply = await sender.request(patch_doc([value_change(slider_id, "value", 7)], {}))
        assert reply.msgtype == "OK"
        patch = await other.receive()
        assert patch is not None
        assert patch.msgtype == "PATCH-DOC"
        assert patch.content["events"][0]["new"] == 7
        # Nothing was echoed to the sender: its next message is the reply to a new request.
        info = await sender.request(server_info_req())
        assert info.msgtype == "SERVER-INFO-REPLY"
        value = server.with_document("/", lambda d: d.get_model_by_name("slider").value)
        assert value == 7
        sender.close()
        other.close()

    asyncio.run(scenario())


BAD_PATCHES = [
    pytest.param([value_change("no-such-id", "value", 3)], "no-such-id", id="unknown model"),
    pytest.param(
        [value_change("SLIDER", "no_such_attr", 3)], "no_such_attr", id="unknown attribute"
    ),
    pytest.param(
        [value_change("SLIDER", "value", 3), value_change("SLIDER", "step", "x")],
        "step",
        id="invalid value",
    ),
    pytest.param([{"kind": "NoSuchEvent"}], "NoSuchEvent", id="unknown event kind"),
]


@pytest.mark.parametrize(("events", "named"), BAD_PATCHES)
def test_a_bad_patch_gets_an_error_and_changes_nothing(
    live_server: Callable[..., LiveServer], events: list[dict[str, Any]], named: str
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        client = await connected(server)
        before = await pulled(client)
        slider_id = slider_of(before)["id"]
        concrete = json.loads(json.dumps(events).replace("SLIDER", slider_id))
        reply = await client.request(patch_doc(concrete, {}))
        assert reply.msgtype == "ERROR"
        assert named in reply.content["text"]
        assert "Traceback" not in json.dumps(reply.content)
        after = await pulled(client)  # the connection is still open, the document unchanged
        assert after == before
        client.close()

    asyncio.run(scenario())


BAD_FRAMES = [
    pytest.param([b"\x00\x01garbage"], 4001, id="binary frame where a header belongs"),
    pytest.param(["{not json"], 4002, id="garbage header"),
    pytest.param(
        ['{"msgid": "1", "msgtype": "PATCH-DOC", "num_buffers": 100000}'],
        4003,
        id="too many buffers",
    ),
]


@pytest.mark.parametrize(("frames", "code"), BAD_FRAMES)
def test_protocol_violations_close_with_a_4xxx_code_and_others_keep_working(
    live_server: Callable[..., LiveServer], frames: list[str | bytes], code: int
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        bystander = await connected(server)
        before = await pulled(bystander)
        offender = await connected(server)
        for frame in frames:
            await offender.send_raw(frame)
        assert await offender.receive() is None
        assert offender.close_code == code
        assert offender.close_reason
        offender.close()
        assert await pulled(bystander) == before
        bystander.close()

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
        assert slider_of(await pulled(client))["attributes"]["value"] == 1
        client.close()

    asyncio.run(scenario())


def test_an_oversized_message_is_refused_and_others_keep_working(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app}, websocket_max_message_size=64 * 1024)

    async def scenario() -> None:
        bystander = await connected(server)
        before = await pulled(bystander)
        offender = await connected(server)
        events = [value_change(slider_of(before)["id"], "title", "x" * 200_000)]
        await offender.send(patch_doc(events, {}))
        assert await offender.receive() is None  # closed: 1009 (message too big)
        offender.close()
        assert await pulled(bystander) == before
        bystander.close()

    asyncio.run(scenario())


def test_server_changes_are_encoded_once_for_every_connection(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        clients = [await connected(server, "fanout-session") for _ in range(3)]
        for client in clients:
            await pulled(client)

        def stream(doc: Document) -> None:
            doc.get_model_by_name("source").stream({"x": [3.0, 4.0]})

        server.with_document("/", stream)
        received: list[Message] = []
        for client in clients:
            message = await client.receive()
            assert message is not None
            assert message.msgtype == "PATCH-DOC"
            received.append(message)
        assert all(m.msgid == received[0].msgid for m in received)  # the same frames
        [event] = received[0].content["events"]
        assert event["kind"] == "ColumnsStreamed"
        for client in clients:
            client.close()

    asyncio.run(scenario())


# keep the Serializer import honest: pulled documents decode with livedoc's own decoder
def test_pulled_document_decodes_into_typed_models(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> dict[str, Any]:
        client = await connected(server)
        doc = await pulled(client)
        client.close()
        return doc

    doc = Document.from_json(asyncio.run(scenario()))
    assert doc.get_model_by_name("slider").value == 1
    assert isinstance(Serializer, type)
