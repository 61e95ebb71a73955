"""Users, passwords and API keys, and who may read or change a published document."""

from __future__ import annotations

from livedoc.auth.access import (
    LOCAL_USER as LOCAL_USER,
    AccessPolicy as AccessPolicy,
    MultiUser as MultiUser,
    SingleUser as SingleUser,
)
from livedoc.auth.passwords import (
    hash_password as hash_password,
    verify_password as verify_password,
)
from livedoc.auth.users import ApiKey as ApiKey, AuthError as AuthError, UserStore as UserStore

__all__ = [
    "LOCAL_USER",
    "AccessPolicy",
    "ApiKey",
    "AuthError",
    "MultiUser",
    "SingleUser",
    "UserStore",
    "hash_password",
    "verify_password",
]
