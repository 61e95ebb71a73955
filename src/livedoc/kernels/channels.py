"""One client's channels to a kernel: the ZMQ half of `/api/kernels/<id>/channels`.

Every websocket gets DEALER sockets of its own for shell, control and stdin, whose identity is
the client's session id (so replies and the kernel's `input_request` go back to the client
that asked), as in jupyter_server. iopub is different: the kernel's one subscription (see
`Kernel.subscribe_iopub`) hands every message to every client, so a new client needs no
subscription of its own and no "nudge" to prove it live (ZMQ drops what a new SUB socket
receives before its subscription reaches the publisher; jupyter_server retries kernel_info
every 0.5 s until one arrives). Messages are relayed as byte parts: what the kernel wrote is
handed on unchanged, and what the client sends is re-signed with the kernel's key and sent
without being parsed.

When a client's websocket drops, its channels can be *parked*: the sockets stay connected and
what the kernel sends is held (bounded), so a client that reconnects with the same session id
gets the replies and outputs it missed, in order, as jupyter_server's offline buffering does.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from typing import TYPE_CHECKING

import zmq

from livedoc.kernels.manager import DELIMITER, split_message
from livedoc.kernels.wire import RawMessage
from livedoc.kernels.zmqloop import LoopSocket

if TYPE_CHECKING:
    from collections.abc import Callable

    from livedoc.kernels.manager import Kernel, KernelEvent, KernelManager
    from livedoc.kernels.ratelimit import IopubRateLimit

__all__ = ["CHANNELS", "HOLD_BYTES", "HOLD_MESSAGES", "KernelChannels"]

log = logging.getLogger("livedoc.kernel")

#: The channels a websocket carries (the heartbeat is not one of them, as in jupyter_server).
CHANNELS = ("shell", "control", "stdin", "iopub")
#: The ones a client has sockets of its own for.
_REQUEST_CHANNELS = ("shell", "control", "stdin")
#: What parked channels hold at most for a client to come back to (the oldest go first).
HOLD_MESSAGES = 10_000
HOLD_BYTES = 64 * 1024 * 1024


class KernelChannels:
    """A client's sockets to one kernel; `deliver` receives every kernel message for it."""

    def __init__(
        self,
        manager: KernelManager,
        kernel: Kernel,
        session_id: str,
        deliver: Callable[[RawMessage], None],
        rate_limit: IopubRateLimit | None = None,
    ) -> None:
        """`rate_limit` drops a flood of iopub output for a client that renders it (a browser),
        and tells it so; without one, nothing is ever dropped."""
        self.manager = manager
        self.rate_limit = rate_limit
        self.kernel = kernel
        self.session_id = session_id
        self.deliver = deliver
        self._sockets: dict[str, LoopSocket] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._held: deque[RawMessage] = deque()
        self._held_bytes = 0
        self.dropped = 0
        self.closed = False

    def _address(self, channel: str) -> str:
        info = self.kernel.manager.get_connection_info()
        ports = {
            "shell": info["shell_port"],
            "control": info["control_port"],
            "stdin": info["stdin_port"],
        }
        return f"{info['transport']}://{info['ip']}:{ports[channel]}"

    def _connect(self, channel: str) -> LoopSocket:
        socket = LoopSocket(
            self.manager.context, zmq.DEALER, lambda frames: self._received(channel, frames)
        )
        socket.socket.setsockopt(zmq.IDENTITY, self.session_id.encode())
        socket.socket.connect(self._address(channel))
        return socket

    def open(self) -> None:
        """Connect and relay from now on (a DEALER queues what is sent before it connects)."""
        for channel in _REQUEST_CHANNELS:
            self._sockets[channel] = self._connect(channel)
        self._unsubscribe = self.kernel.subscribe_iopub(self._iopub)
        self.kernel.connections += 1
        self._unlisten = self.kernel.listen(self._on_kernel_event)

    def _received(self, channel: str, frames: list[bytes]) -> None:
        parts = split_message(frames)
        if len(parts) >= 5 and not self.closed:
            self.deliver(
                RawMessage(channel, parts[1], parts[2], parts[3], parts[4], tuple(parts[5:]))
            )

    def _iopub(self, parts: list[bytes]) -> None:
        if self.closed:
            return
        if self.rate_limit is not None and not self._within_rate(parts):
            return
        self.deliver(RawMessage("iopub", parts[1], parts[2], parts[3], parts[4], tuple(parts[5:])))

    def _within_rate(self, parts: list[bytes]) -> bool:
        assert self.rate_limit is not None
        try:
            header = json.loads(parts[1])
            msg_type = str(header.get("msg_type", ""))
        except (ValueError, AttributeError):
            return True
        verdict = self.rate_limit.check(msg_type, parts[4], time.monotonic())
        if verdict.notice is not None:
            log.warning("kernel %s: client %s: %s", self.kernel.id, self.session_id, verdict.notice)
            self.deliver(self._notice(verdict.notice, parts[2]))
        return verdict.send

    def _notice(self, text: str, parent_header: bytes) -> RawMessage:
        """A stderr stream message under the request whose output is being dropped."""
        session = self.kernel.manager.session
        try:
            parent = json.loads(parent_header)
        except ValueError:
            parent = {}
        message = session.msg("stream", content={"name": "stderr", "text": text}, parent=parent)
        parts = split_message(session.serialize(message))
        return RawMessage("iopub", parts[1], parts[2], parts[3], parts[4])

    def send(self, message: RawMessage) -> None:
        """A client's message to the kernel, re-signed with the kernel's key."""
        if self.closed:
            return
        socket = self._sockets.get(message.channel)
        if socket is None:
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

    # -- a client that comes back ---------------------------------------------------------

    @property
    def parked(self) -> bool:
        return self.deliver == self._hold

    def park(self) -> None:
        """The client left: keep the sockets, hold what the kernel sends (see the module doc)."""
        if self.closed or self.parked:
            return
        self.deliver = self._hold
        self.kernel.connections = max(0, self.kernel.connections - 1)

    def _hold(self, message: RawMessage) -> None:
        size = sum(len(part) for part in message.parts) + sum(
            memoryview(b).nbytes for b in message.buffers
        )
        self._held.append(message)
        self._held_bytes += size
        while len(self._held) > HOLD_MESSAGES or self._held_bytes > HOLD_BYTES:
            old = self._held.popleft()
            self._held_bytes -= sum(len(part) for part in old.parts) + sum(
                memoryview(b).nbytes for b in old.buffers
            )
            self.dropped += 1

    def resume(self, deliver: Callable[[RawMessage], None]) -> list[RawMessage]:
        """A client is back: what was held for it, in order; `deliver` gets the rest."""
        held, self._held, self._held_bytes = list(self._held), deque(), 0
        if self.dropped:
            log.warning(
                "kernel %s: %d messages for client %s were dropped while it was away",
                self.kernel.id,
                self.dropped,
                self.session_id,
            )
            self.dropped = 0
        self.deliver = deliver
        self.kernel.connections += 1
        return held

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._unlisten is not None:
            self._unlisten()
            if not self.parked:
                self.kernel.connections = max(0, self.kernel.connections - 1)
        self._held.clear()
        for socket in self._sockets.values():
            socket.close()
        self._sockets.clear()
