"""One client's channels to a kernel: the ZMQ half of `/api/kernels/<id>/channels`.

Every websocket gets ZMQ sockets of its own, as in jupyter_server: DEALERs for shell, control
and stdin whose identity is the client's session id (so the kernel's `input_request` goes back
to the client that asked), and a SUB on iopub. Messages are relayed as byte parts: what the
kernel wrote is handed on unchanged, and what the client sends is re-signed with the kernel's
key and sent without being parsed.

Before relaying, `open` proves the iopub subscription is live (ZMQ drops what a SUB socket
receives before its subscription reaches the publisher): it asks `kernel_info` on a socket of
its own every 50 ms until a message arrives on the new SUB, and drops what those requests
cause, so the client sees only its own traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING

import zmq

from livedoc.kernels.manager import DELIMITER, split_message
from livedoc.kernels.wire import RawMessage
from livedoc.kernels.zmqloop import LoopSocket

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.kernels.manager import Kernel, KernelEvent, KernelManager

__all__ = ["CHANNELS", "KernelChannels"]

log = logging.getLogger("livedoc.kernel")

#: The channels a websocket carries (the heartbeat is not one of them, as in jupyter_server).
CHANNELS = ("shell", "control", "stdin", "iopub")

#: How often `open` repeats its kernel_info request while it waits for iopub to come alive.
NUDGE_PERIOD = 0.05
#: How long after that the status messages those requests caused are still filtered out.
NUDGE_FILTER = 2.0


class KernelChannels:
    """A client's sockets to one kernel; `deliver` receives every kernel message for it."""

    def __init__(
        self,
        manager: KernelManager,
        kernel: Kernel,
        session_id: str,
        deliver: Callable[[RawMessage], None],
    ) -> None:
        self.manager = manager
        self.kernel = kernel
        self.session_id = session_id
        self.deliver = deliver
        self._sockets: dict[str, LoopSocket] = {}
        self._live = asyncio.Event()
        self._nudges: set[str] = set()
        self._filter_until = 0.0
        self._unlisten: Callable[[], None] | None = None
        self.closed = False

    def _address(self, channel: str) -> str:
        info = self.kernel.manager.get_connection_info()
        ports = {
            "shell": info["shell_port"],
            "control": info["control_port"],
            "stdin": info["stdin_port"],
            "iopub": info["iopub_port"],
        }
        return f"{info['transport']}://{info['ip']}:{ports[channel]}"

    def _connect(self, channel: str) -> LoopSocket:
        kind = zmq.SUB if channel == "iopub" else zmq.DEALER
        socket = LoopSocket(
            self.manager.context, kind, lambda frames: self._received(channel, frames)
        )
        if kind == zmq.SUB:
            socket.socket.setsockopt(zmq.SUBSCRIBE, b"")
        else:
            socket.socket.setsockopt(zmq.IDENTITY, self.session_id.encode())
        socket.socket.connect(self._address(channel))
        return socket

    async def open(self, time_limit: float) -> None:
        """Connect, wait until iopub is live, then relay. TimeoutError if it never is."""
        for channel in CHANNELS:
            self._sockets[channel] = self._connect(channel)
        try:
            await self._nudge(time_limit)
        except BaseException:
            await self.close()
            raise
        self.kernel.connections += 1
        self._unlisten = self.kernel.listen(self._on_kernel_event)

    async def _nudge(self, time_limit: float) -> None:
        session = self.kernel.manager.session
        # A socket of its own identity: the replies to these requests do not reach the client.
        probe: zmq.Socket[bytes] = zmq.Socket(self.manager.context, zmq.DEALER)
        probe.setsockopt(zmq.LINGER, 0)
        probe.connect(self._address("shell"))
        deadline = time.monotonic() + time_limit
        self._filter_until = deadline + NUDGE_FILTER
        try:
            while time.monotonic() < deadline:
                request = session.msg("kernel_info_request")
                self._nudges.add(request["header"]["msg_id"])
                session.send(probe, request)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._live.wait(), NUDGE_PERIOD)
                    return  # a message arrived on iopub: the subscription is live
            raise TimeoutError(f"kernel {self.kernel.id}: iopub did not come alive")
        finally:
            probe.close()

    def _received(self, channel: str, frames: list[bytes]) -> None:
        parts = split_message(frames)
        if len(parts) < 5 or self.closed:
            return
        if channel == "iopub":
            self._live.set()
            if self._nudges and self._caused_by_nudge(parts[2]):
                return  # the status a nudge caused: not the client's business
        self.deliver(RawMessage(channel, parts[1], parts[2], parts[3], parts[4], tuple(parts[5:])))

    def _caused_by_nudge(self, parent_header: bytes) -> bool:
        if time.monotonic() > self._filter_until:
            self._nudges.clear()  # long answered: stop parsing every iopub header
            return False
        try:
            parent = json.loads(parent_header)
        except ValueError:
            return False
        return isinstance(parent, dict) and parent.get("msg_id") in self._nudges

    def send(self, message: RawMessage) -> None:
        """A client's message to the kernel, re-signed with the kernel's key."""
        if self.closed:
            return
        socket = self._sockets.get(message.channel)
        if socket is None or message.channel == "iopub":
            log.debug("kernel %s: dropped a message for %s", self.kernel.id, message.channel)
            return
        parts = [message.header, message.parent_header, message.metadata, message.content]
        signature = self.kernel.manager.session.sign(parts)
        socket.send_multipart([DELIMITER, signature, *parts, *map(bytes, message.buffers)])

    def _on_kernel_event(self, event: KernelEvent) -> None:
        if event in ("restarting", "dead"):
            self.deliver(self.status_message(event))

    def status_message(self, state: str) -> RawMessage:
        """A server-made iopub status (`restarting`, `dead`), as jupyter_server sends them."""
        session = self.kernel.manager.session
        message = session.msg("status", content={"execution_state": state})
        parts = split_message(session.serialize(message))
        return RawMessage("iopub", parts[1], parts[2], parts[3], parts[4])

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._unlisten is not None:
            self._unlisten()
            self.kernel.connections = max(0, self.kernel.connections - 1)
        for socket in self._sockets.values():
            socket.close()
        self._sockets.clear()
