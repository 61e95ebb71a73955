"""Raw websocket clients against a real server: the message flow and the echo rules."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import numpy as np

from livedoc.document import Document
from livedoc.models import ColumnDataSource, Div, Slider
from livedoc.protocol import Message, patch_doc, server_info_req

from .ws_client import connected, pulled, root_named, value_change

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.live_server import LiveServer


def slider_app(doc: Document) -> None:
    """A slider whose Python `on_change` handler writes the value into a Div."""
    slider = Slider(start=0, end=10, value=1, name="slider", title="s")
    label = Div(text="value 1", name="label")
    slider.on_change("value", lambda _attr, _old, new: setattr(label, "text", f"value {new}"))
    doc.add_root(slider)
    doc.add_root(label)
    doc.add_root(ColumnDataSource(data={"x": [1.0, 2.0]}, name="source"))


def test_ack_comes_first_then_pull_and_server_info(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        client = await connected(server)  # asserts the first message is the ACK
        doc = await pulled(client)
        assert root_named(doc, "slider")["attributes"]["value"] == 1
        assert {"title", "config", "roots"} <= set(doc)  # what bokeh.client needs
        info = await client.request(server_info_req())
        assert info.msgtype == "SERVER-INFO-REPLY"
        assert info.content["version_info"]["bokeh"] == "3.9.2"
        client.close()

    asyncio.run(scenario())


def test_a_client_patch_reaches_the_others_but_is_not_echoed_and_ok_follows_its_effects(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        sender = await connected(server, "shared-session-1")
        slider_id = root_named(await pulled(sender), "slider")["id"]
        other = await connected(server, "shared-session-1")
        await pulled(other)
        change = patch_doc([value_change(slider_id, "value", 7)], {})
        await sender.send(change)

        # The sender gets only what its change caused on the Python side, then the OK.
        caused = await sender.receive()
        assert caused is not None
        assert caused.msgtype == "PATCH-DOC"
        assert [(e["attr"], e["new"]) for e in caused.content["events"]] == [("text", "value 7")]
        reply = await sender.receive()
        assert reply is not None
        assert (reply.msgtype, reply.reqid) == ("OK", change.msgid)

        # The other connection gets the change itself and what it caused.
        seen: list[tuple[str, object]] = []
        while len(seen) < 2:
            patch = await other.receive()
            assert patch is not None
            assert patch.msgtype == "PATCH-DOC"
            seen += [(e["attr"], e["new"]) for e in patch.content["events"]]
        assert seen == [("value", 7), ("text", "value 7")]

        value = server.with_document("/", lambda d: d.get_model_by_name("slider").value)
        assert value == 7
        sender.close()
        other.close()

    asyncio.run(scenario())


def test_python_side_changes_reach_every_connection_encoded_once(
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


def test_pulled_document_decodes_into_typed_models(live_server: Callable[..., LiveServer]) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> dict[str, object]:
        client = await connected(server)
        doc = await pulled(client)
        client.close()
        return doc

    doc = Document.from_json(asyncio.run(scenario()))
    assert doc.get_model_by_name("slider").value == 1
    assert list(doc.get_model_by_name("source").data["x"]) == [1.0, 2.0]


def float64_column(buffer_id: str, count: int) -> dict[str, Any]:
    """An ndarray reference to a float64 buffer sent alongside the message."""
    return {
        "type": "ndarray",
        "array": {"type": "bytes", "data": {"id": buffer_id}},
        "shape": [count],
        "dtype": "float64",
        "order": "little",
    }


def test_numeric_columns_travel_as_binary_frames_both_ways(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        sender = await connected(server, "binary-session")
        source_id = root_named(await pulled(sender), "source")["id"]
        watcher = await connected(server, "binary-session")
        await pulled(watcher)

        # Python -> clients: a numpy batch arrives as a buffer, not as a JSON list.
        server.with_document(
            "/",
            lambda doc: doc.get_model_by_name("source").stream({"x": np.array([3.0, 4.0])}),
        )
        for client in (sender, watcher):
            patch = await client.receive()
            assert patch is not None
            [buffer] = patch.buffers.values()
            assert np.frombuffer(buffer, dtype="<f8").tolist() == [3.0, 4.0]

        # client -> Python and the other client: a binary buffer in a PATCH-DOC.
        rows = np.array([5.0, 6.0, 7.0], dtype="<f8")
        event = {
            "kind": "ColumnsStreamed",
            "model": {"id": source_id},
            "attr": "data",
            "data": {"type": "map", "entries": [["x", float64_column("rows-1", 3)]]},
            "rollover": None,
        }
        message = Message(
            msgtype="PATCH-DOC", content={"events": [event]}, buffers={"rows-1": rows.tobytes()}
        )
        assert (await sender.request(message)).msgtype == "OK"
        relayed = await watcher.receive()
        assert relayed is not None
        [buffer] = relayed.buffers.values()
        assert np.frombuffer(buffer, dtype="<f8").tolist() == [5.0, 6.0, 7.0]
        column = server.with_document(
            "/", lambda doc: list(doc.get_model_by_name("source").data["x"])
        )
        assert column == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
        sender.close()
        watcher.close()

    asyncio.run(scenario())


def test_pipelined_patches_are_applied_and_answered_in_order(
    live_server: Callable[..., LiveServer],
) -> None:
    """A browser sends PATCH-DOCs without waiting for each OK."""
    server = live_server({"/": slider_app})

    async def scenario() -> None:
        client = await connected(server)
        slider_id = root_named(await pulled(client), "slider")["id"]
        sent = [patch_doc([value_change(slider_id, "value", i % 11)], {}) for i in range(1, 41)]
        for message in sent:
            await client.send(message)
        answered: list[tuple[str, str | None]] = []
        while len(answered) < len(sent):
            reply = await client.receive()
            assert reply is not None
            if reply.msgtype != "PATCH-DOC":  # the label updates the on_change handler makes
                answered.append((reply.msgtype, reply.reqid))
        assert answered == [("OK", message.msgid) for message in sent]
        doc = await pulled(client)
        assert root_named(doc, "slider")["attributes"]["value"] == 40 % 11
        assert root_named(doc, "label")["attributes"]["text"] == f"value {40 % 11}"
        client.close()

    asyncio.run(scenario())
