"""Every document store backend keeps published documents the same way: a snapshot, a log of
patches with binary buffers, compaction, visibility, listing; SQLite also across restarts and a
SIGKILL at any moment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.storage import (
    DocumentKey,
    DocumentStore,
    Entry,
    MemoryStore,
    RedisStore,
    SQLiteStore,
    StoreError,
    open_store,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

from tests.redis_server import redis_url as redis_url  # the fixture

KEY = DocumentKey("ada", "sensors")


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the whole test (a Redis client belongs to the loop it started on)."""
    with asyncio.Runner() as loop_runner:
        yield loop_runner


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, runner: asyncio.Runner
) -> Iterator[DocumentStore]:
    backend: DocumentStore
    if request.param == "memory":
        backend = MemoryStore()
    elif request.param == "sqlite":
        backend = SQLiteStore(tmp_path / "docs.db")
    else:
        url = request.getfixturevalue("redis_url")
        backend = RedisStore(url, prefix=f"test:{request.node.name}:{uuid.uuid4().hex}")
    yield backend
    runner.run(backend.close())


@pytest.fixture
def run(runner: asyncio.Runner) -> Callable[[Any], Any]:
    return runner.run


def snapshot(title: str = "t") -> Entry:
    return Entry({"title": title, "roots": []}, {"b1": b"\x00\x01\x02"})


def patch(n: int) -> Entry:
    return Entry({"events": [{"kind": "TitleChanged", "title": f"v{n}"}]}, {f"p{n}": bytes([n])})


def test_publish_append_and_load(store: DocumentStore, run: Callable[[Any], Any]) -> None:
    info = run(store.publish(KEY, snapshot()))
    assert (info.seq, info.public) == (0, False)
    assert [run(store.append(KEY, patch(n))) for n in (1, 2, 3)] == [1, 2, 3]
    loaded = run(store.load(KEY))
    assert loaded is not None
    assert loaded.snapshot.content["title"] == "t"
    assert loaded.snapshot.buffers == {"b1": b"\x00\x01\x02"}  # bytes, not JSON lists
    assert [p.content["events"][0]["title"] for p in loaded.patches] == ["v1", "v2", "v3"]
    assert loaded.patches[1].buffers == {"p2": b"\x02"}
    assert (loaded.snapshot_seq, loaded.info.seq) == (0, 3)


def test_republishing_replaces_the_content_and_keeps_the_sequence_rising(
    store: DocumentStore, run: Callable[[Any], Any]
) -> None:
    run(store.publish(KEY, snapshot(), public=True))
    run(store.append(KEY, patch(1)))
    info = run(store.publish(KEY, snapshot("second")))
    assert info.seq == 2
    assert info.public  # kept when not given
    loaded = run(store.load(KEY))
    assert loaded.snapshot.content["title"] == "second"
    assert loaded.patches == []
    assert run(store.append(KEY, patch(2))) == 3


def test_compaction_keeps_the_patches_after_the_new_snapshot(
    store: DocumentStore, run: Callable[[Any], Any]
) -> None:
    run(store.publish(KEY, snapshot()))
    for n in range(1, 6):
        run(store.append(KEY, patch(n)))
    run(store.compact(KEY, Entry({"title": "at 3", "roots": []}, {"s": b"3"}), 3))
    loaded = run(store.load(KEY))
    assert loaded.snapshot_seq == 3
    assert loaded.snapshot.buffers == {"s": b"3"}
    assert [p.content["events"][0]["title"] for p in loaded.patches] == ["v4", "v5"]
    assert loaded.patches[0].buffers == {"p4": b"\x04"}
    with pytest.raises(ValueError, match="cannot compact"):
        run(store.compact(KEY, snapshot(), 9))


def test_visibility_listing_and_deletion(store: DocumentStore, run: Callable[[Any], Any]) -> None:
    other = DocumentKey("bob", "notes")
    run(store.publish(KEY, snapshot()))
    run(store.publish(other, snapshot(), public=True))
    run(store.set_public(KEY, True))
    assert [(i.key, i.public) for i in run(store.list())] == [(KEY, True), (other, True)]
    assert [i.key for i in run(store.list("bob"))] == [other]
    assert run(store.delete(other)) is True
    assert run(store.delete(other)) is False
    assert run(store.load(other)) is None


def test_writers_are_kept_until_the_owner_changes_them(
    store: DocumentStore, run: Callable[[Any], Any]
) -> None:
    assert run(store.publish(KEY, snapshot())).writers == ()
    info = run(store.publish(KEY, snapshot(), writers=["carol", "bob", "bob"]))
    assert info.writers == ("bob", "carol")
    assert run(store.publish(KEY, snapshot("again"))).writers == ("bob", "carol")  # kept
    run(store.set_writers(KEY, ["dan"]))
    assert [i.writers for i in run(store.list("ada"))] == [("dan",)]
    assert run(store.load(KEY)).info.writers == ("dan",)
    with pytest.raises(StoreError, match="letters, digits"):
        run(store.set_writers(KEY, ["not a name"]))
    with pytest.raises(StoreError, match="no published document"):
        run(store.set_writers(DocumentKey("ada", "nothing"), ["bob"]))


def test_since_gives_a_replica_what_it_lacks(
    store: DocumentStore, run: Callable[[Any], Any]
) -> None:
    assert run(store.since(KEY, 0)) is None
    run(store.publish(KEY, snapshot()))
    for n in (1, 2, 3):
        run(store.append(KEY, patch(n)))
    tail = run(store.since(KEY, 1))
    assert (tail.snapshot, tail.base_seq) == (None, 1)  # the log covers it: no snapshot
    assert [p.content["events"][0]["title"] for p in tail.patches] == ["v2", "v3"]
    assert tail.patches[0].buffers == {"p2": b"\x02"}
    assert run(store.since(KEY, 3)).patches == []
    run(store.compact(KEY, Entry({"title": "at 2", "roots": []}, {}), 2))
    behind = run(store.since(KEY, 1))  # compacted past it: the whole document
    assert behind.snapshot.content["title"] == "at 2"
    assert (behind.base_seq, len(behind.patches)) == (2, 1)
    run(store.publish(KEY, snapshot("new")))  # republished: seq 4
    again = run(store.since(KEY, 3))
    assert again.snapshot.content["title"] == "new"
    assert (again.base_seq, again.patches, again.info.seq) == (4, [], 4)


def test_unknown_documents_and_bad_names_are_clear_errors(
    store: DocumentStore, run: Callable[[Any], Any]
) -> None:
    with pytest.raises(StoreError, match="no published document 'ada/sensors'"):
        run(store.append(KEY, patch(1)))
    with pytest.raises(StoreError, match="no published document"):
        run(store.set_public(KEY, True))
    with pytest.raises(StoreError, match="a document name is"):
        DocumentKey("ada", "../etc/passwd")
    with pytest.raises(StoreError, match="a document owner is"):
        DocumentKey("", "x")


def test_open_store_urls(tmp_path: Path) -> None:
    run = asyncio.run
    assert isinstance(open_store("memory://"), MemoryStore)
    sqlite = open_store(f"sqlite://{tmp_path}/a/b.db")  # sqlite:// + an absolute path
    assert isinstance(sqlite, SQLiteStore)
    assert sqlite.path == tmp_path / "a" / "b.db"
    run(sqlite.close())
    with pytest.raises(StoreError, match="unknown storage 'ftp://x'"):
        open_store("ftp://x")


def test_sqlite_keeps_everything_across_a_reopen(tmp_path: Path) -> None:
    run = asyncio.run
    first = SQLiteStore(tmp_path / "docs.db")
    run(first.publish(KEY, snapshot(), public=True))
    run(first.append(KEY, patch(1)))
    run(first.close())
    second = SQLiteStore(tmp_path / "docs.db")
    loaded = run(second.load(KEY))
    run(second.close())
    assert loaded.info.public
    assert loaded.patches[0].buffers == {"p1": b"\x01"}


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from livedoc.storage import DocumentKey, Entry, SQLiteStore

    async def main():
        store = SQLiteStore(sys.argv[1])
        key = DocumentKey("ada", "stream")
        await store.publish(key, Entry({"title": "t", "roots": []}, {}))
        for n in range(1, 100_000):  # bounded; the parent kills it long before
            seq = await store.append(key, Entry({"events": [n]}, {"b": n.to_bytes(4, "big")}))
            print(seq, flush=True)  # acknowledged

    asyncio.run(main())
    """
)


def test_sqlite_keeps_every_acknowledged_patch_when_the_writer_is_killed(tmp_path: Path) -> None:
    run = asyncio.run
    path = tmp_path / "docs.db"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    acknowledged = 0
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged = int(line)
            if acknowledged >= 300 + os.getpid() % 200:  # a moment that varies between runs
                break
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    store = SQLiteStore(path)
    loaded = run(store.load(DocumentKey("ada", "stream")))
    run(store.close())
    numbers = [p.content["events"][0] for p in loaded.patches]
    assert len(numbers) >= acknowledged
    assert numbers == list(range(1, len(numbers) + 1))  # every acknowledged one, no gap
    assert all(
        p.buffers["b"] == n.to_bytes(4, "big") for n, p in zip(numbers, loaded.patches, strict=True)
    )


def _two_handles(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> tuple[DocumentStore, DocumentStore]:
    """Two stores on the same data, as two server processes have."""
    if backend == "sqlite":
        return SQLiteStore(tmp_path / "docs.db"), SQLiteStore(tmp_path / "docs.db")
    url = request.getfixturevalue("redis_url")
    prefix = f"test:{request.node.name}:{uuid.uuid4().hex}"
    return RedisStore(url, prefix=prefix), RedisStore(url, prefix=prefix)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_process_hears_of_another_ones_changes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, runner: asyncio.Runner
) -> None:
    mine, theirs = _two_handles(backend, tmp_path, request)
    other = DocumentKey("bob", "log")

    async def scenario() -> list[DocumentKey]:
        await theirs.publish(KEY, snapshot())
        heard: list[DocumentKey] = []

        async def listen() -> None:
            async for key in mine.changes():
                heard.append(key)
                if {KEY, other} <= set(heard):
                    return

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.2)  # subscribed (Redis) / first reading taken (SQLite)
        await theirs.append(KEY, patch(1))
        await theirs.publish(other, snapshot())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listener, 5)
        return heard

    try:
        heard = runner.run(scenario())
    finally:
        runner.run(mine.close())
        runner.run(theirs.close())
    assert {KEY, other} <= set(heard)


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_writing_holds_off_another_process(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, runner: asyncio.Runner
) -> None:
    first, second = _two_handles(backend, tmp_path, request)

    async def scenario() -> list[str]:
        await first.publish(KEY, snapshot())
        order: list[str] = []

        async def hold() -> None:
            async with first.writing(KEY):
                order.append("first in")
                await asyncio.sleep(0.3)
                order.append("first out")

        async def wait_then_write() -> None:
            await asyncio.sleep(0.1)
            async with second.writing(KEY):
                order.append("second in")

        await asyncio.gather(hold(), wait_then_write())
        return order

    try:
        order = runner.run(scenario())
    finally:
        runner.run(first.close())
        runner.run(second.close())
    assert order == ["first in", "first out", "second in"]
