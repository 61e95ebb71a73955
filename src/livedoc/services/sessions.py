"""Jupyter session records: which kernel serves which notebook, console or file.

The table is jupyter_server's (`session (session_id, path, name, type, kernel_id)`), in SQLite:
in memory by default, or in a file (`--session-db`) so records outlive a restart; the kernels
do not, and the records of kernels that are gone are purged by whoever reads them.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

__all__ = ["COLUMNS", "SessionRecord", "SessionRecords"]

COLUMNS = ("session_id", "path", "name", "type", "kernel_id")


@dataclasses.dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: str
    path: str
    name: str
    type: str
    kernel_id: str


class SessionRecords:
    """The session table; every method is a short synchronous SQLite call."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        location = str(path)
        if location != ":memory:":
            file = Path(location)
            if file.is_dir():
                raise ValueError(f"--session-db {location} is a directory, not a database file")
            if file.exists() and file.stat().st_size:
                with file.open("rb") as handle:
                    if handle.read(16) != b"SQLite format 3\x00":
                        raise ValueError(f"--session-db {location} is not an SQLite database")
            file.parent.mkdir(parents=True, exist_ok=True)
        self.path = location
        self._lock = threading.Lock()
        self._db = sqlite3.connect(location, isolation_level=None, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS session (session_id, path, name, type, kernel_id)"
        )

    def create(self, *, path: str, name: str, type: str, kernel_id: str) -> SessionRecord:
        record = SessionRecord(str(uuid.uuid4()), path, name, type, kernel_id)
        with self._lock:
            self._db.execute(
                "INSERT INTO session VALUES (?, ?, ?, ?, ?)", dataclasses.astuple(record)
            )
        return record

    def find(self, **columns: Any) -> SessionRecord | None:
        """The first record matching every given column (TypeError for an unknown column)."""
        rows = self._select(columns)
        return rows[0] if rows else None

    def all(self) -> list[SessionRecord]:
        return self._select({})

    def _select(self, columns: dict[str, Any]) -> list[SessionRecord]:
        unknown = sorted(set(columns) - set(COLUMNS))
        if unknown:
            raise TypeError(f"no session column {unknown[0]!r}; columns are {', '.join(COLUMNS)}")
        query = "SELECT session_id, path, name, type, kernel_id FROM session"
        if columns:
            query += " WHERE " + " AND ".join(f"{name} = ?" for name in columns)  # known names
        with self._lock:
            rows = self._db.execute(query, tuple(columns.values())).fetchall()
        return [SessionRecord(*row) for row in rows]

    def update(self, session_id: str, **columns: Any) -> SessionRecord | None:
        changes = {name: value for name, value in columns.items() if value is not None}
        unknown = sorted(set(changes) - set(COLUMNS[1:]))
        if unknown:
            raise TypeError(f"cannot update session column {unknown[0]!r}")
        if changes:
            assignments = ", ".join(f"{name} = ?" for name in changes)  # known names
            with self._lock:
                self._db.execute(
                    f"UPDATE session SET {assignments} WHERE session_id = ?",
                    (*changes.values(), session_id),
                )
        return self.find(session_id=session_id)

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return bool(
                self._db.execute("DELETE FROM session WHERE session_id = ?", (session_id,)).rowcount
            )

    def close(self) -> None:
        self._db.close()
