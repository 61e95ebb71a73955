"""The document store: published documents, kept as a snapshot plus the patches since.

A published document is stored as the PUSH-DOC content that created it (the *snapshot*) and
the PATCH-DOC contents applied since (the *log*), each with its binary buffers kept as bytes,
never as JSON lists. Replaying the log on the snapshot rebuilds the document; `compact`
replaces a snapshot and the log prefix it covers with a newer snapshot.

`append` returns only once the patch is durable: the server acknowledges a patch (OK) after
that, so a server killed at any moment keeps every acknowledged change.

Backends implement `DocumentStore`: `MemoryStore` (tests), `SQLiteStore` (the embedded
default), and Redis (several server processes sharing one store).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from livedoc._types import JSONObject

__all__ = [
    "Catchup",
    "DocumentInfo",
    "DocumentKey",
    "DocumentStore",
    "Entry",
    "StoreError",
    "StoredDocument",
    "missing",
    "writer_names",
]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


class StoreError(Exception):
    """The store cannot do what was asked (a missing document, a bad name, a backend fault)."""


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class DocumentKey:
    """Who owns a published document and what it is called: `/docs/<owner>/<name>`."""

    owner: str
    name: str

    def __post_init__(self) -> None:
        for part, value in (("owner", self.owner), ("name", self.name)):
            if not _NAME.fullmatch(value):
                raise StoreError(
                    f"a document {part} is 1-100 letters, digits, '.', '_' or '-' and starts "
                    f"with a letter or digit; got {value!r}"
                )

    @property
    def path(self) -> str:
        return f"{self.owner}/{self.name}"

    def __str__(self) -> str:
        return self.path


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """A snapshot (PUSH-DOC `doc`) or a patch (PATCH-DOC content), with its buffers."""

    content: JSONObject
    buffers: Mapping[str, bytes]


@dataclasses.dataclass(frozen=True, slots=True)
class DocumentInfo:
    key: DocumentKey
    public: bool
    #: The sequence number of the newest change (0: the snapshot itself).
    seq: int
    created: float
    updated: float
    #: Users besides the owner who may change the document (the owner chooses them).
    writers: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class StoredDocument:
    info: DocumentInfo
    snapshot: Entry
    #: The snapshot's sequence number; `patches` follow it, numbered snapshot_seq + 1, ...
    snapshot_seq: int
    patches: list[Entry]


@dataclasses.dataclass(frozen=True, slots=True)
class Catchup:
    """What a replica that has applied the log up to some sequence number lacks."""

    info: DocumentInfo
    #: None when the log still holds every patch the replica lacks; otherwise the document was
    #: republished or compacted past that point, and the replica restarts from this snapshot.
    snapshot: Entry | None
    #: The sequence number `patches` follow (the replica's, or the snapshot's).
    base_seq: int
    patches: list[Entry]


class DocumentStore(ABC):
    """Where published documents live. Every method is a coroutine (Redis does I/O)."""

    #: A short description for logs: "memory", "sqlite:///var/lib/livedoc/docs.db", ...
    description: str = ""

    @abstractmethod
    async def publish(
        self,
        key: DocumentKey,
        snapshot: Entry,
        *,
        public: bool | None = None,
        writers: Sequence[str] | None = None,
    ) -> DocumentInfo:
        """Create the document, or replace its content (the log restarts after the new
        snapshot). `public=None` keeps the current visibility (new documents are private),
        `writers=None` the current writers (new documents have none)."""

    @abstractmethod
    async def append(self, key: DocumentKey, patch: Entry) -> int:
        """Add a patch to the log, durably; returns its sequence number."""

    @abstractmethod
    async def load(self, key: DocumentKey) -> StoredDocument | None:
        """The snapshot and the log after it, or None for an unknown document."""

    async def since(self, key: DocumentKey, seq: int) -> Catchup | None:
        """What a replica at `seq` lacks (None: no such document). Backends may answer this
        without reading the snapshot when the log still covers `seq`."""
        stored = await self.load(key)
        if stored is None:
            return None
        if stored.snapshot_seq <= seq <= stored.info.seq:
            return Catchup(stored.info, None, seq, stored.patches[seq - stored.snapshot_seq :])
        return Catchup(stored.info, stored.snapshot, stored.snapshot_seq, stored.patches)

    def writing(self, key: DocumentKey) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold off every other process's writes to `key` while the block runs, so that a
        replica can catch up with the log and append to it as one step. The default: a store
        that one process owns needs nothing."""
        return contextlib.nullcontext()

    async def changes(self) -> AsyncIterator[DocumentKey]:
        """The documents other processes change, as they change them (possibly with false
        alarms; own changes need not appear). A store that one process owns yields nothing."""
        nothing: tuple[DocumentKey, ...] = ()
        for key in nothing:  # an async generator that ends at once
            yield key

    @abstractmethod
    async def compact(self, key: DocumentKey, snapshot: Entry, seq: int) -> None:
        """`snapshot` is the document as of `seq`: it replaces the stored snapshot and the
        patches up to `seq` (patches after `seq`, appended meanwhile, stay)."""

    @abstractmethod
    async def set_public(self, key: DocumentKey, public: bool) -> None: ...

    @abstractmethod
    async def set_writers(self, key: DocumentKey, writers: Sequence[str]) -> None: ...

    @abstractmethod
    async def delete(self, key: DocumentKey) -> bool:
        """Remove the document; False when there was none."""

    @abstractmethod
    async def list(self, owner: str | None = None) -> list[DocumentInfo]:
        """Every document (of `owner`), by key."""

    async def close(self) -> None:  # noqa: B027  # most backends have nothing to release
        """Release connections and files."""


def missing(key: DocumentKey) -> StoreError:
    return StoreError(f"no published document {key.path!r}")


def writer_names(writers: Sequence[str]) -> tuple[str, ...]:
    """Writers as stored: sorted, without repeats, each a valid user name."""
    names = sorted(set(writers))
    for name in names:
        DocumentKey(name, "x")  # a writer is named like an owner
    return tuple(names)
