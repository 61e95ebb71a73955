"""Logging in (with `--multi-user`): a page for browsers, an API-key endpoint for scripts.

GET  /login              the form (with its XSRF token)
POST /login              user + password -> the signed `livedoc_user` cookie, then `next`
POST /logout             forgets the cookie
POST /api/keys           HTTP Basic user:password -> a new API key, as JSON (`livedoc login`)
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
from typing import TYPE_CHECKING

from tornado.web import HTTPError

from livedoc.server.handlers import PageErrors
from livedoc.server.identity import COOKIE, COOKIE_DAYS, credentials_in_header

if TYPE_CHECKING:
    from livedoc.server.identity import Identities
    from livedoc.server.settings import ServerSettings

__all__ = ["ApiKeysHandler", "LoginHandler", "LogoutHandler"]

log = logging.getLogger("livedoc.auth")


class _AuthBase(PageErrors):
    def initialize(self, identities: Identities, settings: ServerSettings) -> None:
        self.identities = identities
        self.server_settings = settings

    def _next(self) -> str:
        target = self.get_argument("next", "") or self.server_settings.url_prefix + "/docs"
        # Only paths on this server: never an open redirect to another site.
        return target if target.startswith("/") and not target.startswith("//") else "/"


class LoginHandler(_AuthBase):
    def get(self) -> None:
        self._form()

    def _form(self, problem: str = "") -> None:
        prefix = self.server_settings.url_prefix
        message = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>log in</title>'
            "</head>\n<body><h1>log in</h1>"
            f'{message}<form method="post" action="{prefix}/login">'
            f"{self.xsrf_form_html()}"
            f'<input type="hidden" name="next" value="{html.escape(self._next())}">'
            '<label>user <input name="user" autocomplete="username"></label> '
            '<label>password <input name="password" type="password"'
            ' autocomplete="current-password"></label> '
            '<button type="submit">log in</button></form></body></html>\n'
        )

    def post(self) -> None:
        user = self.get_body_argument("user", "")
        if not self.identities.users.check_password(user, self.get_body_argument("password", "")):
            log.info("failed login for %r from %s", user, self.request.remote_ip)
            self.set_status(401)
            self._form("wrong user or password")
            return
        self.set_signed_cookie(
            COOKIE,
            user,
            expires_days=COOKIE_DAYS,
            httponly=True,
            samesite="Lax",
            secure=self.request.protocol == "https",
        )
        log.info("%s logged in", user)
        self.redirect(self._next())


class LogoutHandler(_AuthBase):
    def post(self) -> None:
        self.clear_cookie(COOKIE)
        self.redirect(self.server_settings.url_prefix + "/login")


class ApiKeysHandler(_AuthBase):
    def check_xsrf_cookie(self) -> None:
        if not credentials_in_header(self):
            super().check_xsrf_cookie()

    def post(self) -> None:
        try:
            encoded = self.request.headers.get("Authorization", "").removeprefix("Basic ")
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise HTTPError(401, reason="give user:password with HTTP Basic auth") from None
        if not self.identities.users.check_password(user, password):
            log.info("refused an API key for %r from %s", user, self.request.remote_ip)
            raise HTTPError(401, reason="wrong user or password")
        label = self.get_argument("label", "livedoc login")
        key = self.identities.users.create_api_key(user, label)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"user": user, "key": key}))
