"""Where published documents live: memory, SQLite (the embedded default) or Redis.

store = open_store("sqlite:///var/lib/livedoc/documents.db")
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from livedoc.storage.base import (
    DocumentInfo as DocumentInfo,
    DocumentKey as DocumentKey,
    DocumentStore as DocumentStore,
    Entry as Entry,
    StoredDocument as StoredDocument,
    StoreError as StoreError,
)
from livedoc.storage.memory import MemoryStore as MemoryStore
from livedoc.storage.redis_store import RedisStore as RedisStore
from livedoc.storage.sqlite import SQLiteStore as SQLiteStore

__all__ = [
    "DocumentInfo",
    "DocumentKey",
    "DocumentStore",
    "Entry",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "StoreError",
    "StoredDocument",
    "open_store",
]


def open_store(url: str) -> DocumentStore:
    """A store from a URL: `memory://`, `sqlite:///absolute/path.db`, `sqlite://relative.db`,
    or `redis://host:port/db` (`rediss://` for TLS)."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        return RedisStore(url)
    if parts.scheme == "memory":
        return MemoryStore()
    if parts.scheme == "sqlite":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path:
            raise StoreError(f"{url!r}: give a file, as in sqlite:///var/lib/livedoc/docs.db")
        return SQLiteStore(Path(path))
    raise StoreError(
        f"unknown storage {url!r}: use memory://, sqlite:///path or redis://host:port/db"
    )
