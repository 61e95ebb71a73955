"""`MemoryStore`: published documents in a dict, for tests and throwaway servers."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from livedoc.storage.base import (
    DocumentInfo,
    DocumentStore,
    StoredDocument,
    missing,
    writer_names,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from livedoc.storage.base import DocumentKey, Entry

__all__ = ["MemoryStore"]


@dataclasses.dataclass
class _Record:
    info: DocumentInfo
    snapshot: Entry
    snapshot_seq: int
    patches: list[Entry]


class MemoryStore(DocumentStore):
    description = "memory"

    def __init__(self) -> None:
        self._records: dict[DocumentKey, _Record] = {}

    async def publish(
        self,
        key: DocumentKey,
        snapshot: Entry,
        *,
        public: bool | None = None,
        writers: Sequence[str] | None = None,
    ) -> DocumentInfo:
        now = time.time()
        old = self._records.get(key)
        seq = old.info.seq + 1 if old else 0
        info = DocumentInfo(
            key=key,
            public=(old.info.public if old else False) if public is None else public,
            seq=seq,
            created=old.info.created if old else now,
            updated=now,
            writers=(old.info.writers if old else ()) if writers is None else writer_names(writers),
        )
        self._records[key] = _Record(info, snapshot, seq, [])
        return info

    def _record(self, key: DocumentKey) -> _Record:
        record = self._records.get(key)
        if record is None:
            raise missing(key)
        return record

    async def append(self, key: DocumentKey, patch: Entry) -> int:
        record = self._record(key)
        record.patches.append(patch)
        record.info = dataclasses.replace(record.info, seq=record.info.seq + 1, updated=time.time())
        return record.info.seq

    async def load(self, key: DocumentKey) -> StoredDocument | None:
        record = self._records.get(key)
        if record is None:
            return None
        return StoredDocument(
            record.info, record.snapshot, record.snapshot_seq, list(record.patches)
        )

    async def compact(self, key: DocumentKey, snapshot: Entry, seq: int) -> None:
        record = self._record(key)
        if not record.snapshot_seq <= seq <= record.info.seq:
            raise ValueError(
                f"cannot compact {key} at {seq}: it holds {record.snapshot_seq}..{record.info.seq}"
            )
        record.patches = record.patches[seq - record.snapshot_seq :]
        record.snapshot, record.snapshot_seq = snapshot, seq

    async def set_public(self, key: DocumentKey, public: bool) -> None:
        record = self._record(key)
        record.info = dataclasses.replace(record.info, public=public)

    async def set_writers(self, key: DocumentKey, writers: Sequence[str]) -> None:
        record = self._record(key)
        record.info = dataclasses.replace(record.info, writers=writer_names(writers))

    async def delete(self, key: DocumentKey) -> bool:
        return self._records.pop(key, None) is not None

    async def list(self, owner: str | None = None) -> list[DocumentInfo]:
        return [
            record.info
            for key, record in sorted(self._records.items())
            if owner is None or key.owner == owner
        ]
