"""Type aliases shared across livedoc's layers. Imports nothing from livedoc."""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["ID", "JSON", "Buffer", "JSONObject", "Setter"]

ID: TypeAlias = str
"""A model id, a message id or a buffer id: any non-empty string the peer chose."""

JSON: TypeAlias = Any
"""A value as `json.loads` returns it (dict, list, str, int, float, bool or None)."""

JSONObject: TypeAlias = dict[str, Any]
"""A JSON object, as `json.loads` returns it."""

Buffer: TypeAlias = bytes | bytearray | memoryview
"""The payload of one binary websocket frame."""

Setter: TypeAlias = object
"""Whoever caused a change (a session, a client connection); `None` means local code."""
