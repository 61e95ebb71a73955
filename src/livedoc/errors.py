"""The exceptions livedoc raises, in one tree.

::

    LivedocError
    ├── ProtocolError                 the Bokeh wire protocol was broken
    │   ├── ProtocolViolation         the frame stream can no longer be trusted: close the
    │   │                             connection with `close_code` (4000-4999) and `reason`
    │   └── MessageRejected           one message was invalid but fully consumed: reply ERROR to
    │                                 `msgid` and keep the connection
    ├── DocumentError (ValueError)    a document-level operation got a value it cannot accept
    │   ├── ValidationError           a value does not fit a model property
    │   ├── ColumnDataError           a column operation is inconsistent with the source's data
    │   ├── SerializationError        a value cannot be put on the wire
    │   ├── DeserializationError      a wire representation cannot be decoded
    │   ├── PatchError                a patch event cannot be applied to this document
    │   └── ReadOnlyError             the peer may look at this document but not change it
    ├── ClientError                   a client session could not do what was asked
    │   ├── ServerUnreachable         nothing answers at the URL (server down, wrong host/port)
    │   └── SessionRefused            the server answered no: no app there, a refused token
    └── BundleMissingError            the BokehJS bundles are not installed

Every message says which rule was broken, in words a user can act on. Errors that reach a
remote peer carry only that message, never a traceback.
"""

from __future__ import annotations

__all__ = [
    "BundleMissingError",
    "ClientError",
    "ColumnDataError",
    "DeserializationError",
    "DocumentError",
    "LivedocError",
    "MessageRejected",
    "PatchError",
    "ProtocolError",
    "ProtocolViolation",
    "ReadOnlyError",
    "SerializationError",
    "ServerUnreachable",
    "SessionRefused",
    "ValidationError",
]


class LivedocError(Exception):
    """Base class of every error livedoc raises on purpose."""


class ProtocolError(LivedocError):
    """The peer broke the Bokeh wire protocol.

    `rule` is a short, stable identifier of the broken rule (for logs and tests); the message
    explains it.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


class ProtocolViolation(ProtocolError):
    """The frame stream is out of step and must be closed with `close_code` and `reason`."""

    def __init__(self, rule: str, message: str, close_code: int) -> None:
        super().__init__(rule, message)
        self.close_code = close_code

    @property
    def reason(self) -> str:
        """The close reason: the message cut to the 123 bytes a close frame can carry."""
        return str(self).encode()[:123].decode(errors="ignore")


class MessageRejected(ProtocolError):
    """One message was invalid; it was consumed whole, so the connection stays usable.

    `msgid` is the offending message's id when the header was readable (reply ERROR to it).
    """

    def __init__(self, rule: str, message: str, msgid: str | None, msgtype: str | None) -> None:
        super().__init__(rule, message)
        self.msgid = msgid
        self.msgtype = msgtype


class DocumentError(LivedocError, ValueError):
    """A document operation received a value it cannot accept; nothing was changed."""


class ValidationError(DocumentError):
    """A value does not fit a property: the message names model, attribute, expected and got."""


class ColumnDataError(DocumentError):
    """A column operation does not fit the source's data (lengths, columns, indices)."""


class SerializationError(DocumentError):
    """A value cannot be encoded for the wire."""


class DeserializationError(DocumentError):
    """A wire representation cannot be decoded (unknown type, bad reference, bad buffer...)."""


class PatchError(DocumentError):
    """A patch cannot be applied to this document; the document is unchanged."""


class BundleMissingError(LivedocError):
    """The BokehJS bundles that the browser needs are not installed in the package."""


class ClientError(LivedocError):
    """A client session could not connect, or the server refused or failed a request."""


class ServerUnreachable(ClientError):
    """Nothing answers at the URL: the server is down, or the host or port is wrong."""


class SessionRefused(ClientError):
    """The server answered but refused the session: no app at that path, or a refused token."""


class ReadOnlyError(DocumentError):
    """The peer may look at this document (and interact locally) but not change it."""
