"""`DirectoryHandler`: a directory app, like `bokeh serve myapp/`.

::

    myapp/
    ├── main.py            the script run for every document (or main.ipynb, not both)
    ├── app_hooks.py       optional: on_server_loaded, on_server_unloaded,
    │                      on_session_created, on_session_destroyed
    ├── static/            optional: files served under the app's static/ route
    └── templates/
        └── index.html     optional: the page template

The directory is first on `sys.path` while `main.py` and `app_hooks.py` run, so they can
import the app's other modules.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from livedoc.application.errors import ApplicationError
from livedoc.application.handlers.base import Handler, HandlerFailure
from livedoc.application.handlers.lifecycle import ServerLifecycleHandler
from livedoc.application.handlers.notebook import NotebookHandler
from livedoc.application.handlers.script import ScriptHandler

if TYPE_CHECKING:
    from collections.abc import Awaitable, Sequence

    from livedoc.application.contexts import ServerContext, SessionContext
    from livedoc.document import Document

__all__ = ["DirectoryHandler"]


class DirectoryHandler(Handler):
    """Serves a directory app: its main script, its hooks, static files and page template.

    A path that is not a directory, or a directory without exactly one of `main.py` and
    `main.ipynb`, raises `ApplicationError`. `failure` is the main script's, or else that of
    `app_hooks.py` (a hooks file that fails to load is reported with every document).
    """

    def __init__(self, path: str | os.PathLike[str], argv: Sequence[str] = ()) -> None:
        super().__init__()
        self._path = os.path.abspath(os.fspath(path))
        if not os.path.isdir(self._path):
            raise ApplicationError(f"{os.fspath(path)} is not a directory")
        main_py = os.path.join(self._path, "main.py")
        main_ipynb = os.path.join(self._path, "main.ipynb")
        if os.path.isfile(main_py) and os.path.isfile(main_ipynb):
            raise ApplicationError(
                f"the directory app {self._path} has both main.py and main.ipynb; keep one"
            )
        self._main: ScriptHandler
        if os.path.isfile(main_py):
            self._main = ScriptHandler(main_py, argv)
        elif os.path.isfile(main_ipynb):
            self._main = NotebookHandler(main_ipynb, argv)
        else:
            raise ApplicationError(
                f"the directory app {self._path} has no main.py or main.ipynb: a directory app "
                "runs its main.py (or main.ipynb) for every session"
            )
        hooks = os.path.join(self._path, "app_hooks.py")
        self._hooks = ServerLifecycleHandler(hooks, argv) if os.path.isfile(hooks) else None
        static = os.path.join(self._path, "static")
        self._static = static if os.path.isdir(static) else None
        template = os.path.join(self._path, "templates", "index.html")
        self._template = template if os.path.isfile(template) else None

    @property
    def path(self) -> str:
        return self._path

    @property
    def main(self) -> ScriptHandler:
        """The handler of `main.py` (a `NotebookHandler` for `main.ipynb`)."""
        return self._main

    @property
    def hooks(self) -> ServerLifecycleHandler | None:
        """The handler of `app_hooks.py`, if the directory has one."""
        return self._hooks

    @property
    def failure(self) -> HandlerFailure | None:
        if self._main.failure is not None:
            return self._main.failure
        return None if self._hooks is None else self._hooks.failure

    def modify_document(self, doc: Document) -> None:
        self._main.modify_document(doc)

    def on_server_loaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        return None if self._hooks is None else self._hooks.on_server_loaded(server_context)

    def on_server_unloaded(self, server_context: ServerContext) -> Awaitable[None] | None:
        return None if self._hooks is None else self._hooks.on_server_unloaded(server_context)

    async def on_session_created(self, session_context: SessionContext) -> None:
        if self._hooks is not None:
            await self._hooks.on_session_created(session_context)

    async def on_session_destroyed(self, session_context: SessionContext) -> None:
        if self._hooks is not None:
            await self._hooks.on_session_destroyed(session_context)

    def static_path(self) -> str | None:
        return self._static

    def template_path(self) -> str | None:
        return self._template

    def __repr__(self) -> str:
        return f"<DirectoryHandler {self._path!r}>"
