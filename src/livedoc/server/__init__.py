"""The Tornado server: sessions, connections and HTTP endpoints (the only I/O layer).

from livedoc.server import Server, ServerSettings, server_document
"""

from __future__ import annotations

from livedoc.server.pages import server_document as server_document
from livedoc.server.server import Server as Server
from livedoc.server.settings import ServerSettings as ServerSettings

__all__ = ["Server", "ServerSettings", "server_document"]
