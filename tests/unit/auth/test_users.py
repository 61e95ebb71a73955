"""Passwords are scrypt hashes; users and API keys live in SQLite; revoked keys stop working."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from livedoc.auth import AuthError, UserStore, hash_password, verify_password

if TYPE_CHECKING:
    from pathlib import Path


def test_password_hashes_are_salted_scrypt_and_verify() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("scrypt$16384$8$1$")
    assert first != second  # a random salt each time
    assert verify_password("correct horse", first)
    assert not verify_password("wrong horse", first)
    assert not verify_password("correct horse", "garbage")
    with pytest.raises(ValueError, match="at least 8 characters"):
        hash_password("short")


def test_users_and_keys(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.db")
    store.add_user("ada", "correct horse")
    assert store.check_password("ada", "correct horse")
    assert not store.check_password("ada", "wrong")
    assert not store.check_password("nobody", "correct horse")
    with pytest.raises(AuthError, match="already a user 'ada'"):
        store.add_user("ada", "another password")
    with pytest.raises(AuthError, match="a user name is"):
        store.add_user("../root", "correct horse")
    with pytest.raises(AuthError, match="at least 8"):
        store.add_user("bob", "short")
    key = store.create_api_key("ada", "laptop")
    assert key.startswith("ld_")
    assert store.user_for_key(key) == "ada"
    assert store.user_for_key(key[:-2] + "xx") is None  # a wrong secret
    assert store.user_for_key("not a key") is None
    [listed] = store.api_keys("ada")
    assert (listed.label, listed.revoked) == ("laptop", None)
    assert store.revoke_api_key(key)
    assert store.user_for_key(key) is None
    assert not store.revoke_api_key(key)  # once
    with pytest.raises(AuthError, match="no user 'bob'"):
        store.create_api_key("bob")
    store.close()
    reopened = UserStore(tmp_path / "users.db")  # kept on disk
    assert reopened.users() == ["ada"]
    reopened.close()
