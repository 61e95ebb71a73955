from __future__ import annotations

import json

import numpy as np
import pytest

from livedoc import protocol
from livedoc.errors import MessageRejected, ProtocolViolation
from livedoc.protocol import CloseCode, Limits, Message, MessageAssembler, encode_message


def frames_of(message: Message) -> list[str | bytes | memoryview]:
    return [frame.as_received() for frame in encode_message(message)]


def feed(assembler: MessageAssembler, frames: list[str | bytes | memoryview]) -> list[Message]:
    out = []
    for frame in frames:
        message = assembler.receive(frame)
        if message is not None:
            out.append(message)
    return out


def text(value: object) -> str:
    return json.dumps(value)


ALL_MESSAGES = [
    protocol.ack(),
    protocol.ok("r"),
    protocol.error("r", "bad", "Traceback"),
    protocol.server_info_req(),
    protocol.server_info_reply("r", {"bokeh": "3.9.2"}),
    protocol.pull_doc_req(),
    protocol.pull_doc_reply("r", {"roots": []}, {"b0": b"\x00" * 16}),
    protocol.push_doc({"roots": []}, {"b0": b"abc", "b1": b"defg"}),
    protocol.patch_doc([{"kind": "TitleChanged", "title": "x"}], {}),
]


@pytest.mark.parametrize("message", ALL_MESSAGES, ids=lambda message: message.msgtype)
def test_every_message_type_round_trips(message: Message) -> None:
    [received] = feed(MessageAssembler(), frames_of(message))
    assert received.msgtype == message.msgtype
    assert received.msgid == message.msgid
    assert received.reqid == message.reqid
    assert received.content == message.content
    assert {key: bytes(value) for key, value in received.buffers.items()} == {
        key: bytes(value) for key, value in message.buffers.items()
    }


def test_messages_complete_one_after_another_and_only_on_their_last_frame() -> None:
    assembler = MessageAssembler()
    first = protocol.push_doc({"roots": []}, {"a": b"1", "b": b"2"})
    frames = frames_of(first)
    assert [assembler.receive(frame) for frame in frames[:-1]] == [None] * (len(frames) - 1)
    assert not assembler.idle
    assert assembler.receive(frames[-1]) is not None
    assert assembler.idle
    assert [m.msgtype for m in feed(assembler, frames_of(protocol.ok("x")))] == ["OK"]


def test_buffers_are_matched_by_id_not_position() -> None:
    frames = [
        text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 2}),
        "{}",
        text({"events": []}),
        text({"id": "second"}),
        b"BBBB",
        text({"id": "first"}),
        b"AAAA",
    ]
    [message] = feed(MessageAssembler(), frames)
    assert bytes(message.buffers["first"]) == b"AAAA"
    assert bytes(message.buffers["second"]) == b"BBBB"


def test_bokehjs_header_without_num_buffers_means_zero() -> None:
    frames = [text({"msgid": "m", "msgtype": "PULL-DOC-REQ"}), "{}", "{}"]
    [message] = feed(MessageAssembler(), frames)
    assert message.msgtype == "PULL-DOC-REQ"
    assert message.buffers == {}


def test_received_buffers_are_kept_without_copying() -> None:
    payload = bytearray(np.arange(8, dtype=np.float64).tobytes())
    frames = [text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 1}), "{}"]
    frames += [text({"events": []}), text({"id": "0"}), payload]
    [message] = feed(MessageAssembler(), frames)
    assert message.buffers["0"] is payload


# -- violations: the stream cannot be followed, close the connection ---------------------------


@pytest.mark.parametrize(
    ("frames", "rule", "code"),
    [
        ([b"binary header"], "frame-type", CloseCode.FRAME_TYPE),
        (
            [text({"msgid": "m", "msgtype": "OK"}), b"binary metadata"],
            "frame-type",
            CloseCode.FRAME_TYPE,
        ),
        (["not json"], "header-json", CloseCode.BAD_HEADER),
        (["[1, 2]"], "header-json", CloseCode.BAD_HEADER),
        ([text({"msgtype": "OK"})], "header-msgid", CloseCode.BAD_HEADER),
        ([text({"msgid": "", "msgtype": "OK"})], "header-msgid", CloseCode.BAD_HEADER),
        ([text({"msgid": "m"})], "header-msgtype", CloseCode.BAD_HEADER),
        ([text({"msgid": "m", "msgtype": 7})], "header-msgtype", CloseCode.BAD_HEADER),
        ([text({"msgid": "m", "msgtype": "OK", "num_buffers": True})], "header-num-buffers", 4002),
        ([text({"msgid": "m", "msgtype": "OK", "num_buffers": -1})], "header-num-buffers", 4002),
        ([text({"msgid": "m", "msgtype": "OK", "num_buffers": 1.5})], "header-num-buffers", 4002),
        ([text({"msgid": "m", "msgtype": "OK", "num_buffers": "2"})], "header-num-buffers", 4002),
        (
            [text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 1}), "{}", "{}", b"x"],
            "frame-type",
            CloseCode.FRAME_TYPE,
        ),
        (
            [
                text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 1}),
                "{}",
                "{}",
                '{"id":"0"}',
                "text",
            ],
            "frame-type",
            CloseCode.FRAME_TYPE,
        ),
        (["NaN"], "header-json", CloseCode.BAD_HEADER),
        (["[" * 100_000], "header-json", CloseCode.BAD_HEADER),
    ],
)
def test_violations_name_the_rule_and_a_close_code_in_the_application_range(
    frames: list[str | bytes], rule: str, code: int
) -> None:
    assembler = MessageAssembler()
    with pytest.raises(ProtocolViolation) as caught:
        feed(assembler, frames)
    assert caught.value.rule == rule
    assert caught.value.close_code == code
    assert 4000 <= caught.value.close_code <= 4999
    assert caught.value.reason
    assert assembler.idle  # reset: a fresh message assembles afterwards
    assert feed(assembler, frames_of(protocol.ok("r")))[0].msgtype == "OK"


def test_a_second_message_right_after_the_announced_buffers_must_start_with_a_text_header() -> None:
    # "Too many buffers": one more binary frame than announced cannot be a new header.
    frames = [*frames_of(protocol.push_doc({"roots": []}, {"0": b"x"})), b"extra"]
    with pytest.raises(ProtocolViolation, match="binary frame arrived where a message header"):
        feed(MessageAssembler(), frames)


def test_buffer_count_limit_is_enforced_from_the_header() -> None:
    assembler = MessageAssembler(Limits(max_buffers=2))
    with pytest.raises(ProtocolViolation) as caught:
        assembler.receive(text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 3}))
    assert caught.value.rule == "too-many-buffers"
    assert caught.value.close_code == CloseCode.TOO_MANY_BUFFERS
    assert "limit is 2" in str(caught.value)


def test_close_reason_fits_in_a_close_frame() -> None:
    exc = ProtocolViolation("x", "é" * 200, 4000)
    assert len(exc.reason.encode()) <= 123


# -- rejected messages: answered with ERROR, the connection stays usable ----------------------


def rejected(
    frames: list[str | bytes], limits: Limits = protocol.DEFAULT_LIMITS
) -> tuple[MessageRejected, MessageAssembler]:
    assembler = MessageAssembler(limits)
    with pytest.raises(MessageRejected) as caught:
        feed(assembler, frames)
    return caught.value, assembler


@pytest.mark.parametrize(
    ("frames", "rule"),
    [
        ([text({"msgid": "m", "msgtype": "HELLO"}), "{}", "{}"], "unknown-msgtype"),
        ([text({"msgid": "m", "msgtype": "OK", "reqid": 5}), "{}", "{}"], "header-reqid"),
        ([text({"msgid": "m", "msgtype": "OK"}), "nope", "{}"], "metadata-json"),
        ([text({"msgid": "m", "msgtype": "OK"}), "{}", "[]"], "content-json"),
        ([text({"msgid": "m", "msgtype": "OK"}), "{}", '{"x": NaN}'], "content-json"),
        ([text({"msgid": "m", "msgtype": "PATCH-DOC"}), "{}", "{}"], "content-shape"),
        ([text({"msgid": "m", "msgtype": "ERROR"}), "{}", '{"text": 1}'], "content-shape"),
        (
            [
                text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 1}),
                "{}",
                '{"events":[]}',
                '{"id": 3}',
                b"x",
            ],
            "buffer-header",
        ),
        (
            [
                text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 1}),
                "{}",
                '{"events":[]}',
                '{"id": "0", "extra": 1}',
                b"x",
            ],
            "buffer-header",
        ),
        (
            [
                text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 2}),
                "{}",
                '{"events":[]}',
                '{"id": "0"}',
                b"x",
                '{"id": "0"}',
                b"y",
            ],
            "buffer-id",
        ),
    ],
)
def test_rejected_messages_are_consumed_whole_and_name_the_rule(
    frames: list[str | bytes], rule: str
) -> None:
    error, assembler = rejected(frames)
    assert error.rule == rule
    assert error.msgid == "m"
    assert assembler.idle
    [ok] = feed(assembler, frames_of(protocol.ok("after")))
    assert ok.reqid == "after"


def test_oversized_message_is_rejected_after_its_last_frame_and_nothing_is_kept() -> None:
    limits = Limits(max_message_size=1000)
    big = protocol.push_doc({"roots": []}, {"0": b"x" * 600, "1": b"y" * 600})
    assembler = MessageAssembler(limits)
    frames = frames_of(big)
    for frame in frames[:-1]:
        assert assembler.receive(frame) is None
    with pytest.raises(MessageRejected) as caught:
        assembler.receive(frames[-1])
    assert caught.value.rule == "message-size"
    assert caught.value.msgid == big.msgid
    assert "1000 bytes" in str(caught.value)
    assert feed(assembler, frames_of(protocol.ok("next")))[0].reqid == "next"


def test_the_first_problem_in_a_message_is_the_one_reported() -> None:
    frames = [text({"msgid": "m", "msgtype": "NOPE", "num_buffers": 1}), "bad", "bad", "bad", b"x"]
    error, _ = rejected(frames)
    assert error.rule == "unknown-msgtype"
    assert error.msgtype == "NOPE"


@pytest.mark.parametrize("bad", [{"max_message_size": 0}, {"max_buffers": -1}])
def test_limits_are_validated(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="max_"):
        Limits(**bad)


def test_a_buffer_header_that_is_not_json_rejects_the_message() -> None:
    frames = [
        text({"msgid": "m", "msgtype": "PATCH-DOC", "num_buffers": 1}),
        "{}",
        '{"events":[]}',
        "{id",
        b"x",
    ]
    error, assembler = rejected(frames)
    assert error.rule == "buffer-header"
    assert assembler.idle
