"""Compile app code once; run it in a fresh module for every document.

A run gets what `python app.py` would give the script: `__file__`, `sys.argv` set to
`[path, *argv]`, and the script's directory first on `sys.path` (so sibling modules import).
The module's name is unique (`livedoc_app_<hex>`), so `if __name__ == "__main__":` blocks do
not run, and no two sessions share globals. The module is in `sys.modules` while the code runs
(dataclasses, typing and pickle look a class's module up there) and is taken out afterwards,
so finished sessions leave nothing behind; the functions the script defined keep their
globals. `sys.argv`, `sys.path`, `sys.modules` and the working directory are process-wide, so
runs take a process-wide lock and put all of them back when they end.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import secrets
import sys
import threading
import traceback
from types import ModuleType
from typing import TYPE_CHECKING

from livedoc.application.errors import ApplicationError
from livedoc.application.handlers.base import HandlerFailure, exception_failure

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from types import CodeType

__all__ = ["CodeRunner", "read_app_file"]

_environment_lock = threading.RLock()


def read_app_file(path: str) -> bytes:
    """The bytes of an app file; an `ApplicationError` saying why when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ApplicationError(f"cannot read the app file {path}: {exc.strerror or exc}") from None


class CodeRunner:
    """One app file, compiled once and run any number of times.

    `source` is the file's bytes (their encoding declaration is honoured) or text derived
    from it (a notebook's code cells, then `register_source=True` makes tracebacks quote that
    text instead of the file). `locate(lineno)` describes a line of `source` for error
    messages ("line 3" by default). A source that does not compile leaves `code` None and
    says why in `failure`.
    """

    def __init__(
        self,
        source: str | bytes,
        path: str,
        argv: Sequence[str] = (),
        *,
        locate: Callable[[int], str] | None = None,
        register_source: bool = False,
    ) -> None:
        self.origin = path
        self.path = os.path.abspath(path)
        self.argv = (path, *argv)
        self.locate = locate
        self.code: CodeType | None = None
        self.failure: HandlerFailure | None = None
        self._lines: list[str] | None = None
        if register_source and isinstance(source, str):
            self._lines = source.splitlines(keepends=True)
        try:
            self.code = compile(source, self.path, "exec", dont_inherit=True)
        except SyntaxError as exc:
            self.failure = self._syntax_failure(exc)
        except ValueError as exc:  # NUL bytes in the source (a SyntaxError from Python 3.12)
            self.failure = HandlerFailure(self.origin, f"{type(exc).__name__}: {exc}", None)

    def new_module(self) -> ModuleType:
        """A fresh, empty module for one run."""
        module = ModuleType(f"livedoc_app_{secrets.token_hex(16)}")
        module.__file__ = self.path
        return module

    def run(self, module: ModuleType) -> HandlerFailure | None:
        """Execute the code in `module`; return why it failed, or None.

        `sys.exit()` / `sys.exit(0)` end the code early without failing; any other exit code,
        and any exception, is a failure. `KeyboardInterrupt` propagates.
        """
        if self.code is None:
            raise RuntimeError(f"{self.origin} did not compile; check `failure` before running")
        if self._lines is not None:
            # mtime None: linecache.checkcache() keeps the entry instead of rereading the file.
            linecache.cache[self.path] = (sum(map(len, self._lines)), None, self._lines, self.path)
        with _environment_lock, self._environment(module):
            try:
                exec(self.code, module.__dict__)
            except SystemExit as exc:
                if exc.code is None or exc.code == 0:
                    return None
                return self._run_failure(exc)
            except Exception as exc:
                return self._run_failure(exc)
        return None

    @contextlib.contextmanager
    def _environment(self, module: ModuleType) -> Iterator[None]:
        saved_argv, saved_path, saved_entries = sys.argv, sys.path, list(sys.path)
        try:
            saved_cwd: str | None = os.getcwd()
        except OSError:  # the working directory was deleted
            saved_cwd = None
        sys.argv = list(self.argv)
        sys.path.insert(0, os.path.dirname(self.path))
        sys.modules[module.__name__] = module
        try:
            yield
        finally:
            if sys.modules.get(module.__name__) is module:
                del sys.modules[module.__name__]
            sys.argv = saved_argv
            sys.path = saved_path
            sys.path[:] = saved_entries
            if saved_cwd is not None:
                with contextlib.suppress(OSError):
                    os.chdir(saved_cwd)

    def _run_failure(self, exc: BaseException) -> HandlerFailure:
        return exception_failure(
            self.origin, exc, runner_file=_RUNNER_FILE, app_file=self.path, locate=self.locate
        )

    def _syntax_failure(self, exc: SyntaxError) -> HandlerFailure:
        where = ""
        if exc.lineno is not None:
            line = self.locate(exc.lineno) if self.locate is not None else f"line {exc.lineno}"
            where = f" ({os.path.basename(self.path)}, {line})"
        detail = "".join(traceback.format_exception_only(type(exc), exc))
        return HandlerFailure(self.origin, f"{type(exc).__name__}: {exc.msg}{where}", detail)


_RUNNER_FILE = CodeRunner.run.__code__.co_filename
