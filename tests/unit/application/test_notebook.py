from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from livedoc.application import NotebookHandler
from livedoc.application.handlers.notebook import NotebookError, notebook_to_script
from livedoc.document import Document

from ._support import write_notebook

if TYPE_CHECKING:
    from pathlib import Path

CELLS: list[tuple[str, str | list[str]]] = [
    ("markdown", "# Sales dashboard\n%not code"),
    (
        "code",
        [
            "%matplotlib inline\n",
            "!pip install nothing\n",
            "from livedoc.application import curdoc\n",
        ],
    ),
    ("code", "get_ipython().run_line_magic('load_ext', 'autoreload')\nparts = []\n"),
    ("code", "for i in range(2):\n    %time parts.append(str(i))\n    parts.append('x')\n"),
    ("code", "%%html\n<b>not python</b>\n"),
    ("code", 'query = """\n%(table)s\n!important\n"""\nparts.append(query.split()[0])\n'),
    (
        "code",
        "total = (7\n         % 4)\nparts.append(str(total))\ncurdoc().title = ' '.join(parts)\n",
    ),
    ("raw", "raw cell"),
]


def run(handler: NotebookHandler) -> Document:
    doc = Document()
    handler.modify_document(doc)
    return doc


def test_code_cells_run_with_ipython_syntax_skipped(tmp_path: Path) -> None:
    handler = NotebookHandler(write_notebook(tmp_path / "app.ipynb", CELLS))
    doc = run(handler)
    assert not handler.failed, handler.error_detail
    # the indented %time line became `pass`; the string kept its %-line; the cell magic was skipped
    assert doc.title == "x x %(table)s 3"


def test_the_script_marks_each_cell_and_keeps_line_positions() -> None:
    script = notebook_to_script(
        {
            "nbformat": 4,
            "cells": [
                {"cell_type": "code", "source": s} for s in ("a = 1", "%%bash\nls", "  !ls\nb = 2")
            ],
        }
    )
    assert script.source == (
        "# cell 1\n"
        "a = 1\n"
        "# cell 2: skipped, it starts with the cell magic %%bash\n"
        "# cell 3\n"
        "  pass  # livedoc skipped IPython syntax: !ls\n"
        "b = 2\n"
    )
    assert script.locate(2) == "cell 1, line 1"
    assert script.locate(6) == "cell 3, line 2"
    assert script.locate(1) == "line 1"


def test_an_error_names_the_cell_and_quotes_its_code(tmp_path: Path) -> None:
    cells: list[tuple[str, str | list[str]]] = [
        ("markdown", "intro"),
        ("code", "x = 1"),
        ("code", "y = 2\nz = {}['missing']\n"),
    ]
    handler = NotebookHandler(write_notebook(tmp_path / "app.ipynb", cells))
    run(handler)
    assert handler.error == "KeyError: 'missing' (app.ipynb, cell 3, line 2)"
    assert handler.error_detail is not None
    assert "z = {}['missing']" in handler.error_detail  # the code, not the notebook's JSON


def test_a_syntax_error_names_the_cell(tmp_path: Path) -> None:
    cells: list[tuple[str, str | list[str]]] = [("code", "a = 1"), ("code", "b = (\n")]
    handler = NotebookHandler(write_notebook(tmp_path / "app.ipynb", cells))
    assert handler.failed
    assert handler.error is not None
    assert handler.error.startswith("SyntaxError: ")
    assert "(app.ipynb, cell 2, line 1)" in handler.error


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "not a notebook object"),
        ('{"nbformat": 3, "worksheets": []}', "only nbformat 4 is supported"),
        ('{"nbformat": 4}', "no list of cells"),
        ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', "cell 1 has a source"),
    ],
)
def test_a_file_that_is_not_a_notebook_fails_the_handler(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(content, encoding="utf-8")
    handler = NotebookHandler(path)
    assert handler.failed
    assert handler.error is not None
    assert handler.error.startswith("bad.ipynb is not a notebook livedoc can run: ")
    assert reason in handler.error
    assert run(handler).roots == ()


def test_notebook_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="notebook object"):
        notebook_to_script("nope")
    assert issubclass(NotebookError, ValueError)
