"""The JSON dialect of the wire: compact, UTF-8, and never a bare NaN or Infinity.

Bokeh encodes non-finite numbers as `{"type": "number", ...}` reps, so a bare `NaN` in a frame is
malformed input. Python's `json` accepts and emits bare `NaN` by default; these wrappers don't.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

__all__ = ["dumps", "dumps_bytes", "loads"]

_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False)
_ASCII_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"bare {name} is not allowed in JSON; use a number rep")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def dumps(value: Any) -> str:
    """Encode compactly; raises ValueError on NaN or Infinity."""
    return _ENCODER.encode(value)


def dumps_bytes(value: Any) -> bytes:
    """UTF-8 JSON; raises ValueError on NaN or Infinity."""
    try:
        return _ENCODER.encode(value).encode()
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800" is valid JSON, so a peer can send one) has no UTF-8 form:
        # escape it, as JSON allows, so every string that came in can go out again.
        return _ASCII_ENCODER.encode(value).encode()


def loads(text: str | bytes | bytearray) -> Any:
    """Decode one JSON document; raises ValueError (or RecursionError when nested too deep)."""
    if not isinstance(text, str):
        text = bytes(text).decode()
    return _DECODER.decode(text)
