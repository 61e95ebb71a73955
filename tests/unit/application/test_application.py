from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest

from livedoc import ColumnDataSource
from livedoc.application import (
    Application,
    ApplicationError,
    DirectoryHandler,
    FunctionHandler,
    Handler,
    NotebookHandler,
    ScriptHandler,
    ServerContext,
    SessionContext,
    build_application,
    curdoc,
    cursession,
    empty_application,
)

from ._support import FakeServerContext, FakeSessionContext, write, write_notebook

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from pathlib import Path

    from livedoc.document import Document


def add_source(name: str) -> FunctionHandler:
    def build(doc: Document) -> None:
        doc.add_root(ColumnDataSource(name=name))

    return FunctionHandler(build)


def broken(doc: Document) -> None:
    raise ValueError("no data for this user")


def test_handlers_build_the_document_in_order() -> None:
    app = Application(add_source("a"), add_source("b"), add_source("c"))
    doc = app.create_document()
    assert [root.name for root in doc.roots] == ["a", "b", "c"]
    assert app.errors_for(doc) == ()
    assert app.create_document() is not doc


def test_curdoc_and_cursession_are_bound_while_handlers_run(tmp_path: Path) -> None:
    seen: list[object] = []
    session = FakeSessionContext("s9")
    script = write(
        tmp_path / "app.py",
        "from livedoc.application import curdoc, cursession\ncurdoc().title = cursession().id\n",
    )
    app = Application(
        FunctionHandler(lambda doc: seen.extend([curdoc() is doc, cursession()])),
        ScriptHandler(script),
    )
    doc = app.create_document(session)
    assert seen == [True, session]
    assert doc.title == "s9"
    assert cursession() is None


def test_a_failed_handler_is_reported_with_its_document_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Application(add_source("before"), FunctionHandler(broken), add_source("after"))
    with caplog.at_level(logging.ERROR, logger="livedoc.application"):
        doc = app.create_document()
    assert [root.name for root in doc.roots] == ["before", "after"]
    [failure] = app.errors_for(doc)
    assert failure.origin == "broken"
    line = broken.__code__.co_firstlineno + 1
    assert failure.error == f"ValueError: no data for this user (test_application.py, line {line})"
    assert failure.detail is not None
    assert 'raise ValueError("no data for this user")' in failure.detail
    assert "function.py" not in failure.detail
    assert any("no data for this user" in r.getMessage() for r in caplog.records)
    healthy = Application(add_source("x")).create_document()
    assert app.errors_for(healthy) == ()


def test_failures_belong_to_one_document() -> None:
    calls = iter([True, False])

    def sometimes(doc: Document) -> None:
        if next(calls):
            raise RuntimeError("first one fails")

    app = Application(FunctionHandler(sometimes))
    first, second = app.create_document(), app.create_document()
    [failure] = app.errors_for(first)
    assert failure.error.startswith("RuntimeError: first one fails (test_application.py, line ")
    assert app.errors_for(second) == ()


def test_a_handler_that_raises_from_modify_document_does_not_reach_the_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Rude(Handler):
        def modify_document(self, doc: Document) -> None:
            raise KeyError("contract broken")

    app = Application(Rude(), add_source("still here"))
    with caplog.at_level(logging.ERROR, logger="livedoc.application"):
        doc = app.create_document()
    assert [root.name for root in doc.roots] == ["still here"]
    [failure] = app.errors_for(doc)
    assert failure.error == "KeyError: 'contract broken'"
    assert "raised from modify_document" in caplog.records[0].getMessage()


def test_an_async_document_function_is_refused_without_a_warning() -> None:
    async def build(doc: Document) -> None:
        doc.title = "never"

    handler = FunctionHandler(build)
    doc = Application(handler).create_document()
    assert doc.title != "never"
    assert handler.error is not None
    assert "must not be async" in handler.error


def test_function_handler_needs_a_callable() -> None:
    with pytest.raises(TypeError, match="needs a callable"):
        FunctionHandler("not callable")  # type: ignore[arg-type]


class Recorder(Handler):
    def __init__(self, name: str, events: list[str], *, fail: str | None = None) -> None:
        super().__init__()
        self.name, self.events, self.fail = name, events, fail

    def modify_document(self, doc: Document) -> None:
        self.events.append(f"{self.name} modify")

    def _note(self, hook: str) -> None:
        if hook == self.fail:
            raise RuntimeError(f"{self.name} {hook} broke")
        self.events.append(f"{self.name} {hook}")

    def on_server_loaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        async def later() -> None:  # a sync hook returning an awaitable is awaited too
            await asyncio.sleep(0)
            self._note("loaded")

        return later()

    def on_server_unloaded(self, server_context: ServerContext) -> None:
        self._note("unloaded")

    async def on_session_created(self, session_context: SessionContext) -> None:
        await asyncio.sleep(0)
        self._note("created")

    async def on_session_destroyed(self, session_context: SessionContext) -> None:
        await asyncio.sleep(0)
        self._note("destroyed")


def test_hooks_fan_out_to_every_handler_in_order() -> None:
    events: list[str] = []
    app = Application(Recorder("A", events), Recorder("B", events))
    server, session = FakeServerContext(), FakeSessionContext()

    async def lifecycle() -> None:
        await app.on_server_loaded(server)
        await app.on_session_created(session)
        app.create_document(session)
        await app.on_session_destroyed(session)
        await app.on_server_unloaded(server)

    asyncio.run(lifecycle())
    assert events == [
        "A loaded", "B loaded",
        "A created", "B created",
        "A modify", "B modify",
        "A destroyed", "B destroyed",
        "A unloaded", "B unloaded",
    ]  # fmt: skip


@pytest.mark.parametrize("hook", ["loaded", "unloaded", "created", "destroyed"])
def test_a_failing_hook_is_logged_and_the_others_still_run(
    hook: str, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[str] = []
    app = Application(Recorder("A", events, fail=hook), Recorder("B", events))
    server, session = FakeServerContext(), FakeSessionContext()
    call = {
        "loaded": lambda: app.on_server_loaded(server),
        "unloaded": lambda: app.on_server_unloaded(server),
        "created": lambda: app.on_session_created(session),
        "destroyed": lambda: app.on_session_destroyed(session),
    }[hook]
    with caplog.at_level(logging.ERROR, logger="livedoc.application"):
        asyncio.run(call())
    assert events == [f"B {hook}"]
    [record] = caplog.records
    assert "Recorder" in record.getMessage()
    assert record.exc_info is not None
    assert f"A {hook} broke" in str(record.exc_info[1])


def test_only_one_handler_may_provide_static_files_or_a_template(tmp_path: Path) -> None:
    for name in ("one", "two"):
        write(tmp_path / name / "main.py", "")
        write(tmp_path / name / "static" / "x.css", "")
    write(tmp_path / "one" / "templates" / "index.html", "")
    app = Application(DirectoryHandler(tmp_path / "one"), metadata={"owner": "sales"})
    with pytest.raises(ApplicationError, match="static files"):
        app.add(DirectoryHandler(tmp_path / "two"))
    assert len(app.handlers) == 1
    assert app.metadata == {"owner": "sales"}
    with pytest.raises(TypeError, match="must be a Handler"):
        app.add(lambda doc: None)  # type: ignore[arg-type]


def test_build_application_picks_the_handler_from_the_path(tmp_path: Path) -> None:
    script = write(
        tmp_path / "app.py",
        "import sys\nfrom livedoc.application import curdoc\ncurdoc().title = sys.argv[1]\n",
    )
    notebook = write_notebook(
        tmp_path / "nb.IPYNB",
        [("code", "from livedoc.application import curdoc\ncurdoc().title = 'nb'")],
    )
    write(tmp_path / "dirapp" / "main.py", "")
    cases = {
        script: ScriptHandler,
        notebook: NotebookHandler,
        tmp_path / "dirapp": DirectoryHandler,
    }
    for path, kind in cases.items():
        app = build_application(path, ["arg"])
        [handler] = app.handlers
        assert type(handler) is kind
    assert build_application(str(script), ["from argv"]).create_document().title == "from argv"
    assert build_application(notebook).create_document().title == "nb"


def test_build_application_explains_what_it_cannot_serve(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match="no such file or directory"):
        build_application(tmp_path / "missing.py")
    with pytest.raises(ApplicationError, match=r"\.py scripts, \.ipynb notebooks and directories"):
        build_application(write(tmp_path / "data.csv", "a,b\n"))
    write(tmp_path / "empty" / "README.md", "")
    with pytest.raises(ApplicationError, match=r"no main\.py or main\.ipynb"):
        build_application(tmp_path / "empty")


def test_build_application_with_a_broken_script_still_builds(tmp_path: Path) -> None:
    app = build_application(write(tmp_path / "app.py", "def (\n"))
    [handler] = app.handlers
    assert handler.failed
    doc = app.create_document()
    [failure] = app.errors_for(doc)
    assert failure.error.startswith("SyntaxError")
    assert failure.origin == str(tmp_path / "app.py")


def test_empty_application_serves_an_empty_document() -> None:
    app = empty_application()
    assert app.handlers == ()
    doc = app.create_document()
    assert doc.roots == ()
    assert app.errors_for(doc) == ()
    assert app.static_path is None
    assert app.template_path is None
    assert app.metadata is None

    async def hooks() -> None:
        await app.on_server_loaded(FakeServerContext())
        await app.on_session_created(FakeSessionContext())

    asyncio.run(hooks())
