from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import pytest

from livedoc.application import (
    Application,
    ApplicationError,
    DirectoryHandler,
    NotebookHandler,
    ScriptHandler,
)
from livedoc.document import Document

from ._support import FakeServerContext, FakeSessionContext, write, write_notebook

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MAIN = """
    from livedoc import ColumnDataSource
    from livedoc.application import curdoc, cursession

    from shared import TITLE

    session = cursession()
    user = session.request.arguments.get("user", [b"nobody"])[0].decode() if session else "nobody"
    curdoc().add_root(ColumnDataSource(data={"x": [1]}, name=user))
    curdoc().title = TITLE
"""

HOOKS = """
    import asyncio

    EVENTS = []

    def on_server_loaded(server_context):
        EVENTS.append("server loaded")
        server_context.events = EVENTS

    def on_server_unloaded(server_context):
        EVENTS.append("server unloaded")

    async def on_session_created(session_context):
        await asyncio.sleep(0)
        EVENTS.append(f"session created {session_context.id}")

    async def on_session_destroyed(session_context):
        await asyncio.sleep(0)
        EVENTS.append(f"session destroyed {session_context.id}")
"""


@pytest.fixture
def app_dir(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "myapp"
    write(root / "main.py", MAIN)
    write(root / "shared.py", "TITLE = 'Directory app'\n")
    write(root / "app_hooks.py", HOOKS)
    write(root / "static" / "style.css", "body {}\n")
    write(root / "templates" / "index.html", "<html>{{ plot_script }}</html>\n")
    yield root
    sys.modules.pop("shared", None)


def test_directory_app_builds_documents_and_serves_its_files(app_dir: Path) -> None:
    handler = DirectoryHandler(app_dir)
    assert not handler.failed
    assert isinstance(handler.main, ScriptHandler)
    assert handler.hooks is not None
    assert handler.hooks.hooks == (
        "on_server_loaded",
        "on_server_unloaded",
        "on_session_created",
        "on_session_destroyed",
    )
    assert handler.static_path() == str(app_dir / "static")
    assert handler.template_path() == str(app_dir / "templates" / "index.html")
    app = Application(handler)
    assert app.static_path == str(app_dir / "static")
    assert app.template_path == str(app_dir / "templates" / "index.html")
    session = FakeSessionContext("s1", payload={"arguments": {"user": [b"ann"]}})
    doc = app.create_document(session)
    assert app.errors_for(doc) == ()
    assert doc.title == "Directory app"
    assert [root.name for root in doc.roots] == ["ann"]


def test_directory_hooks_run_in_lifecycle_order_and_async_ones_are_awaited(app_dir: Path) -> None:
    app = Application(DirectoryHandler(app_dir))
    server = FakeServerContext()
    sessions = [FakeSessionContext(f"s{i}", server) for i in (1, 2)]

    async def lifecycle() -> None:
        await app.on_server_loaded(server)
        for session in sessions:
            await app.on_session_created(session)
            app.create_document(session)
        for session in sessions:
            await app.on_session_destroyed(session)
        await app.on_server_unloaded(server)

    asyncio.run(lifecycle())
    assert server.events == [  # type: ignore[attr-defined]
        "server loaded",
        "session created s1",
        "session created s2",
        "session destroyed s1",
        "session destroyed s2",
        "server unloaded",
    ]


def test_a_directory_without_static_templates_or_hooks(tmp_path: Path) -> None:
    write(
        tmp_path / "plain" / "main.py",
        "from livedoc.application import curdoc\ncurdoc().title = 'plain'\n",
    )
    handler = DirectoryHandler(tmp_path / "plain")
    assert handler.hooks is None
    assert handler.static_path() is None
    assert handler.template_path() is None
    doc = Document()
    handler.modify_document(doc)
    assert doc.title == "plain"

    async def hooks() -> None:
        await Application(handler).on_session_created(FakeSessionContext())

    asyncio.run(hooks())


def test_main_ipynb_is_the_script_when_there_is_no_main_py(tmp_path: Path) -> None:
    root = tmp_path / "nbapp"
    root.mkdir()
    write_notebook(
        root / "main.ipynb",
        [("code", "from livedoc.application import curdoc\ncurdoc().title = 'nb'\n")],
    )
    handler = DirectoryHandler(root)
    assert isinstance(handler.main, NotebookHandler)
    doc = Document()
    handler.modify_document(doc)
    assert doc.title == "nb"


def test_a_directory_without_main_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "app" / "app_hooks.py", "")
    with pytest.raises(ApplicationError, match=r"has no main\.py or main\.ipynb"):
        DirectoryHandler(tmp_path / "app")


def test_a_directory_with_both_mains_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "app" / "main.py", "")
    write_notebook(tmp_path / "app" / "main.ipynb", [])
    with pytest.raises(ApplicationError, match=r"both main\.py and main\.ipynb"):
        DirectoryHandler(tmp_path / "app")


def test_a_file_is_not_a_directory_app(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match="is not a directory"):
        DirectoryHandler(write(tmp_path / "main.py", ""))


def test_broken_hooks_are_reported_with_every_document_but_main_still_runs(tmp_path: Path) -> None:
    write(
        tmp_path / "app" / "main.py",
        "from livedoc.application import curdoc\ncurdoc().title = 'main ran'\n",
    )
    write(tmp_path / "app" / "app_hooks.py", "def on_session_created(:\n    pass\n")
    handler = DirectoryHandler(tmp_path / "app")
    assert handler.failed
    assert handler.error is not None
    assert handler.error.startswith("SyntaxError")
    assert "app_hooks.py, line 1" in handler.error
    app = Application(handler)
    doc = app.create_document()
    assert doc.title == "main ran"
    [failure] = app.errors_for(doc)
    assert failure.origin.endswith("app_hooks.py")
