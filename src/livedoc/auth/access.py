"""Who may read or change a published document.

`SingleUser` (the default, for local use): no login; everyone is the `local` user and may do
everything. `MultiUser`: the owner reads and writes their documents, and so do the writers the
owner named; a public document is readable (not writable) by anyone; anything else is refused.
A refusal is a clear 401 (who are you?) or 403 (not you), decided here and sent by the server.

An organisation's own login plugs in as another `AccessPolicy` (`identify` from the request,
`can_read` / `can_write` per document).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from livedoc.storage import DocumentInfo, DocumentKey

__all__ = ["LOCAL_USER", "AccessPolicy", "MultiUser", "SingleUser"]

#: The only user of a single-user server.
LOCAL_USER = "local"


class AccessPolicy(ABC):
    #: Whether requests must identify a user (a login cookie or an API key).
    requires_login: bool = True

    def identify(self, headers: Mapping[str, str]) -> str | None:
        """An organisation's own login: the user a request's headers name (set by its proxy
        or SSO), or None to fall back to livedoc's login cookie and API keys."""
        return None

    @abstractmethod
    def can_read(self, user: str | None, key: DocumentKey, info: DocumentInfo | None) -> bool: ...

    @abstractmethod
    def can_write(self, user: str | None, key: DocumentKey, info: DocumentInfo | None) -> bool: ...


class SingleUser(AccessPolicy):
    requires_login = False

    def can_read(self, user: str | None, key: DocumentKey, info: DocumentInfo | None) -> bool:
        return True

    def can_write(self, user: str | None, key: DocumentKey, info: DocumentInfo | None) -> bool:
        return True


class MultiUser(AccessPolicy):
    def can_read(self, user: str | None, key: DocumentKey, info: DocumentInfo | None) -> bool:
        return (info is not None and info.public) or self.can_write(user, key, info)

    def can_write(self, user: str | None, key: DocumentKey, info: DocumentInfo | None) -> bool:
        # Owners cannot overwrite each other's documents: the owner writes, and the writers the
        # owner chose; a new document can be made only under one's own name.
        if user is None:
            return False
        return user == key.owner or (info is not None and user in info.writers)
