from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest

from livedoc.application import Application, FunctionHandler, ServerLifecycleHandler

from ._support import FakeServerContext, FakeSessionContext, write

if TYPE_CHECKING:
    from pathlib import Path


def test_the_hooks_file_runs_once_not_per_document(tmp_path: Path) -> None:
    log_file = tmp_path / "loads.txt"
    hooks = write(
        tmp_path / "app_hooks.py",
        f"with open({str(log_file)!r}, 'a') as f:\n    f.write('load\\n')\n",
    )
    app = Application(ServerLifecycleHandler(hooks), FunctionHandler(lambda doc: None))
    for _ in range(3):
        app.create_document()
    assert log_file.read_text() == "load\n"


def test_sync_and_async_hooks_receive_their_context(tmp_path: Path) -> None:
    hooks = write(
        tmp_path / "app_hooks.py",
        """
        import asyncio

        def on_server_loaded(server_context):
            server_context.add_periodic_callback(lambda: None, 1000)

        async def on_server_unloaded(server_context):
            await asyncio.sleep(0)
            server_context.remove_callback("cb0")

        def on_session_created(session_context):
            session_context.note = "created (sync)"

        async def on_session_destroyed(session_context):
            await asyncio.sleep(0)
            await session_context.with_locked_document(lambda doc: setattr(doc, "title", "bye"))
        """,
    )
    handler = ServerLifecycleHandler(hooks)
    assert not handler.failed
    server = FakeServerContext()
    session = FakeSessionContext("s1", server)

    async def main() -> None:
        app = Application(handler)
        await app.on_server_loaded(server)
        assert list(server.callbacks) == ["cb0"]
        await app.on_session_created(session)
        await app.on_session_destroyed(session)
        await app.on_server_unloaded(server)

    asyncio.run(main())
    assert server.callbacks == {}
    assert session.note == "created (sync)"  # type: ignore[attr-defined]
    assert session.document.title == "bye"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "on_session_created = 5\n",
            "on_session_created in app_hooks.py must be a function taking one argument (the session context)",
        ),
        (
            "def on_server_loaded():\n    pass\n",
            "on_server_loaded in app_hooks.py must be a function taking one argument (the server context)",
        ),
        (
            "raise ImportError('no such thing')\n",
            "ImportError: no such thing (app_hooks.py, line 1)",
        ),
    ],
)
def test_bad_hooks_files_fail_the_handler_and_call_nothing(
    tmp_path: Path, source: str, message: str
) -> None:
    source += "def on_session_destroyed(ctx):\n    raise AssertionError('must not be called')\n"
    handler = ServerLifecycleHandler(write(tmp_path / "app_hooks.py", source))
    assert handler.failed
    assert handler.error == message
    assert handler.hooks == ()

    async def main() -> None:
        await Application(handler).on_session_destroyed(FakeSessionContext())

    asyncio.run(main())


def test_a_failing_hook_is_logged_and_the_other_handlers_still_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    failing = write(
        tmp_path / "a" / "app_hooks.py",
        "async def on_session_created(ctx):\n    raise RuntimeError('hook broke')\n",
    )
    working = write(
        tmp_path / "b" / "app_hooks.py",
        "def on_session_created(ctx):\n    ctx.reached = True\n",
    )
    app = Application(ServerLifecycleHandler(failing), ServerLifecycleHandler(working))
    session = FakeSessionContext()
    with caplog.at_level(logging.ERROR, logger="livedoc.application"):
        asyncio.run(app.on_session_created(session))
    assert session.reached  # type: ignore[attr-defined]
    [record] = caplog.records
    assert record.name == "livedoc.application"
    assert "on_session_created" in record.getMessage()
    assert record.exc_info is not None
    assert "hook broke" in str(record.exc_info[1])


def test_the_hooks_handler_adds_nothing_to_documents(tmp_path: Path) -> None:
    handler = ServerLifecycleHandler(write(tmp_path / "app_hooks.py", ""))
    doc = Application(handler).create_document()
    assert doc.roots == ()
    assert handler.path == str(tmp_path / "app_hooks.py")
    assert repr(handler) == f"<ServerLifecycleHandler {handler.path!r}>"
