"""A small Bokeh-protocol websocket client for tests, built on livedoc.protocol and Tornado."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from typing import TYPE_CHECKING, Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from livedoc.protocol import Message, MessageAssembler, encode_message, pull_doc_req
from livedoc.protocol.tokens import generate_session_id, generate_token

if TYPE_CHECKING:
    from tests.live_server import LiveServer

__all__ = [
    "ProtocolClient",
    "connected",
    "page_token",
    "pulled",
    "root_named",
    "token_for",
    "value_change",
    "ws_url",
]


def token_for(session_id: str | None = None, **kwargs: Any) -> str:
    return generate_token(session_id or generate_session_id(), **kwargs)


def page_token(url: str) -> str:
    """The session token the app page embeds, as a browser would find it."""
    with urllib.request.urlopen(url, timeout=10) as response:
        html = response.read().decode()
    match = re.search(r'"token":\s*"([^"]+)"', html)
    assert match is not None, "the app page embeds no session token"
    return match.group(1)


def ws_url(server: LiveServer, app: str = "/") -> str:
    """The websocket URL BokehJS derives from the app page's URL."""
    return server.url(app).replace("http://", "ws://").rstrip("/") + "/ws"


def value_change(model_id: str, attr: str, new: Any) -> dict[str, Any]:
    return {"kind": "ModelChanged", "model": {"id": model_id}, "attr": attr, "new": new}


def root_named(doc_json: dict[str, Any], name: str) -> dict[str, Any]:
    """The root model called `name` in a pulled document's JSON."""
    [root] = [root for root in doc_json["roots"] if root["attributes"].get("name") == name]
    found: dict[str, Any] = root
    return found


class ProtocolClient:
    """One websocket connection: send messages or raw frames, receive whole messages."""

    def __init__(self, connection: WebSocketClientConnection) -> None:
        self.connection = connection
        self.assembler = MessageAssembler()

    @classmethod
    async def connect(cls, ws_url: str, token: str, *, origin: str | None = None) -> ProtocolClient:
        headers = {"Origin": origin} if origin else {}
        request = HTTPRequest(ws_url, headers=headers)
        connection = await websocket_connect(request, subprotocols=["bokeh", token])
        return cls(connection)

    async def send(self, message: Message) -> None:
        for frame in encode_message(message):
            await self.connection.write_message(bytes(frame.payload), binary=frame.binary)

    async def send_raw(self, payload: str | bytes) -> None:
        await self.connection.write_message(payload, binary=isinstance(payload, bytes))

    async def receive(self, within: float = 10) -> Message | None:
        """The next whole message, or None when the server closed the connection."""
        while True:
            frame = await asyncio.wait_for(self.connection.read_message(), within)
            if frame is None:
                return None
            message = self.assembler.receive(frame)
            if message is not None:
                return message

    async def request(self, message: Message) -> Message:
        """Send and return the reply to it (skipping unrelated messages such as patches)."""
        await self.send(message)
        while True:
            reply = await self.receive()
            assert reply is not None, "the server closed the connection"
            if reply.reqid == message.msgid:
                return reply

    @property
    def close_code(self) -> int | None:
        return self.connection.close_code

    @property
    def close_reason(self) -> str | None:
        return self.connection.close_reason

    def close(self) -> None:
        """Send the close frame and release the socket now: the test's loop may end at once,
        before the close handshake would have finished."""
        self.connection.close()
        stream = getattr(self.connection, "stream", None) or getattr(
            self.connection.protocol, "stream", None
        )
        if stream is not None:
            stream.close()


async def connected(
    server: LiveServer, session_id: str | None = None, app: str = "/"
) -> ProtocolClient:
    """A connection to a session of `app` (a new one unless `session_id` is given), past its ACK."""
    client = await ProtocolClient.connect(ws_url(server, app), token_for(session_id))
    ack = await client.receive()
    assert ack is not None
    assert ack.msgtype == "ACK"
    return client


async def pulled(client: ProtocolClient) -> dict[str, Any]:
    """The session's document as a PULL-DOC-REPLY carries it."""
    reply = await client.request(pull_doc_req())
    assert reply.msgtype == "PULL-DOC-REPLY"
    doc: dict[str, Any] = reply.content["doc"]
    return doc


def content_json(message: Message) -> str:
    return json.dumps(message.content, sort_keys=True)
