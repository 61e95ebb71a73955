"""IOPub rate limits: a flood is cut with one notice, status and execute_input always pass,
output flows again below 80 % of the limit or at the next idle status."""

from __future__ import annotations

import json

from livedoc.kernels.ratelimit import IopubRateLimit


def stream(text: str) -> bytes:
    return json.dumps({"name": "stdout", "text": text}).encode()


def test_a_message_flood_is_cut_with_one_notice_and_flows_again() -> None:
    limit = IopubRateLimit(msg_rate_limit=10, data_rate_limit=0, window=1.0)
    verdicts = [limit.check("display_data", b"{}", now=i / 100) for i in range(30)]  # 100/s
    sent = [v.send for v in verdicts]
    assert sent[:10] == [True] * 10  # up to the limit
    assert not any(sent[11:])
    notices = [v.notice for v in verdicts if v.notice]
    assert len(notices) == 1
    assert "message rate exceeded (10 messages/s" in notices[0]
    assert limit.check("status", b'{"execution_state": "busy"}', now=0.3).send  # always passes
    assert limit.check("execute_input", b"{}", now=0.3).send
    assert not limit.check("display_data", b"{}", now=0.31).send
    assert limit.check("display_data", b"{}", now=5.0).send  # the window emptied: calm again
    assert limit.limited is None


def test_the_data_rate_counts_stream_text_and_idle_resets() -> None:
    limit = IopubRateLimit(msg_rate_limit=0, data_rate_limit=1000, window=1.0)
    assert limit.check("stream", stream("x" * 500), now=0.0).send
    verdict = limit.check("stream", stream("x" * 600), now=0.1)
    assert not verdict.send
    assert verdict.notice is not None
    assert "data rate exceeded (1000 bytes/s" in verdict.notice
    assert limit.dropped == 1
    assert limit.check("status", b'{"execution_state": "idle"}', now=0.2).send
    assert limit.check("stream", stream("y" * 500), now=0.3).send  # a new request starts afresh
