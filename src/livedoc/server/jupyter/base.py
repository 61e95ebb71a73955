"""What every Jupyter API handler shares: token authentication, XSRF, origins, JSON errors.

Authentication is Jupyter's: the token in `?token=` or in `Authorization: token|bearer <t>`
(token requests are explicit, so they skip the XSRF check), or the signed login cookie that a
browser gets from its first `?token=` request (cookie requests need an XSRF token to change
anything, and a foreign `Origin` gets 404). An unauthenticated API request gets 403, never a
redirect. Errors are `{"message": ..., "reason": ...}`; a failure inside the server is logged
with its traceback and answered "Unhandled error".
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from tornado.web import HTTPError, RequestHandler

if TYPE_CHECKING:
    from livedoc.server.jupyter.services import JupyterServices
    from livedoc.server.origins import OriginPolicy

__all__ = ["JupyterHandler", "authenticated_by_token", "json_error"]

log = logging.getLogger("livedoc.jupyter")

_AUTHORIZATION = re.compile(r"(token|bearer)\s+(.+)", re.IGNORECASE)
#: What API responses allow to be embedded or fetched, as jupyter_server sends it.
_CSP = "frame-ancestors 'self'; default-src 'none'"


def json_error(message: str, reason: str | None = None) -> str:
    return json.dumps({"message": message, "reason": reason})


def authenticated_by_token(handler: RequestHandler, token: str) -> bool:
    """Whether the request carries the server's token (query or Authorization header)."""
    given = handler.get_query_argument("token", None)
    if given is None:
        match = _AUTHORIZATION.fullmatch(handler.request.headers.get("Authorization", "").strip())
        given = match.group(2).strip() if match else None
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


class JupyterHandler(RequestHandler):
    """Base of the `/api/...` handlers (and the kernel websocket's checks)."""

    def initialize(self, services: JupyterServices, origins: OriginPolicy) -> None:
        self.services = services
        self.origins = origins
        self._by_token: bool | None = None

    # -- who is asking ----------------------------------------------------------------------

    @property
    def cookie_name(self) -> str:
        return "livedoc-jupyter-" + re.sub(r"[^A-Za-z0-9]", "-", self.request.host)

    @property
    def by_token(self) -> bool:
        if self._by_token is None:
            token = self.services.token
            self._by_token = token == "" or authenticated_by_token(self, token)
        return self._by_token

    def authenticated(self) -> bool:
        if self.by_token:
            return True
        return self.get_signed_cookie(self.cookie_name, max_age_days=7) is not None

    def check_xsrf_cookie(self) -> None:
        if self.by_token and self.services.token:
            return  # the token is explicit: a cross-site form cannot send it
        super().check_xsrf_cookie()

    def check_jupyter_origin(self) -> bool:
        origin = self.request.headers.get("Origin")
        if origin is None or (self.by_token and self.services.token):
            return True
        return self.origins.allows(origin, self.request.headers.get("Host"))

    def prepare(self) -> None:
        if not self.check_jupyter_origin():
            raise HTTPError(404, reason="cross-origin request refused")
        if not self.authenticated():
            raise HTTPError(403, reason="the Jupyter API needs the server's token")
        if self.by_token and self.services.token and self.get_query_argument("token", None):
            # A browser that came with ?token= stays logged in, as with Jupyter.
            self.set_signed_cookie(
                self.cookie_name,
                "1",
                expires_days=7,
                httponly=True,
                samesite="Lax",
                secure=self.request.protocol == "https",
            )
        if self.get_query_argument("no_track_activity", None) is None:
            self.services.api_last_activity = time.time()

    # -- answers ----------------------------------------------------------------------------

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", _CSP)

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value))

    def json_body(self, *, required: bool = False) -> Any:
        """The request's JSON body (None when empty and not required); 400 when malformed."""
        if not self.request.body:
            if required:
                raise HTTPError(400, reason="a JSON body is required")
            return None
        try:
            return json.loads(self.request.body)
        except ValueError as exc:
            raise HTTPError(400, reason=f"the body is not JSON: {exc}") from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "application/json")
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if not isinstance(exc, HTTPError) and status_code >= 500:
            self.finish(json.dumps({"message": "Unhandled error", "reason": None, "traceback": ""}))
            return
        message = self._reason
        if isinstance(exc, HTTPError) and exc.reason is None and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message  # tornado's own
        self.finish(json_error(message))
