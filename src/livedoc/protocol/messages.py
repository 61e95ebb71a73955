"""Bokeh protocol messages: the nine message types, their content shapes and constructors.

A message is a header (`msgid`, `msgtype`, optional `reqid` and `num_buffers`), a free-form
metadata object, a content object whose shape depends on `msgtype`, and binary buffers matched
by id against `{"id": ...}` references inside the content.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, get_args

if TYPE_CHECKING:
    from collections.abc import Mapping

    from livedoc._types import ID, Buffer, JSONObject

__all__ = [
    "CLIENT_TO_SERVER",
    "MSGTYPES",
    "SERVER_TO_CLIENT",
    "Message",
    "MsgType",
    "ack",
    "content_problem",
    "error",
    "make_msgid",
    "ok",
    "patch_doc",
    "pull_doc_reply",
    "pull_doc_req",
    "push_doc",
    "server_info_reply",
    "server_info_req",
]

MsgType: TypeAlias = Literal[
    "ACK",
    "OK",
    "ERROR",
    "SERVER-INFO-REQ",
    "SERVER-INFO-REPLY",
    "PULL-DOC-REQ",
    "PULL-DOC-REPLY",
    "PUSH-DOC",
    "PATCH-DOC",
]

MSGTYPES: Final[frozenset[str]] = frozenset(get_args(MsgType))

#: What a server accepts from a client; anything else is a protocol violation.
CLIENT_TO_SERVER: Final[frozenset[str]] = frozenset(
    {"SERVER-INFO-REQ", "PULL-DOC-REQ", "PUSH-DOC", "PATCH-DOC"}
)
#: What a client accepts from a server.
SERVER_TO_CLIENT: Final[frozenset[str]] = frozenset(
    {"ACK", "OK", "ERROR", "SERVER-INFO-REPLY", "PULL-DOC-REPLY", "PATCH-DOC"}
)


def make_msgid() -> ID:
    """A fresh message id: 16 random bytes as 32 uppercase hex digits, the form BokehJS uses."""
    return secrets.token_hex(16).upper()


@dataclass(slots=True)
class Message:
    """One complete protocol message.

    `buffers` maps buffer ids to payloads in the order they go on the wire. Payloads are kept as
    given (often a memoryview of an array's memory) so encoding never copies them.
    """

    msgtype: MsgType
    content: JSONObject = field(default_factory=dict)
    msgid: ID = field(default_factory=make_msgid)
    reqid: ID | None = None
    metadata: JSONObject = field(default_factory=dict)
    buffers: dict[ID, Buffer] = field(default_factory=dict)

    @property
    def num_buffers(self) -> int:
        return len(self.buffers)

    def header(self) -> JSONObject:
        """The header object. `num_buffers` appears only when there are buffers, as in BokehJS."""
        header: JSONObject = {"msgid": self.msgid, "msgtype": self.msgtype}
        if self.reqid is not None:
            header["reqid"] = self.reqid
        if self.buffers:
            header["num_buffers"] = len(self.buffers)
        return header


# -- content shapes ---------------------------------------------------------------------------

_REQUIRED_KEYS: Final[Mapping[str, Mapping[str, type | tuple[type, ...]]]] = {
    "ACK": {},
    "OK": {},
    "ERROR": {"text": str},
    "SERVER-INFO-REQ": {},
    "SERVER-INFO-REPLY": {"version_info": dict},
    "PULL-DOC-REQ": {},
    "PULL-DOC-REPLY": {"doc": dict},
    "PUSH-DOC": {"doc": dict},
    "PATCH-DOC": {"events": list},
}


def content_problem(msgtype: str, content: JSONObject) -> str | None:
    """Why `content` is not a valid content object for `msgtype`, or None if it is."""
    for key, kind in _REQUIRED_KEYS[msgtype].items():
        if key not in content:
            return f"{msgtype} content needs a {key!r} field"
        if not isinstance(content[key], kind):
            return f"{msgtype} content field {key!r} has the wrong type"
    traceback = content.get("traceback")
    if msgtype == "ERROR" and traceback is not None and not isinstance(traceback, str):
        return "ERROR content field 'traceback' must be a string or null"
    return None


# -- constructors -----------------------------------------------------------------------------


def ack() -> Message:
    return Message("ACK")


def ok(reqid: ID) -> Message:
    return Message("OK", reqid=reqid)


def error(reqid: ID | None, text: str, traceback: str | None = None) -> Message:
    return Message("ERROR", {"text": text, "traceback": traceback}, reqid=reqid)


def server_info_req() -> Message:
    return Message("SERVER-INFO-REQ")


def server_info_reply(reqid: ID, version_info: Mapping[str, Any]) -> Message:
    return Message("SERVER-INFO-REPLY", {"version_info": dict(version_info)}, reqid=reqid)


def pull_doc_req() -> Message:
    return Message("PULL-DOC-REQ")


def pull_doc_reply(reqid: ID, doc: JSONObject, buffers: Mapping[ID, Buffer]) -> Message:
    return Message("PULL-DOC-REPLY", {"doc": doc}, reqid=reqid, buffers=dict(buffers))


def push_doc(doc: JSONObject, buffers: Mapping[ID, Buffer]) -> Message:
    return Message("PUSH-DOC", {"doc": doc}, buffers=dict(buffers))


def patch_doc(events: list[JSONObject], buffers: Mapping[ID, Buffer]) -> Message:
    return Message("PATCH-DOC", {"events": events}, buffers=dict(buffers))
