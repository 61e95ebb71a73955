"""Sessions and connections without sockets: frames in, frames out, through a recording transport."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import numpy as np

from livedoc import protocol as protocol_messages
from livedoc.document import Document, GenericModel
from livedoc.models import ColumnDataSource
from livedoc.protocol import Frame, Message, MessageAssembler, encode_message, patch_doc
from livedoc.server.connection import ServerConnection
from livedoc.server.session import ServerSession

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence


class Recorder:
    """A transport that decodes what the server writes back into messages."""

    def __init__(self) -> None:
        self.assembler = MessageAssembler()
        self.messages: list[Message] = []
        self.frames: list[Sequence[Frame]] = []
        self.closed: tuple[int, str] | None = None

    def write_frames(self, frames: Sequence[Frame]) -> None:
        self.frames.append(frames)
        for frame in frames:
            message = self.assembler.receive(frame.as_received())
            if message is not None:
                self.messages.append(message)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def types(self) -> list[str]:
        return [message.msgtype for message in self.messages]


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def make_session() -> tuple[ServerSession, ColumnDataSource, GenericModel]:
    doc = Document(title="t")
    source = ColumnDataSource(data={"x": np.arange(3.0)})
    label = GenericModel("Div", "div", {"text": "hi"})
    doc.add_root(source)
    doc.add_root(label)
    doc.to_json()  # as if a peer had pulled: changes to known models travel as events
    return ServerSession("sid", doc), source, label


def connect(session: ServerSession) -> tuple[ServerConnection, Recorder]:
    recorder = Recorder()
    connection = ServerConnection(session, recorder)
    connection.open()
    return connection, recorder


async def send(connection: ServerConnection, message: Message) -> None:
    for frame in encode_message(message):
        await connection.receive(frame.as_received())


def test_ack_first_then_pull() -> None:
    async def scenario() -> None:
        session, _, _ = make_session()
        connection, peer = connect(session)
        assert peer.types() == ["ACK"]
        request = protocol_messages.pull_doc_req()
        await send(connection, request)
        assert peer.types() == ["ACK", "PULL-DOC-REPLY"]
        reply = peer.messages[1]
        assert reply.reqid == request.msgid
        assert [root["name"] for root in reply.content["doc"]["roots"]] == [
            "ColumnDataSource",
            "Div",
        ]
        assert len(reply.buffers) == 1  # the float column travels as a binary buffer

    run(scenario)


def test_client_patch_reaches_other_connections_not_the_sender_and_ok_comes_last() -> None:
    async def scenario() -> None:
        session, _, label = make_session()
        sender, sender_peer = connect(session)
        other, other_peer = connect(session)
        echoes: list[str] = []

        def on_text(attr: str, old: Any, new: Any) -> None:
            echoes.append(new)
            label.set("title", f"seen {new}")  # server code reacting: goes to everyone

        label.on_change("text", on_text)
        event = {"kind": "ModelChanged", "model": {"id": "div"}, "attr": "text", "new": "changed"}
        request = patch_doc([event], {})
        await send(sender, request)
        assert label.get("text") == "changed"
        assert echoes == ["changed"]
        assert sender_peer.types() == [
            "ACK",
            "PATCH-DOC",
            "OK",
        ]  # only the callback's change, then OK
        sent = sender_peer.messages[1].content["events"]
        assert [(e["attr"], e["new"]) for e in sent] == [("title", "seen changed")]
        assert sender_peer.messages[2].reqid == request.msgid
        # one PATCH-DOC per run of one origin: the client's change, then the callback's
        assert other_peer.types() == ["ACK", "PATCH-DOC", "PATCH-DOC"]
        received = [e for m in other_peer.messages[1:] for e in m.content["events"]]
        assert [(e["attr"], e["new"]) for e in received] == [
            ("text", "changed"),
            ("title", "seen changed"),
        ]
        assert other.messages_in == 0

    run(scenario)


def test_one_encoding_for_every_connection() -> None:
    async def scenario() -> None:
        session, source, _ = make_session()
        peers = [connect(session)[1] for _ in range(3)]
        source.stream({"x": np.array([3.0])})
        session.flush()
        batches = [peer.frames[-1] for peer in peers]
        assert batches[0] is batches[1] is batches[2]  # the same frame objects, encoded once

    run(scenario)


def test_bad_requests_get_error_replies_and_the_connection_stays_open() -> None:
    async def scenario() -> None:
        session, _source, _ = make_session()
        connection, peer = connect(session)
        before = session.document.to_json()[0]
        bad = patch_doc(
            [{"kind": "ModelChanged", "model": {"id": "nope"}, "attr": "x", "new": 1}], {}
        )
        await send(connection, bad)
        assert peer.types() == ["ACK", "ERROR"]
        assert peer.messages[1].reqid == bad.msgid
        assert "unknown model 'nope'" in peer.messages[1].content["text"]
        assert peer.messages[1].content["traceback"] is None
        assert session.document.to_json()[0] == before
        await connection.receive('{"msgid": "m", "msgtype": "BOGUS"}')
        await connection.receive("{}")
        await connection.receive("{}")
        assert peer.types()[-1] == "ERROR"
        assert peer.messages[-1].reqid == "m"
        await send(connection, protocol_messages.server_info_req())
        assert peer.types()[-1] == "SERVER-INFO-REPLY"
        assert peer.closed is None

    run(scenario)


def test_protocol_violations_close_with_a_4xxx_code() -> None:
    async def scenario() -> None:
        session, _, _ = make_session()
        connection, peer = connect(session)
        await connection.receive(b"binary where a header belongs")
        assert peer.closed is not None
        assert 4000 <= peer.closed[0] < 5000
        assert connection not in session.connections
        second, second_peer = connect(session)
        await send(second, protocol_messages.ack())  # clients may not send ACK
        assert second_peer.closed is not None
        assert second_peer.closed[0] == 4004

    run(scenario)


def test_push_replaces_the_document_and_others_see_it() -> None:
    async def scenario() -> None:
        session, _, _ = make_session()
        pusher, pusher_peer = connect(session)
        _, watcher = connect(session)
        pushed = {
            "title": "pushed",
            "roots": [{"type": "object", "name": "Div", "id": "new", "attributes": {"text": "x"}}],
        }
        session.document.generic = True
        await send(pusher, protocol_messages.push_doc(pushed, {}))
        assert pusher_peer.types() == ["ACK", "OK"]
        assert session.document.title == "pushed"
        kinds = [e["kind"] for e in watcher.messages[1].content["events"]]
        assert kinds == ["RootRemoved", "RootRemoved", "RootAdded", "TitleChanged"]

    run(scenario)


def test_callbacks_run_under_the_lock_and_failures_are_logged(caplog: Any) -> None:
    async def scenario() -> None:
        session, source, _ = make_session()
        _, peer = connect(session)
        ticks: list[bool] = []

        def tick() -> None:
            ticks.append(session.lock.locked())
            source.stream({"x": np.array([float(len(ticks))])})
            if len(ticks) == 3:
                session.document.remove_callback(periodic)

        async def broken() -> None:
            raise RuntimeError("callback bug")

        periodic = session.document.add_periodic_callback(tick, 5)
        session.document.add_next_tick_callback(broken)
        await asyncio.sleep(0.2)
        assert ticks == [True, True, True]
        assert source.length == 6
        assert peer.types().count("PATCH-DOC") == 3
        assert "session sid: callback" in caplog.text
        assert "callback bug" in caplog.text
        session.destroy()

    run(scenario)


def test_json_of_replies_is_wire_clean() -> None:
    async def scenario() -> None:
        session, _, _ = make_session()
        connection, peer = connect(session)
        await send(connection, protocol_messages.pull_doc_req())
        header = json.loads(bytes(peer.frames[-1][0].payload))
        assert header["msgtype"] == "PULL-DOC-REPLY"

    run(scenario)
