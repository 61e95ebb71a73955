"""Which websocket origins may connect (pure functions, no I/O).

Browsers send `Origin` on a websocket upgrade and do not apply the same-origin policy to
websockets, so the server must. The rules, in order:

1. No `Origin` header: not a browser (`bokeh.client`, scripts) — allowed.
2. Same-origin shortcuts, as Tornado 6.6 applies them: `Sec-Fetch-Site: same-origin | none`, or
   (without that header) an `Origin` whose host:port equals `Host`. Bokeh trusts these shortcuts
   alone, so a DNS-rebinding page (Origin and Host both `evil.example:port`) gets in. Here they
   count only when `Host` itself is one of our names: a loopback name, this machine's names, or
   an entry of the allowlist — as Jupyter Server checks `Host`.
3. Otherwise the `Origin`'s host:port must match the allowlist (`--allow-websocket-origin`).
   Patterns are `host[:port]` (no port means 80); `*` matches a whole host, a whole port, or one
   dotted part (`192.168.*.*`).
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["OriginPolicy", "host_matches", "normalize_host"]

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def normalize_host(text: str, default_port: int = 80) -> tuple[str, str]:
    """`host[:port]` (or `[v6]:port`) as a lowercased (host, port) pair; the port as text."""
    text = text.strip().lower()
    if text.startswith("["):
        end = text.find("]")
        host, rest = text[: end + 1], text[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, ""
    return host, port or str(default_port)


def host_matches(host: str, port: str, pattern: str) -> bool:
    """Whether (host, port) fits an allowlist `pattern`."""
    pattern_host, pattern_port = normalize_host(pattern)
    if pattern_port not in ("*", port):
        return False
    if pattern_host in ("*", host):
        return True
    parts, pattern_parts = host.split("."), pattern_host.split(".")
    return len(parts) == len(pattern_parts) and all(
        wanted in ("*", part) for part, wanted in zip(parts, pattern_parts, strict=True)
    )


@cache
def _machine_names() -> frozenset[str]:
    names = {socket.gethostname().lower()}
    with contextlib.suppress(OSError):  # resolver trouble: the hostname alone will do
        names.add(socket.getfqdn().lower())
    return frozenset(names)


@dataclass(frozen=True)
class OriginPolicy:
    """The origins a server accepts; `allowed` holds `host[:port]` patterns."""

    allowed: tuple[str, ...]
    local_names: frozenset[str] = field(default_factory=lambda: _LOOPBACK_NAMES | _machine_names())

    @classmethod
    def default(cls, port: int, extra: Iterable[str] = ()) -> OriginPolicy:
        """Bokeh's default (`localhost:<port>`), or exactly the given patterns if any."""
        patterns = tuple(extra) or (f"localhost:{port}",)
        return cls(patterns)

    def host_is_ours(self, host_header: str | None) -> bool:
        """Whether a `Host` header names this server (so same-origin shortcuts can be trusted)."""
        if not host_header:
            return False
        host, port = normalize_host(host_header)
        return host in self.local_names or any(host_matches(host, port, p) for p in self.allowed)

    def origin_listed(self, origin: str) -> bool:
        parsed = urlsplit(origin)
        if not parsed.netloc:
            return False
        default_port = 443 if parsed.scheme in ("https", "wss") else 80
        host, port = normalize_host(parsed.netloc, default_port)
        return any(host_matches(host, port, pattern) for pattern in self.allowed)

    def allows(
        self, origin: str | None, host_header: str | None, fetch_site: str | None = None
    ) -> bool:
        """The decision for one upgrade request (see the module docstring for the rules)."""
        if origin is None:
            return True
        if self.host_is_ours(host_header):
            if fetch_site is not None:
                if fetch_site.lower() in ("same-origin", "none"):
                    return True
            elif urlsplit(origin).netloc.lower() == (host_header or "").lower():
                return True
        return self.origin_listed(origin)
