"""Published documents: one live replica per document, shared by every viewer, kept in a store.

A script publishes a document by pushing it to `/docs/<owner>/<name>/ws` (PUSH-DOC); every
browser tab on `/docs/<owner>/<name>` and every Python client attached there shares that one
document. A PUSH-DOC replaces the stored snapshot; each PATCH-DOC is appended to the store's
log before it is sent on or acknowledged, so a server killed at any moment restarts with every
acknowledged change. Replicas are schema-agnostic: they host documents built with any model
classes, bokeh's included.

Several processes may serve one store (`--num-procs`, or machines sharing Redis). The log is
the truth and every replica follows it: a process remembers the sequence number its replica
has reached, applies another process's changes when the store announces them (`changes()`),
and takes the store's write lock for a document while it catches up, applies a client's change
and appends it, so every replica applies the same patches in the same order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

from livedoc.document import Document
from livedoc.errors import DocumentError
from livedoc.server.session import ServerSession
from livedoc.storage import DocumentKey, Entry, StoreError, open_store

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from livedoc.protocol import Message
    from livedoc.storage import DocumentInfo, DocumentStore

__all__ = ["COMPACT_EVERY", "PublishedDocuments"]

log = logging.getLogger("livedoc.published")

#: After this many stored patches the replica is written as a new snapshot (the log shrinks).
COMPACT_EVERY = 1000


class PublishedDocuments:
    """The published documents this process serves, loaded from `store` on first use."""

    def __init__(self, store_url: str) -> None:
        self.store_url = store_url
        self._store: DocumentStore | None = None
        self._sessions: dict[DocumentKey, ServerSession] = {}
        self._since_compaction: dict[DocumentKey, int] = {}
        self._requested: dict[DocumentKey, tuple[bool | None, Sequence[str] | None]] = {}
        #: The sequence number of the newest stored change each loaded replica has applied.
        self._applied: dict[DocumentKey, int] = {}
        self._follower: asyncio.Task[None] | None = None

    @property
    def store(self) -> DocumentStore:
        """The store, opened on first use (a server nobody publishes to makes no file)."""
        if self._store is None:
            self._store = open_store(self.store_url)
            log.info("published documents are kept in %s", self._store.description)
        return self._store

    async def info(self, key: DocumentKey) -> DocumentInfo | None:
        found = await self.store.list(key.owner)
        return next((info for info in found if info.key == key), None)

    async def session_for(self, key: DocumentKey, *, create: bool) -> ServerSession | None:
        """The shared session of a document: loaded from the store, or (with `create`, for a
        publisher) an empty one that its first PUSH-DOC fills. None: no such document."""
        session = self._sessions.get(key)
        if session is not None:
            return session
        stored = await self.store.load(key)
        if stored is None and not create:
            return None
        self._follow_the_store()
        document = _replica()
        if stored is not None:
            document = Document.from_json(
                stored.snapshot.content, stored.snapshot.buffers, generic=True
            )
            document.accept_unknown_models = True
            for patch in stored.patches:
                document.apply_json_patch(patch.content, patch.buffers)
            log.info(
                "loaded published document %s (%d patches after its snapshot)",
                key,
                len(stored.patches),
            )
        session = self._sessions.get(key)  # another connection may have loaded it meanwhile
        if session is None:
            session = ServerSession(f"published/{key.path}", document)
            session.persist = functools.partial(self._persist, key, session)
            self._sessions[key] = session
            if stored is not None:
                self._applied[key] = stored.snapshot_seq + len(stored.patches)
        return session

    async def _persist(
        self, key: DocumentKey, session: ServerSession, message: Message, apply: Callable[[], None]
    ) -> None:
        """Apply a client's change to the replica and store it, as one step for every process."""
        buffers = {buffer_id: bytes(data) for buffer_id, data in message.buffers.items()}
        try:
            async with self.store.writing(key):
                await self._catch_up(key, session)
                apply()
                if message.msgtype == "PUSH-DOC":
                    public, writers = self._requested.pop(key, (None, None))
                    info = await self.store.publish(
                        key, Entry(message.content["doc"], buffers), public=public, writers=writers
                    )
                    self._applied[key] = info.seq
                    self._since_compaction[key] = 0
                    log.info("published %s (sequence %d)", key, info.seq)
                    return
                seq = await self.store.append(key, Entry(message.content, buffers))
                self._applied[key] = seq
        except StoreError as exc:
            log.error("could not store a change to %s: %s", key, exc)
            raise DocumentError(f"the change could not be stored: {exc}") from None
        count = self._since_compaction.get(key, 0) + 1
        self._since_compaction[key] = count
        if count >= COMPACT_EVERY:
            await self._compact(key, session, seq)

    async def _compact(self, key: DocumentKey, session: ServerSession, seq: int) -> None:
        content, buffers = _snapshot(session.document)
        try:
            await self.store.compact(key, Entry(content, buffers), seq)
        except (StoreError, ValueError) as exc:
            log.warning("could not compact %s: %s", key, exc)
            return
        self._since_compaction[key] = 0

    # -- following other processes' changes ----------------------------------------------

    async def _catch_up(self, key: DocumentKey, session: ServerSession) -> None:
        """Apply what other processes stored since this replica's last change (the caller
        holds the session's lock); the changes reach this process's viewers as any do."""
        applied = self._applied.get(key)
        if applied is None:  # a publisher's new document: nothing stored to follow yet
            return
        catchup = await self.store.since(key, applied)
        if catchup is None or (catchup.snapshot is None and not catchup.patches):
            return
        document = session.document
        if catchup.snapshot is not None:
            document.replace_with_json(catchup.snapshot.content, catchup.snapshot.buffers)
        for patch in catchup.patches:
            document.apply_json_patch(patch.content, patch.buffers)
        self._applied[key] = catchup.base_seq + len(catchup.patches)
        log.debug("%s: caught up to sequence %d", key, self._applied[key])

    def _follow_the_store(self) -> None:
        if self._follower is None:
            self._follower = asyncio.get_running_loop().create_task(
                self._follow(), name="livedoc published-document follower"
            )

    async def _follow(self) -> None:
        """Catch loaded replicas up whenever the store announces another process's change."""
        while True:
            try:
                async for key in self.store.changes():
                    session = self._sessions.get(key)
                    if session is None or session.destroyed:
                        continue
                    async with session.lock:
                        try:
                            await self._catch_up(key, session)
                        finally:
                            session.flush()
                return  # a store that one process owns announces nothing
            except (StoreError, DocumentError) as exc:
                log.warning("following the store's changes failed (retrying in 1 s): %s", exc)
                await asyncio.sleep(1)

    def request_settings(
        self, key: DocumentKey, public: bool | None, writers: Sequence[str] | None
    ) -> None:
        """Visibility and writers a publisher asked for when connecting, applied with its
        PUSH-DOC (None: keep what the document has)."""
        self._requested[key] = (public, writers)

    async def shutdown(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            self._follower = None
        for session in self._sessions.values():
            session.destroy()
        self._sessions.clear()
        if self._store is not None:
            await self._store.close()


def _replica() -> Document:
    document = Document(generic=True)
    document.accept_unknown_models = True
    return document


def _snapshot(document: Document) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The document as a PUSH-DOC `doc`, without marking its models as sent to anyone."""
    from livedoc.document import Serializer

    serializer = Serializer()
    content = {
        "title": document.title,
        "config": serializer.encode(document.config),
        "roots": [serializer.encode(root) for root in document.roots],
    }
    return content, {key: bytes(value) for key, value in serializer.buffers.items()}
