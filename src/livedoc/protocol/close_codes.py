"""Websocket close codes livedoc uses, all in the 4000-4999 range RFC 6455 leaves to applications.

Bokeh's own server closes with 10000 and 10001, which strict clients treat as a protocol error of
their own; livedoc never does.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CloseCode"]


class CloseCode(IntEnum):
    FRAME_TYPE = 4001
    """A binary frame arrived where a text frame was expected, or the other way round."""
    BAD_HEADER = 4002
    """A message header could not be read, so the frame stream cannot be followed."""
    TOO_MANY_BUFFERS = 4003
    """A header announced more buffers than the configured limit."""
    UNEXPECTED_MESSAGE = 4004
    """A message type that this side never accepts, or any message before the ACK."""
    BAD_TOKEN = 4005
    """The session token is malformed, expired or wrongly signed."""
    SERVER_ERROR = 4011
    """The server failed internally; details are in its log, not in the close reason."""
