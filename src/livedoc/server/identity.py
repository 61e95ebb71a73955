"""Who is asking: a login cookie (browsers) or an API key (scripts), and what they may do.

With `--multi-user`, a request names its user with `Authorization: Bearer <API key>` or the
signed `livedoc_user` cookie that the login page sets; single-user servers treat everyone as
the local user. Decisions come from the `AccessPolicy`; refusals are 401 (no or a bad
identity) or 403 (this user may not), always with a reason.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from livedoc.auth import LOCAL_USER, AccessPolicy, MultiUser, SingleUser, UserStore
from livedoc.server.settings import users_url

if TYPE_CHECKING:
    from tornado.web import RequestHandler

    from livedoc.server.settings import ServerSettings
    from livedoc.storage import DocumentInfo, DocumentKey

__all__ = ["COOKIE", "Identities", "Refusal"]

log = logging.getLogger("livedoc.auth")

COOKIE = "livedoc_user"
COOKIE_DAYS = 7


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Identities:
    def __init__(self, settings: ServerSettings, policy: AccessPolicy | None = None) -> None:
        self.policy = policy or (MultiUser() if settings.multi_user else SingleUser())
        self.users_url = users_url(settings.users)
        self._users: UserStore | None = None
        self.cookie_secret = settings.secret_key or secrets.token_urlsafe(32)
        if settings.multi_user and not settings.secret_key:
            log.warning(
                "--multi-user without LIVEDOC_SECRET_KEY: login cookies last until this process"
                " stops and are not shared with other processes"
            )

    @property
    def users(self) -> UserStore:
        if self._users is None:
            self._users = UserStore.from_url(self.users_url)
        return self._users

    def identify(self, handler: RequestHandler) -> str | None:
        """The request's user (None: anonymous). A bad API key is a Refusal, not anonymity."""
        if not self.policy.requires_login:
            return LOCAL_USER
        provided = self.policy.identify(handler.request.headers)
        if provided is not None:
            return provided
        header = handler.request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() in ("bearer", "token") and credential:
            user = self.users.user_for_key(credential.strip())
            if user is None:
                raise Refusal(401, "the API key is not valid: unknown or revoked")
            return user
        cookie = handler.get_signed_cookie(COOKIE, max_age_days=COOKIE_DAYS)
        return cookie.decode() if cookie else None

    def check(
        self,
        user: str | None,
        key: DocumentKey,
        info: DocumentInfo | None,
        *,
        write: bool,
    ) -> None:
        allowed = (self.policy.can_write if write else self.policy.can_read)(user, key, info)
        if allowed:
            return
        what = "change" if write else "see"
        if user is None:
            raise Refusal(401, f"log in to {what} {key.path} (or give an API key)")
        raise Refusal(403, f"{user} may not {what} {key.path}")

    def close(self) -> None:
        if self._users is not None:
            self._users.close()
