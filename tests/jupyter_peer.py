"""A small Jupyter client for tests: the REST API over urllib, and the kernel websocket (v1 or
legacy framing) over Tornado, speaking to a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from livedoc.kernels.wire import (
    V1_PROTOCOL,
    RawMessage,
    decode_legacy,
    decode_v1,
    encode_legacy,
    encode_v1,
)

__all__ = ["Channels", "JupyterPeer", "Reply"]


class JupyterPeer:
    """REST calls with the server's token (or none)."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        """(status, decoded JSON body or None, headers)."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.token is not None and "Authorization" not in all_headers:
            all_headers["Authorization"] = f"token {self.token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is None and method in ("POST", "PUT", "PATCH"):
            data = b""
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=all_headers
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                text = response.read()
                return response.status, _json(text), dict(response.headers)
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _json(error.read()), dict(error.headers)

    async def until_state(self, kernel_id: str, state: str, within: float = 20) -> None:
        """Poll the kernel's model until its execution_state is `state`."""
        deadline = time.monotonic() + within
        while self.call("GET", f"/api/kernels/{kernel_id}")[1]["execution_state"] != state:
            assert time.monotonic() < deadline, f"kernel {kernel_id} never became {state}"
            await asyncio.sleep(0.05)

    def start_kernel(self, **body: Any) -> dict[str, Any]:
        status, model, _ = self.call("POST", "/api/kernels", body or None)
        assert status == 201, (status, model)
        return dict(model)

    def ws_url(self, kernel_id: str, session_id: str, query_token: bool = False) -> str:
        url = self.base.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        url += f"?session_id={session_id}"
        if query_token and self.token:
            url += f"&token={self.token}"
        return url


def _json(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


class Reply:
    """Everything one request caused: iopub messages and the shell/control reply."""

    def __init__(self) -> None:
        self.iopub: list[dict[str, Any]] = []
        self.reply: dict[str, Any] | None = None

    def of_type(self, msg_type: str) -> list[dict[str, Any]]:
        return [m for m in self.iopub if m["header"]["msg_type"] == msg_type]

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream"))


class Channels:
    """One kernel websocket; `request` sends a message and gathers what answers it."""

    def __init__(self, connection: WebSocketClientConnection, v1: bool, session: str) -> None:
        self.connection = connection
        self.v1 = v1
        self.session = session
        self.unsolicited: list[dict[str, Any]] = []

    @classmethod
    async def open(
        cls,
        peer: JupyterPeer,
        kernel_id: str,
        *,
        v1: bool = True,
        query_token: bool = False,
        session: str | None = None,
    ) -> Channels:
        session = session or uuid.uuid4().hex
        headers = {}
        if peer.token and not query_token:
            headers["Authorization"] = f"token {peer.token}"
        request = HTTPRequest(
            peer.ws_url(kernel_id, session, query_token), headers=headers, request_timeout=60
        )
        connection = await websocket_connect(request, subprotocols=[V1_PROTOCOL] if v1 else None)
        return cls(connection, connection.selected_subprotocol == V1_PROTOCOL, session)

    def message(self, msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
        return {
            "header": {
                "msg_id": uuid.uuid4().hex,
                "msg_type": msg_type,
                "username": "test",
                "session": self.session,
                "date": "2026-12-04T00:00:00.000000Z",
                "version": "5.4",
            },
            "parent_header": {},
            "metadata": {},
            "content": content,
        }

    def send(
        self, message: dict[str, Any], channel: str = "shell", buffers: tuple[bytes, ...] = ()
    ) -> None:
        raw = RawMessage(
            channel,
            json.dumps(message["header"]).encode(),
            json.dumps(message["parent_header"]).encode(),
            json.dumps(message["metadata"]).encode(),
            json.dumps(message["content"]).encode(),
            buffers,
        )
        frame = encode_v1(raw) if self.v1 else encode_legacy(raw)
        self.connection.write_message(frame, binary=not isinstance(frame, str))

    async def receive(self, timeout: float = 30) -> dict[str, Any] | None:
        frame = await asyncio.wait_for(self.connection.read_message(), timeout)
        if frame is None:
            return None
        raw = decode_v1(frame) if self.v1 else decode_legacy(frame)  # type: ignore[arg-type]
        return {
            "channel": raw.channel,
            "header": json.loads(raw.header),
            "parent_header": json.loads(raw.parent_header),
            "metadata": json.loads(raw.metadata),
            "content": json.loads(raw.content),
            "buffers": [bytes(b) for b in raw.buffers],
        }

    async def request(
        self, msg_type: str, content: dict[str, Any], channel: str = "shell", timeout: float = 30
    ) -> Reply:
        """Send, then gather until the reply and the `idle` status of this request are in."""
        message = self.message(msg_type, content)
        self.send(message, channel)
        msg_id = message["header"]["msg_id"]
        gathered = Reply()
        idle = False
        deadline = time.monotonic() + timeout
        while gathered.reply is None or not idle:
            incoming = await self.receive(max(0.1, deadline - time.monotonic()))
            assert incoming is not None, "the websocket closed"
            if incoming["parent_header"].get("msg_id") != msg_id:
                self.unsolicited.append(incoming)
                continue
            if incoming["channel"] == "iopub":
                gathered.iopub.append(incoming)
                if incoming["header"]["msg_type"] == "status":
                    idle = idle or incoming["content"]["execution_state"] == "idle"
            else:
                gathered.reply = incoming
        return gathered

    async def execute(self, code: str, timeout: float = 30) -> Reply:
        return await self.request(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            timeout=timeout,
        )

    async def wait_for_status(self, state: str, timeout: float = 30) -> dict[str, Any]:
        """The next iopub status with this execution_state (from any parent)."""
        deadline = time.monotonic() + timeout
        while True:
            incoming = await self.receive(max(0.1, deadline - time.monotonic()))
            assert incoming is not None, "the websocket closed"
            if (
                incoming["header"]["msg_type"] == "status"
                and incoming["content"].get("execution_state") == state
            ):
                return incoming

    def close(self) -> None:
        """Send the close frame and release the socket now (the test's loop may end at once)."""
        self.connection.close()
        stream = getattr(self.connection, "stream", None) or getattr(
            self.connection.protocol, "stream", None
        )
        if stream is not None:
            stream.close()
