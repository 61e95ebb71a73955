"""The application layer stays between document and server: no I/O machinery, no bokeh."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = {
    "tornado",
    "asyncio",
    "socket",
    "socketserver",
    "selectors",
    "ssl",
    "http",
    "urllib",
    "bokeh",
}


def test_importing_the_application_layer_loads_no_io_modules() -> None:
    code = "import json, sys\nimport livedoc.application\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    modules = json.loads(out)
    loaded = {name.split(".")[0] for name in modules}
    assert not loaded & FORBIDDEN, sorted(loaded & FORBIDDEN)
    assert not [name for name in modules if name.startswith(("livedoc.server", "livedoc.cli"))]


def test_public_api() -> None:
    import livedoc.application as application

    assert sorted(application.__all__) == [
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
