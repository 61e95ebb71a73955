"""Who is asking: a login cookie (browsers) or an API key (scripts), and what they may do.

With `--multi-user`, a request names its user with `Authorization: Bearer <API key>` or the
signed `livedoc_user` cookie that the login page sets; single-user servers treat everyone as
the local user. Decisions come from the `AccessPolicy`; refusals are 401 (no or a bad
identity) or 403 (this user may not), always with a reason.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from livedoc.auth import LOCAL_USER, AccessPolicy, MultiUser, SingleUser, UserStore
from livedoc.server.settings import users_url

if TYPE_CHECKING:
    from tornado.web import RequestHandler

    from livedoc.server.settings import ServerSettings
    from livedoc.storage import DocumentInfo, DocumentKey

__all__ = ["COOKIE", "SHARE", "Identities", "Refusal", "credentials_in_header"]

log = logging.getLogger("livedoc.auth")

COOKIE = "livedoc_user"
#: The session-token payload key that carries a share link's token from its page to the
#: page's websocket (the browser holds the token in the page URL already).
SHARE = "livedoc_share"
COOKIE_DAYS = 7


def credentials_in_header(handler: RequestHandler) -> bool:
    """Whether the request authenticates with an `Authorization` header (an API key, or a
    user:password for /api/keys). A cross-site form cannot send one, so such requests need no
    XSRF token (as for Jupyter's token-authenticated requests); cookie-authenticated ones do."""
    scheme = handler.request.headers.get("Authorization", "").partition(" ")[0].lower()
    return scheme in ("basic", "bearer", "token")


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

    # -- share links --------------------------------------------------------------------------------

    def share_token(self, handler: RequestHandler, token_extra: Any = None) -> str | None:
        """The share token a request carries: `?share=<token>` on a page, or, on a websocket,
        in the session token that such a page made (see `SHARE`)."""
        share = handler.get_query_argument("share", None)
        if share is None and isinstance(token_extra, Mapping):
            share = token_extra.get(SHARE)
        return share if isinstance(share, str) and share else None

    def shared(self, share: str | None, key: DocumentKey) -> bool:
        """Whether `share` is a live share token for `key` (checked in the store each time, so a
        revoked link stops working for new pages and connections at once)."""
        if share is None or not self.policy.requires_login:
            return False
        return self.users.shared_document(share) == (key.owner, key.name)

    def check(
        self,
        user: str | None,
        key: DocumentKey,
        info: DocumentInfo | None,
        *,
        write: bool,
        shared: bool = False,
    ) -> None:
        allowed = (self.policy.can_write if write else self.policy.can_read)(user, key, info)
        if allowed or (shared and not write and info is not None):
            return
        what = "change" if write else "see"
        if user is None:
            raise Refusal(401, f"log in to {what} {key.path} (or give an API key)")
        raise Refusal(403, f"{user} may not {what} {key.path}")

    def close(self) -> None:
        if self._users is not None:
            self._users.close()
