"""The Bokeh 3 websocket protocol, sans-I/O: frames in, messages out, and back.

Nothing here touches a socket, a clock or an event loop; the server and the client pump frames
through these objects.
"""

from __future__ import annotations

from livedoc.protocol.assembler import (
    DEFAULT_LIMITS as DEFAULT_LIMITS,
    Limits as Limits,
    MessageAssembler as MessageAssembler,
)
from livedoc.protocol.close_codes import CloseCode as CloseCode
from livedoc.protocol.encoder import (
    Frame as Frame,
    encode_message as encode_message,
    message_size as message_size,
)
from livedoc.protocol.messages import (
    CLIENT_TO_SERVER as CLIENT_TO_SERVER,
    MSGTYPES as MSGTYPES,
    SERVER_TO_CLIENT as SERVER_TO_CLIENT,
    Message as Message,
    MsgType as MsgType,
    ack as ack,
    error as error,
    make_msgid as make_msgid,
    ok as ok,
    patch_doc as patch_doc,
    pull_doc_reply as pull_doc_reply,
    pull_doc_req as pull_doc_req,
    push_doc as push_doc,
    server_info_reply as server_info_reply,
    server_info_req as server_info_req,
)

__all__ = [
    "CLIENT_TO_SERVER",
    "DEFAULT_LIMITS",
    "MSGTYPES",
    "SERVER_TO_CLIENT",
    "CloseCode",
    "Frame",
    "Limits",
    "Message",
    "MessageAssembler",
    "MsgType",
    "ack",
    "encode_message",
    "error",
    "make_msgid",
    "message_size",
    "ok",
    "patch_doc",
    "pull_doc_reply",
    "pull_doc_req",
    "push_doc",
    "server_info_reply",
    "server_info_req",
]
