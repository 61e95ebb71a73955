"""Password hashing with scrypt, a memory-hard KDF (hashlib's, from OpenSSL).

    stored = hash_password("correct horse")      # 'scrypt$16384$8$1$<salt>$<hash>'
    verify_password("correct horse", stored)     # True

Each hash carries its own parameters and a random salt, so the cost can be raised later
without invalidating stored hashes. Verification compares in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

__all__ = ["MIN_PASSWORD_LENGTH", "hash_password", "verify_password"]

MIN_PASSWORD_LENGTH = 8
# n=2**14, r=8: 16 MiB and ~50 ms per hash; p=1.
_N, _R, _P, _LENGTH = 1 << 14, 8, 1, 32


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH, maxmem=64 << 20
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=64 << 20,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
