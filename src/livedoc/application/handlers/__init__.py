"""Handlers: the ways an application builds its documents (function, script, notebook,
directory) and receives its lifecycle hooks."""

from __future__ import annotations

from livedoc.application.handlers.base import Handler as Handler, HandlerFailure as HandlerFailure
from livedoc.application.handlers.directory import DirectoryHandler as DirectoryHandler
from livedoc.application.handlers.function import FunctionHandler as FunctionHandler
from livedoc.application.handlers.lifecycle import (
    ServerLifecycleHandler as ServerLifecycleHandler,
)
from livedoc.application.handlers.notebook import NotebookHandler as NotebookHandler
from livedoc.application.handlers.script import ScriptHandler as ScriptHandler

__all__ = [
    "DirectoryHandler",
    "FunctionHandler",
    "Handler",
    "HandlerFailure",
    "NotebookHandler",
    "ScriptHandler",
    "ServerLifecycleHandler",
]
