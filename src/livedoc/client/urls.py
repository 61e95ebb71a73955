"""Server URLs as a client uses them: the app's page URL in, its websocket URL out."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["DEFAULT_URL", "websocket_url"]

DEFAULT_URL = "http://127.0.0.1:5006/"


def websocket_url(url: str) -> str:
    """`http://host:port/app` -> `ws://host:port/app/ws` (https -> wss); a ws URL is kept.

    Raises ValueError for anything that is not an http(s) or ws(s) URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise ValueError(
            f"not a server URL: {url!r} (expected e.g. {DEFAULT_URL}app or ws://host:port/app/ws)"
        )
    if parts.scheme in ("ws", "wss"):
        return url
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/")
    if not path.endswith("/ws"):
        path += "/ws"
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))
