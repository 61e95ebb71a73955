"""Applications: the code that builds each session's document, between document and server.

An `Application` holds handlers (a function, a script, a notebook, a directory app) that build
every new session's document, and fans the lifecycle hooks out to them. App code reaches the
running document with `curdoc()`, its session with `cursession()`, and the server through
the `ServerContext` / `SessionContext` ABCs, which the server implements. This layer does no
I/O beyond reading app files and running the code in them.
"""

from __future__ import annotations

from livedoc.application.application import (
    Application as Application,
    build_application as build_application,
    empty_application as empty_application,
)
from livedoc.application.contexts import (
    ServerContext as ServerContext,
    SessionContext as SessionContext,
    SessionRequest as SessionRequest,
)
from livedoc.application.curdoc import (
    bound_document as bound_document,
    curdoc as curdoc,
    cursession as cursession,
)
from livedoc.application.errors import ApplicationError as ApplicationError
from livedoc.application.handlers import (
    DirectoryHandler as DirectoryHandler,
    FunctionHandler as FunctionHandler,
    Handler as Handler,
    HandlerFailure as HandlerFailure,
    NotebookHandler as NotebookHandler,
    ScriptHandler as ScriptHandler,
    ServerLifecycleHandler as ServerLifecycleHandler,
)

__all__ = [
    "Application",
    "ApplicationError",
    "DirectoryHandler",
    "FunctionHandler",
    "Handler",
    "HandlerFailure",
    "NotebookHandler",
    "ScriptHandler",
    "ServerContext",
    "ServerLifecycleHandler",
    "SessionContext",
    "SessionRequest",
    "bound_document",
    "build_application",
    "curdoc",
    "cursession",
    "empty_application",
]
