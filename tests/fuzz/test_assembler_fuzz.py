"""Fuzzing the frame assembler with random and mutated frame streams.

Valid messages of every type are encoded, then frames are dropped, duplicated, swapped,
truncated, corrupted, sent as the wrong frame type, or given odd headers (`num_buffers` bool,
negative, huge or a string; unknown message types; bad buffer headers), under small and large
limits. Whatever arrives, `MessageAssembler.receive`:

* returns None, or a well-formed message within the limits (buffers and bytes), which encodes
  again and arrives intact; or raises `ProtocolViolation` (close code 4000-4999) or
  `MessageRejected`, whose ERROR reply encodes whatever the message id was; nothing else;
* is idle after every message and every error, and a valid message fed next comes out intact.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

from hypothesis import event, example, given, settings, strategies as st

from livedoc import protocol
from livedoc.errors import MessageRejected, ProtocolViolation
from livedoc.protocol import MSGTYPES, Limits, Message, MessageAssembler, encode_message
from livedoc.protocol.messages import content_problem

from ._common import MARKS, PHASES, SUPPRESSED

pytestmark = MARKS

Frame: TypeAlias = str | bytes | memoryview
Outcome: TypeAlias = Message | ProtocolViolation | MessageRejected | None

FUZZ = settings(
    max_examples=300,
    deadline=None,
    phases=PHASES,
    suppress_health_check=SUPPRESSED,
)

# -- strategies -------------------------------------------------------------------------------

#: Text as JSON can carry it: lone surrogates arrive as "\ud800" escapes.
texts = st.text(max_size=8) | st.sampled_from(["\ud800", "a\udfffb", "é", "\x00"])
ids = st.text(min_size=1, max_size=8) | st.sampled_from(["\ud800", "id\udc00", "ü"])
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=5), json_values, max_size=4)
#: Buffer payloads: bytes, or bytes-like views whose items are wider than one byte.
payloads = st.binary(max_size=48) | st.tuples(
    st.sampled_from(["H", "I", "d"]), st.binary(min_size=8, max_size=48)
).map(lambda fmt_raw: memoryview(fmt_raw[1][: len(fmt_raw[1]) // 8 * 8]).cast(fmt_raw[0]))
buffer_maps = st.dictionaries(ids, payloads, max_size=3)

#: Values a peer might put where a count, an id or a type name belongs.
weird_values = (
    st.integers(min_value=-3, max_value=6)
    | st.integers(min_value=2**31 - 2, max_value=2**70)
    | st.integers(max_value=-(2**31))
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | ids
    | st.sampled_from(sorted(MSGTYPES))
    | st.sampled_from(["ack", "PATCH_DOC", "", "SERVER-INFO", "1", "true"])
    | st.none()
    | st.just([])
    | st.just({})
    | st.just([1])
)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    """A valid message of any of the nine types, with random ids, metadata and buffers."""
    kind = draw(st.sampled_from(sorted(MSGTYPES)))
    reqid = draw(ids)
    if kind == "ACK":
        message = protocol.ack()
    elif kind == "OK":
        message = protocol.ok(reqid)
    elif kind == "ERROR":
        message = protocol.error(
            draw(st.none() | ids), draw(st.text(max_size=20)), draw(st.none() | st.text())
        )
    elif kind == "SERVER-INFO-REQ":
        message = protocol.server_info_req()
    elif kind == "SERVER-INFO-REPLY":
        message = protocol.server_info_reply(reqid, draw(json_objects))
    elif kind == "PULL-DOC-REQ":
        message = protocol.pull_doc_req()
    elif kind == "PULL-DOC-REPLY":
        message = protocol.pull_doc_reply(reqid, draw(json_objects), draw(buffer_maps))
    elif kind == "PUSH-DOC":
        message = protocol.push_doc(draw(json_objects), draw(buffer_maps))
    else:
        message = protocol.patch_doc(draw(st.lists(json_objects, max_size=3)), draw(buffer_maps))
    message.msgid = draw(ids)
    message.metadata = draw(json_objects)
    return message


limits_strategy = st.builds(
    Limits,
    max_message_size=st.integers(min_value=1, max_value=600) | st.just(20 * 1024 * 1024),
    max_buffers=st.integers(min_value=0, max_value=3) | st.just(1024),
)


def frames_of(message: Message) -> list[Frame]:
    return [frame.as_received() for frame in encode_message(message)]


def frame_size(frame: Frame) -> int:
    """What one frame adds to a message's size: characters of text, bytes of binary."""
    return len(frame) if isinstance(frame, str) else memoryview(frame).nbytes


def as_bytes(buffers: dict[str, Any]) -> dict[str, bytes]:
    return {key: bytes(memoryview(value).cast("B")) for key, value in buffers.items()}


def assert_same(received: Message, sent: Message) -> None:
    assert received.msgtype == sent.msgtype
    assert received.msgid == sent.msgid
    assert received.reqid == sent.reqid
    assert received.metadata == sent.metadata
    assert received.content == sent.content
    assert as_bytes(received.buffers) == as_bytes(sent.buffers)


def reassemble(frames: list[Frame]) -> Message:
    """The message a fresh assembler makes of `frames` (which must be one valid message)."""
    assembler = MessageAssembler()
    outcomes = [assembler.receive(frame) for frame in frames]
    assert outcomes[:-1] == [None] * (len(frames) - 1)
    assert isinstance(outcomes[-1], Message)
    return outcomes[-1]


# -- the checked feeder -----------------------------------------------------------------------


class Feeder:
    """Feeds frames to one assembler and checks every outcome against the invariants."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.assembler = MessageAssembler(limits)
        self.pending_size = 0
        self.probes = 0

    def feed(self, frame: Frame) -> Outcome:
        if self.assembler.idle:
            self.pending_size = 0  # this frame starts a new message
        self.pending_size += frame_size(frame)
        outcome: Outcome
        try:
            outcome = self.assembler.receive(frame)
        except (ProtocolViolation, MessageRejected) as exc:
            outcome = exc
        # Anything else propagates and fails the test.
        if isinstance(outcome, ProtocolViolation | MessageRejected):
            event(f"{type(outcome).__name__}: {outcome.rule}")
            assert outcome.rule
        if isinstance(outcome, ProtocolViolation):
            assert 4000 <= outcome.close_code <= 4999
            assert len(outcome.reason.encode()) <= 123
        if outcome is not None:
            assert self.assembler.idle, "after a message or an error the next frame is a header"
        if isinstance(outcome, Message):
            self.check_message(outcome)
            # What was received can be sent on (a relay) and arrives intact.
            assert_same(reassemble(frames_of(outcome)), outcome)
        if isinstance(outcome, MessageRejected) and outcome.msgid is not None:
            # The ERROR reply names the rejected message, whatever its id: it must encode.
            reply = protocol.error(outcome.msgid, str(outcome))
            assert_same(reassemble(frames_of(reply)), reply)
        return outcome

    def check_message(self, message: Message) -> None:
        assert message.num_buffers <= self.limits.max_buffers
        assert self.pending_size <= self.limits.max_message_size
        assert message.msgtype in MSGTYPES
        assert isinstance(message.msgid, str)
        assert message.msgid
        assert message.reqid is None or isinstance(message.reqid, str)
        assert isinstance(message.metadata, dict)
        assert isinstance(message.content, dict)
        assert content_problem(message.msgtype, message.content) is None
        for key, payload in message.buffers.items():
            assert isinstance(key, str)
            assert isinstance(payload, bytes | bytearray | memoryview)

    def feed_all(self, frames: list[Frame]) -> None:
        """Feed `frames`, probing with a valid message after every error."""
        for frame in frames:
            if isinstance(self.feed(frame), ProtocolViolation | MessageRejected):
                self.probe()

    def probe(self) -> None:
        """Feed a fresh valid message: it must come out intact (or be refused by the limits)."""
        self.probes += 1
        if self.limits.max_buffers >= 1:
            message = protocol.patch_doc(
                [{"kind": "TitleChanged", "title": f"probe {self.probes}"}], {"b": b"\x00\x01\x02"}
            )
        else:
            message = protocol.ok(f"probe {self.probes}")
        frames = frames_of(message)
        outcomes = [self.feed(frame) for frame in frames]
        assert outcomes[:-1] == [None] * (len(frames) - 1)
        if sum(map(frame_size, frames)) <= self.limits.max_message_size:
            assert isinstance(outcomes[-1], Message), outcomes[-1]
            assert_same(outcomes[-1], message)
        else:
            assert isinstance(outcomes[-1], MessageRejected)
            assert outcomes[-1].rule == "message-size"
            assert outcomes[-1].msgid == message.msgid


# -- valid streams ----------------------------------------------------------------------------


@FUZZ
@given(st.lists(messages(), min_size=1, max_size=5), limits_strategy)
@example([protocol.ok("\ud800"), protocol.push_doc({"t": "a\udfff"}, {"\udc00": b"x"})], Limits())
def test_valid_messages_come_out_intact_or_are_refused_by_the_limits(
    sent: list[Message], limits: Limits
) -> None:
    feeder = Feeder(limits)
    for message in sent:
        frames = frames_of(message)
        if message.num_buffers > limits.max_buffers:
            outcome = feeder.feed(frames[0])
            assert isinstance(outcome, ProtocolViolation)
            assert outcome.rule == "too-many-buffers"
            continue  # the connection would be closed; the assembler starts over
        outcomes = [feeder.feed(frame) for frame in frames]
        assert outcomes[:-1] == [None] * (len(frames) - 1)
        if sum(map(frame_size, frames)) <= limits.max_message_size:
            assert isinstance(outcomes[-1], Message)
            assert_same(outcomes[-1], message)
        else:
            assert isinstance(outcomes[-1], MessageRejected)
            assert (outcomes[-1].rule, outcomes[-1].msgid) == ("message-size", message.msgid)


@FUZZ
@given(messages(), st.integers(min_value=-2, max_value=2))
@example(protocol.patch_doc([], {"b": memoryview(bytes(64)).cast("d")}), -1)  # 8 items, 64 bytes
def test_the_size_limit_is_exact(message: Message, slack: int) -> None:
    frames = frames_of(message)
    size = sum(map(frame_size, frames))
    limit = max(1, size + slack)
    feeder = Feeder(Limits(max_message_size=limit))
    outcomes = [feeder.feed(frame) for frame in frames]
    if size <= limit:
        assert isinstance(outcomes[-1], Message)
        assert_same(outcomes[-1], message)
    else:
        assert isinstance(outcomes[-1], MessageRejected)
        assert outcomes[-1].rule == "message-size"
    feeder.probe()


# -- header counts ----------------------------------------------------------------------------


@FUZZ
@given(
    weird_values,
    st.integers(min_value=0, max_value=4),
    st.sampled_from(["PATCH-DOC", "PUSH-DOC", "ERROR", "BOGUS"]),
)
def test_num_buffers_must_be_a_non_negative_int_within_the_limit(
    num_buffers: Any, max_buffers: int, msgtype: str
) -> None:
    feeder = Feeder(Limits(max_buffers=max_buffers))
    header = json.dumps({"msgid": "m", "msgtype": msgtype, "num_buffers": num_buffers})
    outcome = feeder.feed(header)
    valid = type(num_buffers) is int and 0 <= num_buffers <= max_buffers
    if not valid:
        assert isinstance(outcome, ProtocolViolation)
        expected = (
            "too-many-buffers"
            if type(num_buffers) is int and num_buffers > max_buffers
            else "header-num-buffers"
        )
        assert outcome.rule == expected
        feeder.probe()
        return
    assert outcome is None
    content = {"events": []} if msgtype == "PATCH-DOC" else {"doc": {}, "text": "t"}
    rest: list[Frame] = ["{}", json.dumps(content)]
    for index in range(num_buffers):
        rest += [json.dumps({"id": str(index)}), bytes([index]) * index]
    outcomes = [feeder.feed(frame) for frame in rest]
    assert outcomes[:-1] == [None] * (len(rest) - 1)
    if msgtype == "BOGUS":
        assert isinstance(outcomes[-1], MessageRejected)
        assert (outcomes[-1].rule, outcomes[-1].msgid) == ("unknown-msgtype", "m")
    else:
        assert isinstance(outcomes[-1], Message)
        assert outcomes[-1].num_buffers == num_buffers
    feeder.probe()


# -- mutated streams --------------------------------------------------------------------------

MUTATIONS = [
    "drop",
    "duplicate",
    "swap",
    "flip",
    "truncate",
    "corrupt",
    "json",
    "header",
    "buffer-header",
    "insert",
    "memoryview",
]


def _index(data: st.DataObject, frames: list[Frame]) -> int:
    return data.draw(st.integers(min_value=0, max_value=len(frames) - 1))


def mutate(data: st.DataObject, frames: list[Frame]) -> None:
    """Apply one random mutation to `frames` in place."""
    op = data.draw(st.sampled_from(MUTATIONS))
    if op == "insert" or not frames:
        frame: Frame = data.draw(st.text(max_size=30) | st.binary(max_size=30))
        frames.insert(data.draw(st.integers(min_value=0, max_value=len(frames))), frame)
        return
    i = _index(data, frames)
    frame = frames[i]
    if op == "drop":
        del frames[i]
    elif op == "duplicate":
        frames.insert(i, frame)
    elif op == "swap":
        j = _index(data, frames)
        frames[i], frames[j] = frames[j], frame
    elif op == "flip":  # a text frame sent as binary, or the other way round
        frames[i] = frame.encode() if isinstance(frame, str) else bytes(frame).decode("latin-1")
    elif op == "truncate":
        frames[i] = frame[: data.draw(st.integers(min_value=0, max_value=max(0, len(frame) - 1)))]
    elif op == "corrupt":
        at = data.draw(st.integers(min_value=0, max_value=len(frame)))
        if isinstance(frame, str):
            junk = data.draw(st.sampled_from(['"', "{", "}", "[", ",", ":", "x", "\\", "NaN", " "]))
            frames[i] = frame[:at] + junk + frame[at:]
        else:
            frames[i] = bytes(frame[:at]) + data.draw(st.binary(min_size=1, max_size=4))
    elif op == "json":  # valid JSON, but maybe not an object
        frames[i] = json.dumps(data.draw(json_values))
    elif op == "header":
        try:
            header = json.loads(frame) if isinstance(frame, str) else None
        except ValueError:
            header = None
        if not isinstance(header, dict):
            header = {"msgid": "h", "msgtype": "PATCH-DOC"}
        key = data.draw(st.sampled_from(["msgid", "msgtype", "reqid", "num_buffers"]))
        if data.draw(st.booleans()):
            header.pop(key, None)
        else:
            header[key] = data.draw(weird_values)
        frames[i] = json.dumps(header)
    elif op == "buffer-header":
        frames[i] = json.dumps(
            data.draw(
                st.fixed_dictionaries({"id": weird_values})
                | st.fixed_dictionaries({"id": ids, "extra": json_scalars})
                | st.just({})
                | st.just({"id": "dup"})
            )
        )
    elif op == "memoryview":  # a bytes-like frame with wider items: nbytes, not len, counts
        raw = frame.encode() if isinstance(frame, str) else bytes(frame)
        fmt = data.draw(st.sampled_from(["B", "b", "c", "H", "I", "d"]))
        itemsize = {"B": 1, "b": 1, "c": 1, "H": 2, "I": 4, "d": 8}[fmt]
        raw = raw[: len(raw) - len(raw) % itemsize]
        frames[i] = memoryview(raw).cast(fmt)


@settings(FUZZ, max_examples=600)
@given(st.lists(messages(), min_size=1, max_size=4), limits_strategy, st.data())
def test_mutated_streams_only_raise_protocol_errors_and_recover(
    sent: list[Message], limits: Limits, data: st.DataObject
) -> None:
    frames = [frame for message in sent for frame in frames_of(message)]
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        mutate(data, frames)
    feeder = Feeder(limits)
    feeder.feed_all(frames)
    if feeder.assembler.idle:
        feeder.probe()


random_text_frames = (
    st.text(max_size=40)
    | json_values.map(json.dumps)
    | st.fixed_dictionaries(
        {"msgid": weird_values, "msgtype": weird_values},
        optional={"num_buffers": weird_values, "reqid": weird_values},
    ).map(json.dumps)
    | st.fixed_dictionaries({"id": weird_values}).map(json.dumps)
    | st.sampled_from(["{}", '{"events":[]}', '{"doc":{}}', "[]", "null", "NaN", "{" * 2000])
)
random_frames = st.lists(
    random_text_frames | st.binary(max_size=40) | st.binary(max_size=40).map(bytearray),
    max_size=25,
)


@settings(FUZZ, max_examples=500)
@given(random_frames, limits_strategy)
def test_random_frames_only_raise_protocol_errors_and_recover(
    frames: list[Frame], limits: Limits
) -> None:
    feeder = Feeder(limits)
    feeder.feed_all(frames)
    if feeder.assembler.idle:
        feeder.probe()
