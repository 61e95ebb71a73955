"""Model ids that do not collide with the peer's.

Python Bokeh numbers its models `p1000`, `p1001`, ... and BokehJS uses 32 hex digits, so a
plain counter could collide with the ids of a document a `bokeh` client pushed. Ours carry a
random per-process prefix.
"""

from __future__ import annotations

import itertools
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livedoc._types import ID

__all__ = ["make_id"]

_PREFIX = "l" + secrets.token_hex(3)
_COUNTER = itertools.count(1000)


def make_id() -> ID:
    """A new model id, unique in this process and random across processes: `l3fa9c1-1000`."""
    return f"{_PREFIX}-{next(_COUNTER)}"
