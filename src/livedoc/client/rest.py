"""One-shot JSON requests to a livedoc server's HTTP API (API keys, share links).

Refusals become `RequestRefused` with the server's status and reason, an unreachable server
`ServerUnreachable`; the response is always closed, also when it is an error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from livedoc.errors import ClientError, ServerUnreachable

__all__ = ["RequestRefused", "post_json"]


class RequestRefused(ClientError):
    """The server answered an HTTP request with an error status."""

    def __init__(self, url: str, status: int, reason: str) -> None:
        super().__init__(f"{url} answered {status}: {reason}")
        self.status = status
        self.reason = reason


def post_json(url: str, headers: dict[str, str], timeout: float = 30) -> Any:
    """POST an empty body to `url` and return the decoded JSON answer."""
    request = urllib.request.Request(url, data=b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:  # an HTTPError holds the open response: close it here, not at GC time
            raise RequestRefused(url, exc.code, str(exc.reason)) from None
    except OSError as exc:
        raise ServerUnreachable(f"cannot reach {url}: {exc}") from None
