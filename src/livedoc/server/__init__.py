"""The Tornado server: sessions, connections and HTTP endpoints (the only I/O layer)."""

from __future__ import annotations

__all__: list[str] = []
