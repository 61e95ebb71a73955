"""Small real implementations of the context ABCs, and a helper to write app files."""

from __future__ import annotations

import inspect
import json
import textwrap
from typing import TYPE_CHECKING, Any

from livedoc.application import ServerContext, SessionContext
from livedoc.document import Document

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path


def write(path: Path, text: str) -> Path:
    """Write dedented `text` to `path` (creating its directory) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def write_notebook(path: Path, cells: list[tuple[str, str | list[str]]], nbformat: int = 4) -> Path:
    """Write an nbformat notebook whose cells are (cell_type, source) pairs."""
    notebook = {
        "nbformat": nbformat,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [
            {"cell_type": kind, "metadata": {}, "source": source}
            | ({"outputs": [], "execution_count": None} if kind == "code" else {})
            for kind, source in cells
        ],
    }
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


class FakeServerContext(ServerContext):
    def __init__(self) -> None:
        self.callbacks: dict[str, tuple[str, Callable[[], Any], float]] = {}
        self.session_contexts: list[SessionContext] = []

    @property
    def sessions(self) -> Sequence[SessionContext]:
        return list(self.session_contexts)

    def _add(self, kind: str, callback: Callable[[], Any], ms: float) -> str:
        callback_id = f"cb{len(self.callbacks)}"
        self.callbacks[callback_id] = (kind, callback, ms)
        return callback_id

    def add_next_tick_callback(self, callback: Callable[[], Any]) -> str:
        return self._add("next_tick", callback, 0)

    def add_timeout_callback(self, callback: Callable[[], Any], timeout_milliseconds: float) -> str:
        return self._add("timeout", callback, timeout_milliseconds)

    def add_periodic_callback(self, callback: Callable[[], Any], period_milliseconds: float) -> str:
        return self._add("periodic", callback, period_milliseconds)

    def remove_callback(self, callback_id: str) -> None:
        if self.callbacks.pop(callback_id, None) is None:
            raise ValueError(callback_id)


class FakeSessionContext(SessionContext):
    def __init__(
        self,
        session_id: str = "s1",
        server_context: ServerContext | None = None,
        payload: Mapping[str, Any] | None = None,
        document: Document | None = None,
    ) -> None:
        self._id = session_id
        self._server_context = server_context or FakeServerContext()
        self._payload = dict(payload or {})
        self.document = document or Document()
        self.is_destroyed = False

    @property
    def id(self) -> str:
        return self._id

    @property
    def server_context(self) -> ServerContext:
        return self._server_context

    @property
    def token_payload(self) -> Mapping[str, Any]:
        return self._payload

    @property
    def destroyed(self) -> bool:
        return self.is_destroyed

    async def with_locked_document(self, func: Callable[[Document], Any]) -> Any:
        result = func(self.document)
        if inspect.isawaitable(result):
            result = await result
        return result
