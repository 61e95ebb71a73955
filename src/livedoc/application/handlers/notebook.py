"""`NotebookHandler`: a Jupyter notebook's code cells run as one script per document.

The notebook is read as plain JSON (nbformat 4), without Jupyter installed. Code cells are
joined in order, each after a `# cell <n>` comment line (n counts every cell, as they appear
in Jupyter). IPython-only syntax is skipped, because it means nothing outside IPython:

- a line that starts a statement with `%` (line magic) or `!` (shell command), or calls
  `get_ipython()`, becomes `pass` at the same indentation, so blocks around it stay valid and
  line numbers stay put. Lines inside strings, brackets or after a backslash continuation
  are left alone;
- a cell that starts with a `%%` cell magic is skipped whole (its body is usually not Python).

Errors name the cell and the line within it: `(app.ipynb, cell 3, line 2)`.
"""

from __future__ import annotations

import bisect
import json
import os
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from livedoc.application.handlers.base import HandlerFailure
from livedoc.application.handlers.runner import CodeRunner, read_app_file
from livedoc.application.handlers.script import ScriptHandler

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = ["NotebookError", "NotebookHandler", "NotebookScript", "notebook_to_script"]


class NotebookError(ValueError):
    """The JSON is not an nbformat 4 notebook."""


@dataclass(frozen=True, slots=True)
class NotebookScript:
    """A notebook's code as one script, and where each code cell starts in it."""

    source: str
    cell_starts: tuple[tuple[int, int], ...]
    """(first script line of the cell's code, cell number), in script order."""

    def locate(self, lineno: int) -> str:
        """Describe line `lineno` of the script as a position in the notebook."""
        index = bisect.bisect_right([start for start, _ in self.cell_starts], lineno) - 1
        if index < 0:
            return f"line {lineno}"
        start, cell = self.cell_starts[index]
        return f"cell {cell}, line {lineno - start + 1}"


def notebook_to_script(notebook: object) -> NotebookScript:
    """The code cells of a decoded nbformat 4 notebook as one script; `NotebookError` if not."""
    if not isinstance(notebook, dict):
        raise NotebookError("the file holds JSON, but not a notebook object")
    if notebook.get("nbformat") != 4:
        raise NotebookError(
            f"it is nbformat {notebook.get('nbformat')!r}; only nbformat 4 is supported "
            "(open and save it with a current Jupyter to convert it)"
        )
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise NotebookError("it has no list of cells")
    lines: list[str] = []
    starts: list[tuple[int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell.get("source", ""), number)
        if source.lstrip().startswith("%%"):
            magic = source.lstrip().split(None, 1)[0]
            lines.append(f"# cell {number}: skipped, it starts with the cell magic {magic}")
            continue
        lines.append(f"# cell {number}")
        starts.append((len(lines) + 1, number))
        lines.extend(_without_ipython_syntax(source))
    return NotebookScript("".join(line + "\n" for line in lines), tuple(starts))


def _cell_source(source: Any, number: int) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    raise NotebookError(f"cell {number} has a source that is neither text nor a list of lines")


def _is_ipython_line(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("%", "!")) or "get_ipython(" in stripped


def _skipped(line: str) -> str:
    stripped = line.lstrip()
    return f"{line[: len(line) - len(stripped)]}pass  # livedoc skipped IPython syntax: {stripped}"


def _without_ipython_syntax(source: str) -> list[str]:
    """The cell's lines, with IPython lines that start a statement replaced by `pass`.

    The tokenizer pulls lines one at a time; a line is a statement start when the tokens so
    far ended a line (NEWLINE or NL) outside brackets. A continuation line (inside a
    triple-quoted string, brackets, or after a backslash) is read before any such token.
    """
    pending: Iterator[str] = iter(source.splitlines())
    out: list[str] = []
    state = {"start": True, "depth": 0}

    def readline() -> str:
        line = next(pending, None)
        if line is None:
            return ""
        if state["start"] and state["depth"] == 0 and _is_ipython_line(line):
            line = _skipped(line)
        state["start"] = False
        out.append(line)
        return line + "\n"

    try:
        for token in tokenize.generate_tokens(readline):
            if token.type == tokenize.OP and token.string in ("(", "[", "{"):
                state["depth"] += 1
            elif token.type == tokenize.OP and token.string in (")", "]", "}"):
                state["depth"] = max(0, state["depth"] - 1)
            state["start"] = token.type in (tokenize.NEWLINE, tokenize.NL)
    except (tokenize.TokenError, SyntaxError):
        # Not valid Python (the compiler will say where); judge the rest line by line.
        out.extend(_skipped(line) if _is_ipython_line(line) else line for line in pending)
    return out


class NotebookHandler(ScriptHandler):
    """Runs a notebook's code cells for every new document, like `ScriptHandler` runs a file.

    A file that is not an nbformat 4 notebook makes the handler permanently `failed`, as a
    syntax error does.
    """

    def _load(self, path: str, argv: Sequence[str]) -> CodeRunner | HandlerFailure:
        raw = read_app_file(path)
        try:
            script = notebook_to_script(json.loads(raw))
        except (ValueError, RecursionError) as exc:  # NotebookError, JSON and Unicode errors
            reason = str(exc) if isinstance(exc, NotebookError) else f"invalid JSON ({exc})"
            error = f"{os.path.basename(path)} is not a notebook livedoc can run: {reason}"
            return HandlerFailure(path, error, None)
        return CodeRunner(script.source, path, argv, locate=script.locate, register_source=True)
