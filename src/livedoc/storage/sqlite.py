"""`SQLiteStore`: published documents in one SQLite file, the embedded default.

The file is in WAL mode with `synchronous=NORMAL`: a committed patch is in the write-ahead log
before `append` returns, so it survives the server process being killed at any moment (not a
power cut, which needs `synchronous=FULL`: `SQLiteStore(path, synchronous="FULL")`). Buffers
are BLOB rows; JSON holds only their ids.

Calls run on the caller's thread: a commit here takes tens of microseconds, less than handing
it to a worker thread would.

Several server processes may share the file (`--num-procs`): `writing()` takes an advisory lock
on `<file>.lock` (flock), and `changes()` notices other processes' commits by polling SQLite's
`PRAGMA data_version`, which changes only when another connection has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from livedoc.protocol import wirejson
from livedoc.storage.base import (
    Catchup,
    DocumentInfo,
    DocumentKey,
    DocumentStore,
    Entry,
    StoredDocument,
    missing,
    writer_names,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

__all__ = ["POLL_INTERVAL", "SQLiteStore"]

#: How often `changes()` looks for other processes' commits (seconds).
POLL_INTERVAL = 0.05

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    owner TEXT NOT NULL, name TEXT NOT NULL,
    public INTEGER NOT NULL, seq INTEGER NOT NULL, snapshot_seq INTEGER NOT NULL,
    snapshot BLOB NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
    writers TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (owner, name)
);
CREATE TABLE IF NOT EXISTS patches (
    owner TEXT NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, content BLOB NOT NULL,
    PRIMARY KEY (owner, name, seq)
);
CREATE TABLE IF NOT EXISTS buffers (
    owner TEXT NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL,          -- 'S': of the snapshot, 'P': of the patch `seq`
    seq INTEGER NOT NULL, buffer_id TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (owner, name, kind, seq, buffer_id)
);
"""


class SQLiteStore(DocumentStore):
    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError("synchronous is NORMAL (survives a killed process) or FULL")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.description = f"sqlite:///{self.path}"
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA busy_timeout=5000")  # several processes may share the file
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        if "writers" not in columns:  # a file made before documents had writers
            self._db.execute("ALTER TABLE documents ADD COLUMN writers TEXT NOT NULL DEFAULT '[]'")
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock_fd: int | None = None
        self._write_lock: asyncio.Lock | None = None

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _info(self, key: DocumentKey) -> tuple[DocumentInfo, int] | None:
        row = self._db.execute(
            "SELECT public, seq, snapshot_seq, created, updated, writers FROM documents"
            " WHERE owner = ? AND name = ?",
            (key.owner, key.name),
        ).fetchone()
        if row is None:
            return None
        public, seq, snapshot_seq, created, updated, writers = row
        return _document_info(key, public, seq, created, updated, writers), snapshot_seq

    def _put_buffers(self, key: DocumentKey, kind: str, seq: int, entry: Entry) -> None:
        self._db.executemany(
            "INSERT INTO buffers (owner, name, kind, seq, buffer_id, data) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (key.owner, key.name, kind, seq, bid, bytes(data))
                for bid, data in entry.buffers.items()
            ],
        )

    def _buffers(self, key: DocumentKey, kind: str, seq: int) -> dict[str, bytes]:
        rows = self._db.execute(
            "SELECT buffer_id, data FROM buffers WHERE owner = ? AND name = ? AND kind = ? AND seq = ?",
            (key.owner, key.name, kind, seq),
        )
        return {buffer_id: bytes(data) for buffer_id, data in rows}

    def _drop_snapshot(self, key: DocumentKey) -> None:
        self._db.execute(
            "DELETE FROM buffers WHERE owner = ? AND name = ? AND kind = 'S'", (key.owner, key.name)
        )

    async def publish(
        self,
        key: DocumentKey,
        snapshot: Entry,
        *,
        public: bool | None = None,
        writers: Sequence[str] | None = None,
    ) -> DocumentInfo:
        now = time.time()
        with self._transaction():
            found = self._info(key)
            old = found[0] if found else None
            seq = old.seq + 1 if old else 0
            info = DocumentInfo(
                key=key,
                public=(old.public if old else False) if public is None else public,
                seq=seq,
                created=old.created if old else now,
                updated=now,
                writers=(old.writers if old else ()) if writers is None else writer_names(writers),
            )
            self._db.execute(
                "DELETE FROM patches WHERE owner = ? AND name = ?", (key.owner, key.name)
            )
            self._db.execute(
                "DELETE FROM buffers WHERE owner = ? AND name = ?", (key.owner, key.name)
            )
            self._db.execute(
                "INSERT OR REPLACE INTO documents (owner, name, public, seq, snapshot_seq,"
                " snapshot, created, updated, writers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.owner,
                    key.name,
                    int(info.public),
                    seq,
                    seq,
                    wirejson.dumps_bytes(snapshot.content),
                    info.created,
                    now,
                    json.dumps(info.writers),
                ),
            )
            self._put_buffers(key, "S", seq, snapshot)
        return info

    async def append(self, key: DocumentKey, patch: Entry) -> int:
        with self._transaction():
            found = self._info(key)
            if found is None:
                raise missing(key)
            seq = found[0].seq + 1
            self._db.execute(
                "INSERT INTO patches VALUES (?, ?, ?, ?)",
                (key.owner, key.name, seq, wirejson.dumps_bytes(patch.content)),
            )
            self._put_buffers(key, "P", seq, patch)
            self._db.execute(
                "UPDATE documents SET seq = ?, updated = ? WHERE owner = ? AND name = ?",
                (seq, time.time(), key.owner, key.name),
            )
        return seq

    async def load(self, key: DocumentKey) -> StoredDocument | None:
        with self._transaction():  # one consistent view of the snapshot and the log
            found = self._info(key)
            if found is None:
                return None
            info, snapshot_seq = found
            (snapshot,) = self._db.execute(
                "SELECT snapshot FROM documents WHERE owner = ? AND name = ?",
                (key.owner, key.name),
            ).fetchone()
            patches = self._patches_after(key, snapshot_seq)
            entry = Entry(wirejson.loads(snapshot), self._buffers(key, "S", snapshot_seq))
        return StoredDocument(info, entry, snapshot_seq, patches)

    def _patches_after(self, key: DocumentKey, seq: int) -> list[Entry]:
        return [
            Entry(wirejson.loads(content), self._buffers(key, "P", patch_seq))
            for patch_seq, content in self._db.execute(
                "SELECT seq, content FROM patches WHERE owner = ? AND name = ? AND seq > ?"
                " ORDER BY seq",
                (key.owner, key.name, seq),
            ).fetchall()
        ]

    async def since(self, key: DocumentKey, seq: int) -> Catchup | None:
        with self._transaction():
            found = self._info(key)
            if found is None:
                return None
            info, snapshot_seq = found
            if snapshot_seq <= seq <= info.seq:  # the log covers it: no snapshot to read
                return Catchup(info, None, seq, self._patches_after(key, seq))
        stored = await self.load(key)
        if stored is None:
            return None
        return Catchup(stored.info, stored.snapshot, stored.snapshot_seq, stored.patches)

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:  # one holder per process: flock is per open file
            if self._lock_fd is None:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            fd = self._lock_fd
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # another process writes: wait for it off the loop
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def writing(self, key: DocumentKey) -> contextlib.AbstractAsyncContextManager[None]:
        return self._writing()

    def _sequences(self) -> dict[DocumentKey, int]:
        return {
            DocumentKey(owner, name): seq
            for owner, name, seq in self._db.execute("SELECT owner, name, seq FROM documents")
        }

    async def changes(self) -> AsyncIterator[DocumentKey]:
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        known = self._sequences()
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            (now,) = self._db.execute("PRAGMA data_version").fetchone()
            if now == version:
                continue
            version = now
            current = self._sequences()
            for key in sorted(known.keys() | current.keys()):
                if known.get(key) != current.get(key):
                    yield key
            known = current

    async def compact(self, key: DocumentKey, snapshot: Entry, seq: int) -> None:
        with self._transaction():
            found = self._info(key)
            if found is None:
                raise missing(key)
            info, snapshot_seq = found
            if not snapshot_seq <= seq <= info.seq:
                raise ValueError(
                    f"cannot compact {key} at {seq}: it holds {snapshot_seq}..{info.seq}"
                )
            self._drop_snapshot(key)
            self._put_buffers(key, "S", seq, snapshot)
            self._db.execute(
                "DELETE FROM buffers WHERE owner = ? AND name = ? AND kind = 'P' AND seq <= ?",
                (key.owner, key.name, seq),
            )
            self._db.execute(
                "DELETE FROM patches WHERE owner = ? AND name = ? AND seq <= ?",
                (key.owner, key.name, seq),
            )
            self._db.execute(
                "UPDATE documents SET snapshot = ?, snapshot_seq = ? WHERE owner = ? AND name = ?",
                (wirejson.dumps_bytes(snapshot.content), seq, key.owner, key.name),
            )

    async def set_public(self, key: DocumentKey, public: bool) -> None:
        with self._transaction():
            changed = self._db.execute(
                "UPDATE documents SET public = ? WHERE owner = ? AND name = ?",
                (int(public), key.owner, key.name),
            ).rowcount
            if not changed:
                raise missing(key)

    async def set_writers(self, key: DocumentKey, writers: Sequence[str]) -> None:
        names = json.dumps(writer_names(writers))
        with self._transaction():
            changed = self._db.execute(
                "UPDATE documents SET writers = ? WHERE owner = ? AND name = ?",
                (names, key.owner, key.name),
            ).rowcount
            if not changed:
                raise missing(key)

    async def delete(self, key: DocumentKey) -> bool:
        with self._transaction():
            for table in ("patches", "buffers", "documents"):
                deleted = self._db.execute(
                    f"DELETE FROM {table} WHERE owner = ? AND name = ?",  # fixed names
                    (key.owner, key.name),
                ).rowcount
        return bool(deleted)

    async def list(self, owner: str | None = None) -> list[DocumentInfo]:
        query = "SELECT owner, name, public, seq, created, updated, writers FROM documents"
        rows = (
            self._db.execute(query + " WHERE owner = ? ORDER BY owner, name", (owner,))
            if owner is not None
            else self._db.execute(query + " ORDER BY owner, name")
        )
        return [_document_info(DocumentKey(o, n), *rest) for o, n, *rest in rows]

    async def close(self) -> None:
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _document_info(
    key: DocumentKey, public: int, seq: int, created: float, updated: float, writers: str
) -> DocumentInfo:
    return DocumentInfo(key, bool(public), seq, created, updated, tuple(json.loads(writers)))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on an error): one writer at a time, all or nothing."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
