"""Plain HTTP for tests: GETs that do not follow redirects, and raw websocket upgrade requests."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from typing import Any

__all__ = ["get", "handshake_status", "open_upgraded_socket", "upgrade_request"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(
    url: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    data: bytes | None = None,
) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of one request; redirects are returned, not followed."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read().decode()


def upgrade_request(
    url: str,
    token: str | None,
    origin: str | None = None,
    *,
    host: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """The HTTP request a browser sends to open the Bokeh websocket at `url`."""
    host_port, path = url.removeprefix("ws://").split("/", 1)
    lines = [
        f"GET /{path} HTTP/1.1",
        f"Host: {host or host_port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if token is not None:
        lines.append(f"Sec-WebSocket-Protocol: bokeh, {token}")
    if origin:
        lines.append(f"Origin: {origin}")
    lines += [f"{name}: {value}" for name, value in (extra_headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("ws://").split("/", 1)[0].rsplit(":", 1)
    return host, int(port)


def handshake_status(url: str, token: str | None, origin: str | None = None, **kwargs: Any) -> int:
    """101 when the websocket opens, else the HTTP status of the refusal."""
    with socket.create_connection(_address(url), timeout=10) as sock:
        sock.sendall(upgrade_request(url, token, origin, **kwargs))
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1.1 "), f"no HTTP answer: {status_line!r}"
    return int(status_line.split()[1])


def open_upgraded_socket(
    url: str, token: str, *, receive_buffer: int | None = None
) -> socket.socket:
    """A raw socket past a successful websocket handshake; the caller owns (and closes) it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:  # set before connecting, so the TCP window starts small
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    try:
        sock.settimeout(10)
        sock.connect(_address(url))
        sock.sendall(upgrade_request(url, token))
        answer = b""
        while b"\r\n\r\n" not in answer and len(answer) < 65536:
            chunk = sock.recv(1)  # byte by byte: leave the first websocket frame unread
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 101"), answer[:200]
    except BaseException:
        sock.close()
        raise
    return sock
