"""`RedisStore`: published documents in Redis, shared by several server processes.

Per document `<prefix>:<owner>/<name>`: a hash `:meta` (public, seq, snapshot_seq, created,
updated, writers), a string `:snapshot`, and a list `:log` of patches; the set `<prefix>:index`
names every document. A snapshot or a patch is one binary blob: its JSON and its buffers, so
buffers stay bytes. Every change is one MULTI/EXEC transaction (with WATCH where it reads
first) that also announces the document on the pub/sub channel `<prefix>:changes`, which
`changes()` follows; `writing()` is redis-py's lock (`SET NX PX` with a token) on `:lock`.

Durability is Redis's: `append` returns once Redis has executed the transaction, which is on
disk before the reply only with `appendonly yes` and `appendfsync always` in Redis's
configuration (the setting to use when acknowledged data must survive a crash).
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import struct
import time
from typing import TYPE_CHECKING, Any, cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from livedoc.protocol import wirejson
from livedoc.storage.base import (
    Catchup,
    DocumentInfo,
    DocumentKey,
    DocumentStore,
    Entry,
    StoredDocument,
    StoreError,
    missing,
    writer_names,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

__all__ = ["RedisStore", "pack", "unpack"]

log = logging.getLogger("livedoc.storage")

#: Attempts of a read-then-write transaction that another client keeps changing under us.
WATCH_ATTEMPTS = 50
#: A writer's lock expires after this long (seconds) even if its process died holding it.
LOCK_TIMEOUT = 10.0


def pack(entry: Entry) -> bytes:
    """One blob: the JSON's length and bytes, then each buffer's id and bytes, length-prefixed."""
    content = wirejson.dumps_bytes(entry.content)
    parts = [struct.pack(">I", len(content)), content]
    for buffer_id, data in entry.buffers.items():
        encoded = buffer_id.encode()
        parts += [
            struct.pack(">H", len(encoded)),
            encoded,
            struct.pack(">Q", len(data)),
            bytes(data),
        ]
    return b"".join(parts)


def unpack(blob: bytes) -> Entry:
    view = memoryview(blob)
    (length,) = struct.unpack_from(">I", view, 0)
    position = 4 + length
    content = wirejson.loads(bytes(view[4:position]))
    buffers: dict[str, bytes] = {}
    while position < len(view):
        (id_length,) = struct.unpack_from(">H", view, position)
        position += 2
        buffer_id = bytes(view[position : position + id_length]).decode()
        position += id_length
        (size,) = struct.unpack_from(">Q", view, position)
        position += 8
        buffers[buffer_id] = bytes(view[position : position + size])
        position += size
    return Entry(content, buffers)


class RedisStore(DocumentStore):
    def __init__(self, url: str, *, prefix: str = "livedoc:doc") -> None:
        self.description = url
        self.prefix = prefix
        self._redis: aioredis.Redis = aioredis.from_url(url)
        self._channel = f"{prefix}:changes"
        #: Marks this store's own notices, which `changes()` skips.
        self._origin = secrets.token_hex(8)

    def _key(self, key: DocumentKey, part: str) -> str:
        return f"{self.prefix}:{key.path}:{part}"

    def _announce(self, pipe: Any, key: DocumentKey) -> None:
        pipe.publish(self._channel, f"{self._origin} {key.path}")

    async def _guarded(self, what: str, operation: Callable[[], Awaitable[Any]]) -> Any:
        try:
            return await operation()
        except RedisError as exc:
            raise StoreError(f"Redis at {self.description} failed to {what}: {exc}") from None

    async def _meta(self, key: DocumentKey, client: Any = None) -> dict[str, Any] | None:
        raw = await (client or self._redis).hgetall(self._key(key, "meta"))
        if not raw:
            return None
        meta = {_text(k): _text(v) for k, v in raw.items()}
        return {
            "public": meta["public"] == "1",
            "seq": int(meta["seq"]),
            "snapshot_seq": int(meta["snapshot_seq"]),
            "created": float(meta["created"]),
            "updated": float(meta["updated"]),
            "writers": tuple(json.loads(meta.get("writers", "[]"))),
        }

    @staticmethod
    def _info(key: DocumentKey, meta: dict[str, Any]) -> DocumentInfo:
        return DocumentInfo(
            key, meta["public"], meta["seq"], meta["created"], meta["updated"], meta["writers"]
        )

    async def _transaction(
        self, key: DocumentKey, body: Callable[[Any, dict[str, Any] | None], Any]
    ) -> Any:
        """WATCH the document's meta, read it, run `body(pipeline, meta)` in MULTI/EXEC."""
        for _ in range(WATCH_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self._key(key, "meta"))
                    meta = await self._meta(key, pipe)
                    _begin(pipe)
                    result = body(pipe, meta)
                    await pipe.execute()
                    return result
                except WatchError:
                    continue
        raise StoreError(f"{key}: too many concurrent changes; try again")

    async def publish(
        self,
        key: DocumentKey,
        snapshot: Entry,
        *,
        public: bool | None = None,
        writers: Sequence[str] | None = None,
    ) -> DocumentInfo:
        now = time.time()
        blob = pack(snapshot)
        names = None if writers is None else writer_names(writers)

        def body(pipe: Any, old: dict[str, Any] | None) -> DocumentInfo:
            seq = old["seq"] + 1 if old else 0
            visible = (old["public"] if old else False) if public is None else public
            chosen = (old["writers"] if old else ()) if names is None else names
            created = old["created"] if old else now
            pipe.delete(self._key(key, "log"))
            pipe.set(self._key(key, "snapshot"), blob)
            pipe.hset(
                self._key(key, "meta"),
                mapping={
                    "public": int(visible),
                    "seq": seq,
                    "snapshot_seq": seq,
                    "created": created,
                    "updated": now,
                    "writers": json.dumps(chosen),
                },
            )
            pipe.sadd(f"{self.prefix}:index", key.path)
            self._announce(pipe, key)
            return DocumentInfo(key, visible, seq, created, now, chosen)

        info: DocumentInfo = await self._guarded("publish", lambda: self._transaction(key, body))
        return info

    async def append(self, key: DocumentKey, patch: Entry) -> int:
        blob = pack(patch)

        async def operation() -> int:
            if not await self._redis.exists(self._key(key, "meta")):
                raise missing(key)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(self._key(key, "meta"), "seq", 1)
                pipe.rpush(self._key(key, "log"), blob)
                pipe.hset(self._key(key, "meta"), "updated", time.time())
                self._announce(pipe, key)
                seq, *_ = await pipe.execute()
            return int(seq)

        result: int = await self._guarded("append a patch", operation)
        return result

    async def _read(
        self, key: DocumentKey, queue: Callable[[Any, dict[str, Any]], bool]
    ) -> tuple[dict[str, Any] | None, list[Any] | None]:
        """One consistent view: WATCH the meta, read it, let `queue(pipe, meta)` queue reads
        (or return False for none), and run them in MULTI/EXEC; again if the meta changed."""
        for _ in range(WATCH_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self._key(key, "meta"))
                    meta = await self._meta(key, pipe)
                    if meta is None:
                        return None, None
                    _begin(pipe)
                    if not queue(pipe, meta):
                        return meta, None
                    return meta, await pipe.execute()
                except WatchError:
                    continue
        raise StoreError(f"{key}: too many concurrent changes to read it; try again")

    async def load(self, key: DocumentKey) -> StoredDocument | None:
        def queue(pipe: Any, meta: dict[str, Any]) -> bool:
            pipe.get(self._key(key, "snapshot"))
            pipe.lrange(self._key(key, "log"), 0, -1)
            return True

        meta, results = await self._guarded("load", lambda: self._read(key, queue))
        if meta is None or results is None:
            return None
        snapshot, log = results
        patches = [unpack(blob) for blob in log]
        return StoredDocument(
            self._info(key, meta), unpack(snapshot), meta["snapshot_seq"], patches
        )

    async def since(self, key: DocumentKey, seq: int) -> Catchup | None:
        def queue(pipe: Any, meta: dict[str, Any]) -> bool:
            if not meta["snapshot_seq"] <= seq <= meta["seq"]:
                return False  # republished or compacted past it: the whole document
            pipe.lrange(self._key(key, "log"), seq - meta["snapshot_seq"], -1)
            return True

        meta, results = await self._guarded("read the log", lambda: self._read(key, queue))
        if meta is None:
            return None
        if results is not None:
            return Catchup(self._info(key, meta), None, seq, [unpack(b) for b in results[0]])
        stored = await self.load(key)
        if stored is None:
            return None
        return Catchup(stored.info, stored.snapshot, stored.snapshot_seq, stored.patches)

    @contextlib.asynccontextmanager
    async def _writing(self, key: DocumentKey) -> AsyncIterator[None]:
        lock = self._redis.lock(
            self._key(key, "lock"), timeout=LOCK_TIMEOUT, sleep=0.002, blocking_timeout=LOCK_TIMEOUT
        )
        if not await self._guarded("lock the document", lock.acquire):
            raise StoreError(f"{key}: another process held its write lock too long")
        try:
            yield
        finally:
            with contextlib.suppress(RedisError):  # expired meanwhile: nothing left to release
                await lock.release()

    def writing(self, key: DocumentKey) -> contextlib.AbstractAsyncContextManager[None]:
        return self._writing(key)

    async def changes(self) -> AsyncIterator[DocumentKey]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await self._guarded("subscribe", lambda: pubsub.subscribe(self._channel))
            while True:
                message = await self._guarded(
                    "follow changes", lambda: pubsub.get_message(timeout=None)
                )
                if message is None or message.get("type") != "message":
                    continue
                origin, _, path = _text(message["data"]).partition(" ")
                if origin == self._origin:
                    continue
                try:
                    yield DocumentKey(*path.split("/", 1))
                except (StoreError, TypeError):
                    log.warning("ignored a malformed change notice %r", message["data"])
        finally:
            with contextlib.suppress(RedisError):
                # Typed from redis-py 8.2 on, untyped before: a cast suits both.
                await cast("Callable[[], Awaitable[None]]", pubsub.aclose)()

    async def compact(self, key: DocumentKey, snapshot: Entry, seq: int) -> None:
        blob = pack(snapshot)

        def body(pipe: Any, meta: dict[str, Any] | None) -> None:
            if meta is None:
                raise missing(key)
            if not meta["snapshot_seq"] <= seq <= meta["seq"]:
                raise ValueError(
                    f"cannot compact {key} at {seq}: it holds {meta['snapshot_seq']}..{meta['seq']}"
                )
            pipe.set(self._key(key, "snapshot"), blob)
            pipe.ltrim(self._key(key, "log"), seq - meta["snapshot_seq"], -1)
            pipe.hset(self._key(key, "meta"), "snapshot_seq", seq)
            self._announce(pipe, key)

        await self._guarded("compact", lambda: self._transaction(key, body))

    async def set_public(self, key: DocumentKey, public: bool) -> None:
        def body(pipe: Any, meta: dict[str, Any] | None) -> None:
            if meta is None:
                raise missing(key)
            pipe.hset(self._key(key, "meta"), "public", int(public))
            self._announce(pipe, key)

        await self._guarded("change visibility", lambda: self._transaction(key, body))

    async def set_writers(self, key: DocumentKey, writers: Sequence[str]) -> None:
        names = json.dumps(writer_names(writers))

        def body(pipe: Any, meta: dict[str, Any] | None) -> None:
            if meta is None:
                raise missing(key)
            pipe.hset(self._key(key, "meta"), "writers", names)
            self._announce(pipe, key)

        await self._guarded("change writers", lambda: self._transaction(key, body))

    async def delete(self, key: DocumentKey) -> bool:
        async def operation() -> bool:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(*(self._key(key, part) for part in ("meta", "snapshot", "log")))
                pipe.srem(f"{self.prefix}:index", key.path)
                self._announce(pipe, key)
                deleted, *_ = await pipe.execute()
            return bool(deleted)

        result: bool = await self._guarded("delete", operation)
        return result

    async def list(self, owner: str | None = None) -> list[DocumentInfo]:
        async def operation() -> list[DocumentInfo]:
            paths = sorted(_text(p) for p in await self._redis.smembers(f"{self.prefix}:index"))
            found = []
            for path in paths:
                key = DocumentKey(*path.split("/", 1))
                if owner is not None and key.owner != owner:
                    continue
                meta = await self._meta(key)
                if meta is not None:
                    found.append(self._info(key, meta))
            return found

        result: list[DocumentInfo] = await self._guarded("list documents", operation)
        return result

    async def close(self) -> None:
        await self._redis.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _begin(pipe: Any) -> None:
    """MULTI on a watching pipeline (untyped in redis-py so far: called through Any, so a typed
    release changes nothing here)."""
    pipe.multi()
