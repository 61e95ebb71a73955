from __future__ import annotations

import re

import pytest

from livedoc import protocol
from livedoc.protocol import messages


def test_there_are_exactly_the_nine_bokeh_message_types() -> None:
    assert {
        "ACK",
        "OK",
        "ERROR",
        "SERVER-INFO-REQ",
        "SERVER-INFO-REPLY",
        "PULL-DOC-REQ",
        "PULL-DOC-REPLY",
        "PUSH-DOC",
        "PATCH-DOC",
    } == protocol.MSGTYPES
    assert protocol.CLIENT_TO_SERVER | protocol.SERVER_TO_CLIENT == protocol.MSGTYPES
    assert {"PATCH-DOC"} == protocol.CLIENT_TO_SERVER & protocol.SERVER_TO_CLIENT


def test_msgids_are_bokehjs_style_and_unique() -> None:
    ids = {protocol.make_msgid() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9A-F]{32}", msgid) for msgid in ids)


@pytest.mark.parametrize(
    ("message", "msgtype", "content"),
    [
        (protocol.ack(), "ACK", {}),
        (protocol.ok("r1"), "OK", {}),
        (protocol.error("r1", "boom"), "ERROR", {"text": "boom", "traceback": None}),
        (protocol.server_info_req(), "SERVER-INFO-REQ", {}),
        (
            protocol.server_info_reply("r1", {"bokeh": "3.9.2", "server": "x"}),
            "SERVER-INFO-REPLY",
            {"version_info": {"bokeh": "3.9.2", "server": "x"}},
        ),
        (protocol.pull_doc_req(), "PULL-DOC-REQ", {}),
        (
            protocol.pull_doc_reply("r1", {"roots": []}, {}),
            "PULL-DOC-REPLY",
            {"doc": {"roots": []}},
        ),
        (protocol.push_doc({"roots": []}, {}), "PUSH-DOC", {"doc": {"roots": []}}),
        (protocol.patch_doc([], {}), "PATCH-DOC", {"events": []}),
    ],
)
def test_constructors_build_valid_content(
    message: protocol.Message, msgtype: str, content: dict[str, object]
) -> None:
    assert message.msgtype == msgtype
    assert message.content == content
    assert messages.content_problem(msgtype, message.content) is None


def test_replies_carry_reqid_and_requests_do_not() -> None:
    reply = protocol.ok("abc")
    assert reply.header() == {"msgid": reply.msgid, "msgtype": "OK", "reqid": "abc"}
    assert "reqid" not in protocol.pull_doc_req().header()


def test_header_has_num_buffers_only_with_buffers() -> None:
    plain = protocol.patch_doc([], {})
    assert "num_buffers" not in plain.header()
    with_buffers = protocol.patch_doc([], {"0": b"abc", "1": b"de"})
    assert with_buffers.header()["num_buffers"] == 2
    assert with_buffers.num_buffers == 2


@pytest.mark.parametrize(
    ("msgtype", "content", "problem"),
    [
        ("ERROR", {}, "needs a 'text' field"),
        ("ERROR", {"text": 3}, "wrong type"),
        ("ERROR", {"text": "x", "traceback": 5}, "traceback"),
        ("PATCH-DOC", {"events": {}}, "wrong type"),
        ("PUSH-DOC", {}, "needs a 'doc' field"),
        ("PULL-DOC-REPLY", {"doc": []}, "wrong type"),
        ("SERVER-INFO-REPLY", {}, "version_info"),
    ],
)
def test_content_problems_are_named(msgtype: str, content: dict[str, object], problem: str) -> None:
    found = messages.content_problem(msgtype, content)
    assert found is not None
    assert problem in found
