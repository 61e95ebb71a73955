"""`/api/kernels/<id>/channels`: a kernel's channels over one websocket, as Jupyter clients
expect them.

The handshake is refused before the upgrade for a bad token (403) or an unknown kernel (404),
and waits until the kernel answers `kernel_info`. The `v1.kernel.websocket.jupyter.org`
framing is chosen when the client offers it, else the legacy JSON one. TCP_NODELAY is set:
without it each small message after the first waits ~40 ms for the client's delayed ACK.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from tornado.iostream import StreamBufferFullError, StreamClosedError
from tornado.web import HTTPError
from tornado.websocket import WebSocketHandler

from livedoc.kernels.channels import KernelChannels
from livedoc.kernels.manager import NoSuchKernelError
from livedoc.kernels.wire import (
    V1_PROTOCOL,
    WireError,
    decode_legacy,
    decode_v1,
    encode_legacy,
    v1_pieces,
)
from livedoc.server.frames import write_frame
from livedoc.server.jupyter.base import JupyterHandler

if TYPE_CHECKING:
    from livedoc.kernels.manager import Kernel, KernelEvent
    from livedoc.kernels.wire import RawMessage

__all__ = ["KernelChannelsHandler"]

log = logging.getLogger("livedoc.jupyter")

_REPLACED = "replaced by a newer connection of the same session"


class KernelChannelsHandler(WebSocketHandler, JupyterHandler):
    kernel: Kernel
    channels: KernelChannels | None = None
    session_key = ""
    v1 = False
    _closed = False

    def check_origin(self, origin: str) -> bool:
        return True  # decided in prepare(), with the REST API's rules

    async def prepare(self) -> None:  # type: ignore[override]
        JupyterHandler.prepare(self)
        kernel_id = self.path_args[0]
        kernels = self.services.kernels
        try:
            self.kernel = kernels.get(kernel_id)
        except NoSuchKernelError as exc:
            raise HTTPError(404, reason=str(exc)) from None
        # The session key is claimed on arrival, before the wait, as jupyter_server does: of
        # two connections of one session the newer wins, even when the older one (a client
        # that gave up on it and reconnected, e.g. jupyter_server's gateway front) is still
        # waiting for the kernel and would otherwise open last.
        session_id = self.get_query_argument("session_id", None) or uuid.uuid4().hex
        self.session_key = f"{kernel_id}:{session_id}"
        self.services.replace_connection(self.session_key, self)
        try:
            await kernels.wait_ready(kernel_id)
        except NoSuchKernelError as exc:
            self.services.forget_connection(self)
            raise HTTPError(404, reason=str(exc)) from None
        except (TimeoutError, RuntimeError) as exc:
            self.services.forget_connection(self)
            raise HTTPError(500, reason=f"the kernel does not answer: {exc}") from None

    def _superseded(self) -> bool:
        """Closed, or replaced by a newer connection of the same session."""
        return self._closed or self.services.connection(self.session_key) is not self

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return V1_PROTOCOL if V1_PROTOCOL in subprotocols else None

    async def open(self, kernel_id: str) -> None:
        self.set_nodelay(True)
        self.v1 = self.selected_subprotocol == V1_PROTOCOL
        if self._superseded():
            self.close(1000, _REPLACED)
            return
        session_id = self.session_key.split(":", 1)[1]
        channels = self.services.unpark(self.session_key)
        if channels is not None:  # a client back after a drop: what it missed comes first
            held = channels.resume(self.deliver)
            log.info(
                "kernel %s: client %s is back; %d held messages", kernel_id, session_id, len(held)
            )
            for message in held:
                self.deliver(message)
        else:
            channels = KernelChannels(
                self.services.kernels,
                self.kernel,
                session_id,
                self.deliver,
                self.services.rate_limit(),
            )
            channels.open()
        self.channels = channels
        self._unlisten = self.kernel.listen(self._on_kernel_event)
        log.debug("kernel %s: client %s connected (%s)", kernel_id, session_id, self.protocol_name)

    @property
    def protocol_name(self) -> str:
        return "v1" if self.v1 else "legacy"

    def deliver(self, message: RawMessage) -> None:
        """One kernel message to the client, written straight to the socket stream: one
        frame, its pieces not joined, no per-message task (Tornado's `write_message` makes
        one)."""
        protocol = self.ws_connection
        stream = getattr(protocol, "stream", None)
        if protocol is None or stream is None or protocol.is_closing() or stream.closed():
            return  # the client left: on_close cleans up
        try:
            if self.v1:
                write_frame(stream, True, v1_pieces(message))
            else:
                frame = encode_legacy(message)
                if isinstance(frame, str):
                    write_frame(stream, False, [frame.encode()])
                else:
                    write_frame(stream, True, [frame])
        except StreamClosedError:
            pass
        except StreamBufferFullError:
            log.warning(
                "kernel %s: a client stopped reading (over %d bytes waiting); disconnecting it",
                self.kernel.id,
                stream.max_write_buffer_size or 0,
            )
            stream.close()

    def on_message(self, message: str | bytes) -> None:
        if self.channels is None:
            return
        try:
            if self.v1:
                if isinstance(message, str):
                    raise WireError("the v1 protocol carries binary frames only")
                raw = decode_v1(message)
            else:
                raw = decode_legacy(message)
        except WireError as exc:
            log.info("kernel %s: dropped a malformed message: %s", self.kernel.id, exc)
            return
        self.channels.send(raw)

    def _on_kernel_event(self, event: KernelEvent) -> None:
        if event == "dead":  # the status went out first (see KernelChannels)
            asyncio.get_running_loop().call_soon(self.close, 1000, "the kernel is dead")

    def release(self) -> None:
        """Close the kernel sockets now (a newer connection of this session needs their
        identity: the kernel would route its replies to ours)."""
        if self.channels is not None:
            self._unlisten()
            channels, self.channels = self.channels, None
            channels.close()

    def on_close(self) -> None:
        self._closed = True
        self.services.forget_connection(self)
        if self.channels is not None and self.kernel.id in self.services.kernels:
            self._unlisten()
            channels, self.channels = self.channels, None
            self.services.park(self.session_key, channels)  # until the client comes back
        self.release()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        JupyterHandler.write_error(self, status_code, **kwargs)
