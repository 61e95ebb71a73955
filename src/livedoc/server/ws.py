"""The websocket endpoint `<prefix>/<app>/ws`: handshake checks, then a byte pump.

Before the upgrade, in plain HTTP, the request is checked: the `Origin` (see `origins`), and
the session token offered as the second `Sec-WebSocket-Protocol` value. A refused request gets
403 with a reason, never a half-open socket. After the upgrade the handler only moves frames
between the socket and a `ServerConnection`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from tornado.iostream import StreamBufferFullError, StreamClosedError
from tornado.websocket import WebSocketHandler

from livedoc.protocol import CloseCode, Limits
from livedoc.protocol.tokens import TokenError, TokenLimits, decode_token
from livedoc.server.connection import ServerConnection
from livedoc.server.frames import write_frames

if TYPE_CHECKING:
    from collections.abc import Sequence

    from livedoc.protocol import Frame
    from livedoc.protocol.tokens import TokenPayload
    from livedoc.server.contexts import ApplicationContext
    from livedoc.server.origins import OriginPolicy
    from livedoc.server.settings import ServerSettings

__all__ = ["SESSION_OPEN_TIMEOUT", "WebsocketHandler"]

log = logging.getLogger("livedoc.server")

#: A connection gets its ACK, or is closed with a reason, within this many seconds.
SESSION_OPEN_TIMEOUT = 60.0


class _Transport:
    def __init__(self, handler: WebsocketHandler) -> None:
        self.handler = handler

    def write_frames(self, frames: Sequence[Frame]) -> None:
        protocol = self.handler.ws_connection
        stream = getattr(protocol, "stream", None)
        if protocol is None or stream is None or protocol.is_closing() or stream.closed():
            return
        try:
            write_frames(stream, frames)
        except StreamClosedError:
            pass  # the peer went away; on_close cleans up
        except StreamBufferFullError:
            # The client stopped reading. Drop the TCP connection rather than queue without
            # bound (a close frame could not be queued either); the session and others go on.
            token = self.handler.token
            log.warning(
                "session %s: a client stopped reading (over %d bytes waiting to be sent);"
                " disconnecting it",
                token.session_id if token else "?",
                stream.max_write_buffer_size or 0,
            )
            stream.close()

    def close(self, code: int, reason: str) -> None:
        self.handler.close(code, reason)


class WebsocketHandler(WebSocketHandler):
    """Serves one app's sessions over the Bokeh protocol."""

    def initialize(
        self, app_context: ApplicationContext, settings: ServerSettings, origins: OriginPolicy
    ) -> None:
        self.app_context = app_context
        self.server_settings = settings
        self.origins = origins
        self.token: TokenPayload | None = None
        self.token_text = ""
        self.connection: ServerConnection | None = None

    def check_origin(self, origin: str) -> bool:
        return True  # decided in prepare(), with the Host check Tornado's shortcut lacks

    def get_compression_options(self) -> dict[str, Any] | None:
        return None  # frames are written raw (see frames.py), which needs compression off

    async def prepare(self) -> None:
        headers = self.request.headers
        if not self.origins.allows(
            headers.get("Origin"), headers.get("Host"), headers.get("Sec-Fetch-Site")
        ):
            log.warning(
                "refused websocket from origin %s (Host %s)",
                headers.get("Origin"),
                headers.get("Host"),
            )
            self._refuse(
                403, "this origin may not open websockets here (see --allow-websocket-origin)"
            )
            return
        offered = [
            part.strip()
            for part in headers.get("Sec-WebSocket-Protocol", "").split(",")
            if part.strip()
        ]
        if len(offered) != 2 or offered[0] != "bokeh":
            self._refuse(403, "expected the subprotocols ['bokeh', <session token>]")
            return
        try:
            self.token = decode_token(
                offered[1],
                signed=self.server_settings.signed,
                secret_key=self.server_settings.secret_key_bytes,
                limits=self._token_limits(),
            )
        except TokenError as exc:
            log.info("refused websocket: %s", exc)
            self._refuse(403, str(exc))
            return
        self.token_text = offered[1]

    def _token_limits(self) -> TokenLimits:
        # An expiry further ahead than our lifetime is forged or broken. bokeh.client always
        # asks for 300 s, so never less than that; a minute of slack for clock skew.
        lifetime = max(self.server_settings.session_token_expiration, 300.0) + 60.0
        return TokenLimits(max_lifetime=lifetime)

    def _refuse(self, status: int, reason: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(reason + "\n")

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return "bokeh" if subprotocols and subprotocols[0] == "bokeh" else None

    def configure_socket(self) -> None:
        """No Nagle delay; a bound on what a client that stops reading can make us queue."""
        self.set_nodelay(True)
        stream = getattr(self.ws_connection, "stream", None)
        if stream is not None:
            stream.max_write_buffer_size = self.server_settings.websocket_max_write_buffer

    async def open(self, *args: Any, **kwargs: Any) -> None:
        self.configure_socket()
        assert self.token is not None
        try:
            session = await asyncio.wait_for(
                self.app_context.session_for(self.token, self.request), SESSION_OPEN_TIMEOUT
            )
        except TimeoutError:
            log.error(
                "session %s did not open within %s s", self.token.session_id, SESSION_OPEN_TIMEOUT
            )
            self.close(CloseCode.SERVER_ERROR, "the session did not open in time")
            return
        except Exception:
            log.exception("session %s could not be opened", self.token.session_id)
            self.close(
                CloseCode.SERVER_ERROR, "the session could not be opened; see the server log"
            )
            return
        limits = Limits(max_message_size=self.server_settings.websocket_max_message_size)
        self.connection = ServerConnection(session, _Transport(self), limits)
        self.connection.open()

    async def on_message(self, message: str | bytes) -> None:
        if self.connection is not None:
            await self.connection.receive(message)

    def on_close(self) -> None:
        if self.connection is not None:
            self.connection.detach()
