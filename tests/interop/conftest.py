"""Interop tier: real livedoc servers on 127.0.0.1 port 0, driven by third-party Jupyter clients."""

from __future__ import annotations

from tests.live_server import live_server as live_server  # the fixture, for this tier
