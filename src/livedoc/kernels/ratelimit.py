"""IOPub rate limits for one client, as jupyter_server applies them (sans-I/O: time is given).

A cell that prints in a tight loop can publish tens of thousands of messages a second; a
browser that renders each one freezes. Over a sliding window (`rate_limit_window`, 3 s), a
client gets at most `iopub_msg_rate_limit` messages/s (1,000) and `iopub_data_rate_limit`
bytes/s of stream text (1 MB/s). Past either, its output is dropped and it is told so once,
with a stderr stream message; output flows again once both rates are back under 80 % of their
limits, or at the next `idle` status. `status`, `comm_open` and `execute_input` messages always
pass: without them a client would think the kernel hung.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass

__all__ = ["IopubRateLimit", "Verdict"]

#: Messages that always pass (jupyter_server's list).
EXEMPT = frozenset({"status", "comm_open", "execute_input"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with one message: send it or not, and whether to tell the client first."""

    send: bool
    notice: str | None = None


class IopubRateLimit:
    def __init__(
        self,
        msg_rate_limit: float = 1000.0,
        data_rate_limit: float = 1_000_000.0,
        window: float = 3.0,
    ) -> None:
        if window <= 0:
            raise ValueError("the rate limit window must be above 0 seconds")
        self.msg_rate_limit = msg_rate_limit
        self.data_rate_limit = data_rate_limit
        self.window = window
        self._times: deque[tuple[float, int]] = deque()  # (when, stream bytes)
        self._bytes = 0
        self.limited: str | None = None  # "messages" or "data" while output is dropped
        self.dropped = 0

    def _reset(self) -> None:
        self._times.clear()
        self._bytes = 0
        self.limited = None

    def check(self, msg_type: str, content: bytes, now: float) -> Verdict:
        """The verdict for one iopub message of `msg_type` (its content part as bytes)."""
        if msg_type in EXEMPT:
            if msg_type == "status" and b'"idle"' in content:
                self._reset()  # the request is over: the next one starts afresh
            return Verdict(True)
        size = 0
        if msg_type == "stream" and self.data_rate_limit > 0:
            try:
                size = len(str(json.loads(content).get("text", "")).encode())
            except (ValueError, AttributeError):
                size = len(content)
        self._times.append((now, size))
        self._bytes += size
        while self._times and self._times[0][0] < now - self.window:
            self._bytes -= self._times.popleft()[1]
        msg_rate = len(self._times) / self.window
        data_rate = self._bytes / self.window
        over_msgs = self.msg_rate_limit > 0 and msg_rate > self.msg_rate_limit
        over_data = self.data_rate_limit > 0 and data_rate > self.data_rate_limit
        if self.limited is None:
            if not (over_msgs or over_data):
                return Verdict(True)
            self.limited = "messages" if over_msgs else "data"
            self.dropped = 1
            return Verdict(False, self._notice())
        calm = (self.msg_rate_limit <= 0 or msg_rate < 0.8 * self.msg_rate_limit) and (
            self.data_rate_limit <= 0 or data_rate < 0.8 * self.data_rate_limit
        )
        if calm:
            self.limited = None
            return Verdict(True)
        self.dropped += 1
        return Verdict(False)

    def _notice(self) -> str:
        if self.limited == "messages":
            what = f"message rate exceeded ({self.msg_rate_limit:g} messages/s"
            option = "--iopub-msg-rate-limit"
        else:
            what = f"data rate exceeded ({self.data_rate_limit:g} bytes/s of output"
            option = "--iopub-data-rate-limit"
        return (
            f"IOPub {what} over {self.window:g} s).\n"
            "The server stops sending output to this client for a moment, so as not to\n"
            f"overwhelm it; the kernel goes on. The limit is the server's {option}.\n"
        )
