"""Users and API keys, in SQLite (a file in the data directory, or in memory for tests).

Passwords are stored as scrypt hashes (`passwords.py`). An API key is `ld_<key id>_<secret>`:
the id finds the row, the secret (32 random bytes) is stored as its SHA-256 (a key has full
entropy, so a fast hash is enough) and compared in constant time; revoking a key marks it, so
a revoked key is refused with a clear reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from livedoc.auth.passwords import hash_password, verify_password

__all__ = ["ApiKey", "AuthError", "UserStore"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS share_tokens (
    secret_hash TEXT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,
    created REAL NOT NULL, revoked REAL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, secret_hash TEXT NOT NULL, label TEXT NOT NULL,
    created REAL NOT NULL, revoked REAL
);
"""


class AuthError(Exception):
    """A user or key operation cannot be done (an unknown user, a taken name, a weak password)."""


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    user: str
    label: str
    created: float
    revoked: float | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class UserStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()  # the CLI and the server's threads may share a store
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def from_url(cls, url: str) -> UserStore:
        """`memory://` or `sqlite:///path/users.db`."""
        if url == "memory://":
            return cls(":memory:")
        if url.startswith("sqlite://"):
            return cls(url.removeprefix("sqlite://"))
        raise AuthError(f"unknown user store {url!r}: use memory:// or sqlite:///path")

    # -- users ------------------------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        if not _NAME.fullmatch(name):
            raise AuthError(
                f"a user name is 1-64 letters, digits, '.', '_' or '-' and starts with a letter"
                f" or digit; got {name!r}"
            )
        try:
            hashed = hash_password(password)
        except ValueError as exc:
            raise AuthError(str(exc)) from None
        with self._lock:
            try:
                self._db.execute("INSERT INTO users VALUES (?, ?, ?)", (name, hashed, time.time()))
            except sqlite3.IntegrityError:
                raise AuthError(f"there is already a user {name!r}") from None

    def users(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._db.execute("SELECT name FROM users ORDER BY name")]

    def check_password(self, name: str, password: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT password FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            verify_password(password, hash_password("x" * 16))  # same cost: no user probing
            return False
        return verify_password(password, row[0])

    # -- API keys ---------------------------------------------------------------------------------

    def create_api_key(self, user: str, label: str = "") -> str:
        """A new key for `user`, returned once (only its hash is kept)."""
        with self._lock:
            if self._db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone() is None:
                raise AuthError(f"no user {user!r}")
            key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
            self._db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                (key_id, user, _digest(secret), label, time.time()),
            )
        return f"ld_{key_id}_{secret}"

    def user_for_key(self, key: str) -> str | None:
        """The user a key belongs to; None for a malformed, unknown or revoked key."""
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != "ld":
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT user, secret_hash, revoked FROM api_keys WHERE id = ?", (parts[1],)
            ).fetchone()
        if row is None or row[2] is not None:
            return None
        user, stored, _ = row
        return str(user) if hmac.compare_digest(stored, _digest(parts[2])) else None

    def revoke_api_key(self, key_or_id: str) -> bool:
        key_id = key_or_id.split("_", 2)[1] if key_or_id.startswith("ld_") else key_or_id
        with self._lock:
            changed = self._db.execute(
                "UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL",
                (time.time(), key_id),
            ).rowcount
        return bool(changed)

    def api_keys(self, user: str | None = None) -> list[ApiKey]:
        query = "SELECT id, user, label, created, revoked FROM api_keys"
        with self._lock:
            rows = (
                self._db.execute(query + " WHERE user = ? ORDER BY created", (user,))
                if user is not None
                else self._db.execute(query + " ORDER BY created")
            ).fetchall()
        return [ApiKey(*row) for row in rows]

    # -- share tokens -----------------------------------------------------------------------------

    def create_share_token(self, owner: str, name: str) -> str:
        """A token that lets anyone holding it read the document `owner/name`."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._db.execute(
                "INSERT INTO share_tokens VALUES (?, ?, ?, ?, NULL)",
                (_digest(token), owner, name, time.time()),
            )
        return token

    def shared_document(self, token: str) -> tuple[str, str] | None:
        """(owner, name) of the document a live share token grants; None otherwise."""
        with self._lock:
            row = self._db.execute(
                "SELECT owner, name FROM share_tokens WHERE secret_hash = ? AND revoked IS NULL",
                (_digest(token),),
            ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def revoke_share_token(self, token: str) -> bool:
        with self._lock:
            changed = self._db.execute(
                "UPDATE share_tokens SET revoked = ? WHERE secret_hash = ? AND revoked IS NULL",
                (time.time(), _digest(token)),
            ).rowcount
        return bool(changed)

    def close(self) -> None:
        self._db.close()
