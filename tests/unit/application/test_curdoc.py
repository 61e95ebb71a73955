from __future__ import annotations

import asyncio

import pytest

from livedoc.application import bound_document, curdoc, cursession
from livedoc.document import Document

from ._support import FakeSessionContext


def test_outside_sessions_curdoc_is_one_default_document() -> None:
    default = curdoc()
    assert isinstance(default, Document)
    assert curdoc() is default
    assert cursession() is None


def test_bound_document_binds_and_restores_nested() -> None:
    default = curdoc()
    outer, inner = Document(), Document()
    session = FakeSessionContext()
    with bound_document(outer, session) as bound:
        assert bound is outer
        assert curdoc() is outer
        assert cursession() is session
        with bound_document(inner):
            assert curdoc() is inner
            assert cursession() is None
        assert curdoc() is outer
        assert cursession() is session
    assert curdoc() is default
    assert cursession() is None


def test_binding_is_restored_when_the_block_raises() -> None:
    default = curdoc()
    with pytest.raises(KeyError), bound_document(Document()):
        raise KeyError("boom")
    assert curdoc() is default


def test_interleaved_tasks_each_see_their_own_document() -> None:
    docs = [Document(title=f"doc {i}") for i in range(3)]
    seen: dict[int, list[str]] = {}

    async def work(i: int) -> None:
        with bound_document(docs[i]):
            for _ in range(3):
                await asyncio.sleep(0)  # let the other tasks run in between
                seen.setdefault(i, []).append(curdoc().title)

    async def main() -> None:
        await asyncio.gather(*(work(i) for i in range(3)))

    asyncio.run(main())
    assert seen == {i: [f"doc {i}"] * 3 for i in range(3)}
