from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING

import pytest

from livedoc import ColumnDataSource
from livedoc.application import ApplicationError, ScriptHandler, bound_document, curdoc
from livedoc.document import Document

from ._support import write

if TYPE_CHECKING:
    from pathlib import Path

BUILD = """
    from livedoc import ColumnDataSource
    from livedoc.application import curdoc

    doc = curdoc()
    doc.add_root(ColumnDataSource(data={"x": [1, 2, 3]}, name="points"))
    doc.title = "Sales"
"""


def run(handler: ScriptHandler) -> Document:
    doc = Document()
    handler.modify_document(doc)
    return doc


def test_script_builds_the_document_through_curdoc(tmp_path: Path) -> None:
    handler = ScriptHandler(write(tmp_path / "app.py", BUILD))
    default = curdoc()
    doc = run(handler)
    assert not handler.failed
    assert handler.error is None
    assert handler.error_detail is None
    assert doc.title == "Sales"
    [root] = doc.roots
    assert isinstance(root, ColumnDataSource)
    assert root.name == "points"
    assert root.data["x"] == [1, 2, 3]
    assert curdoc() is default  # the binding ended with the run
    assert default.roots == ()


def test_every_document_gets_a_fresh_module(tmp_path: Path) -> None:
    script = """
        from livedoc.application import curdoc

        runs = globals().get("runs", 0) + 1
        curdoc().title = f"{__name__} {runs} {__file__}"
        if __name__ == "__main__":
            curdoc().title = "ran as __main__"
    """
    path = write(tmp_path / "app.py", script)
    handler = ScriptHandler(path)
    first, second = run(handler).title.split(), run(handler).title.split()
    assert first[0].startswith("livedoc_app_")
    assert second[0].startswith("livedoc_app_")
    assert first[0] != second[0]
    assert first[1] == second[1] == "1"
    assert first[2] == str(path.resolve())
    assert first[0] not in sys.modules


def test_sys_argv_and_sys_path_while_running_and_after(tmp_path: Path) -> None:
    write(tmp_path / "helper.py", "ANSWER = 42\n")
    script = """
        import json, sys
        from livedoc.application import curdoc
        import helper

        curdoc().title = json.dumps({"argv": sys.argv, "path0": sys.path[0], "answer": helper.ANSWER})
        sys.path.append("/added/by/the/script")
        sys.argv.append("--added")
    """
    path = write(tmp_path / "app.py", script)
    argv_before, path_before = list(sys.argv), list(sys.path)
    try:
        doc = run(ScriptHandler(str(path), ["--rows", "5"]))
    finally:
        sys.modules.pop("helper", None)
    seen = json.loads(doc.title)
    assert seen == {"argv": [str(path), "--rows", "5"], "path0": str(tmp_path), "answer": 42}
    assert sys.argv == argv_before
    assert sys.path == path_before


def test_the_working_directory_is_restored(tmp_path: Path) -> None:
    path = write(tmp_path / "app.py", f"import os\nos.chdir({str(tmp_path)!r})\n")
    before = os.getcwd()
    handler = ScriptHandler(path)
    run(handler)
    assert not handler.failed
    assert os.getcwd() == before


def test_module_is_importable_while_the_script_runs(tmp_path: Path) -> None:
    # dataclasses look string annotations up in sys.modules[cls.__module__]
    script = """
        from __future__ import annotations

        import dataclasses
        import sys
        from livedoc.application import curdoc

        @dataclasses.dataclass
        class Row:
            x: int
            _: dataclasses.KW_ONLY
            label: str = ""

        assert sys.modules[__name__].Row is Row
        curdoc().title = repr(Row(1, label="a"))
    """
    handler = ScriptHandler(write(tmp_path / "app.py", script))
    doc = run(handler)
    assert not handler.failed, handler.error_detail
    assert doc.title.endswith("Row(x=1, label='a')")


def test_callbacks_defined_by_the_script_keep_their_globals(tmp_path: Path) -> None:
    script = """
        from livedoc.application import curdoc

        COUNT = {"n": 0}

        def tick():
            COUNT["n"] += 1
            curdoc().title = f"ticks: {COUNT['n']}"

        curdoc().add_next_tick_callback(tick)
    """
    doc = run(ScriptHandler(write(tmp_path / "app.py", script)))
    [callback] = doc.session_callbacks
    with bound_document(doc):
        callback.callback()
        callback.callback()
    assert doc.title == "ticks: 2"


def test_a_script_that_raises_marks_the_run_failed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = """
        from livedoc import ColumnDataSource
        from livedoc.application import curdoc

        curdoc().add_root(ColumnDataSource(name="before"))
        def compute():
            return 1 / 0
        compute()
        curdoc().add_root(ColumnDataSource(name="after"))
    """
    handler = ScriptHandler(write(tmp_path / "app.py", script))
    default = curdoc()
    with caplog.at_level(logging.ERROR, logger="livedoc.application"):
        doc = run(handler)
    assert handler.failed
    assert handler.error == "ZeroDivisionError: division by zero (app.py, line 6)"
    detail = handler.error_detail
    assert detail is not None
    assert detail.startswith("Traceback (most recent call last):")
    assert 'app.py", line 7, in <module>' in detail
    assert "return 1 / 0" in detail
    assert "runner.py" not in detail  # livedoc's own frames are trimmed
    assert [root.name for root in doc.roots] == ["before"]
    assert curdoc() is default
    [record] = [r for r in caplog.records if r.name == "livedoc.application"]
    assert record.levelno == logging.ERROR
    assert "ZeroDivisionError" in record.getMessage()
    assert "return 1 / 0" in record.getMessage()


def test_a_failed_run_does_not_stick(tmp_path: Path) -> None:
    flag = tmp_path / "broken"
    script = f"""
        import os
        from livedoc.application import curdoc

        if os.path.exists({str(flag)!r}):
            raise RuntimeError("the data is not there")
        curdoc().title = "fine"
    """
    handler = ScriptHandler(write(tmp_path / "app.py", script))
    flag.touch()
    assert run(handler).title != "fine"
    assert handler.error == "RuntimeError: the data is not there (app.py, line 5)"
    flag.unlink()
    assert run(handler).title == "fine"
    assert not handler.failed


def test_sys_exit_zero_ends_the_script_quietly_but_other_codes_fail(tmp_path: Path) -> None:
    quiet = ScriptHandler(
        write(
            tmp_path / "quiet.py",
            "import sys\nfrom livedoc.application import curdoc\n"
            "curdoc().title = 'early'\nsys.exit()\ncurdoc().title = 'late'\n",
        )
    )
    assert run(quiet).title == "early"
    assert not quiet.failed
    loud = ScriptHandler(write(tmp_path / "loud.py", "import sys\nsys.exit(3)\n"))
    run(loud)
    assert loud.error == "SystemExit: 3 (loud.py, line 2)"


def test_a_syntax_error_fails_the_handler_not_the_constructor(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = """
        from livedoc.application import curdoc

        curdoc().title = ("unclosed"
        x = 1
    """
    with caplog.at_level(logging.ERROR, logger="livedoc.application"):
        handler = ScriptHandler(write(tmp_path / "app.py", script))
    assert handler.failed
    assert handler.error is not None
    assert handler.error.startswith("SyntaxError: ")
    assert handler.error.endswith("(app.py, line 3)")
    assert handler.error_detail is not None
    assert 'curdoc().title = ("unclosed"' in handler.error_detail
    assert "^" in handler.error_detail
    assert any("SyntaxError" in r.getMessage() for r in caplog.records)
    doc = run(handler)
    assert doc.roots == ()
    assert doc.title == Document().title
    assert handler.failed  # permanently


def test_the_source_encoding_declaration_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "app.py"
    path.write_bytes(
        b"# -*- coding: latin-1 -*-\nfrom livedoc.application import curdoc\n"
        b"curdoc().title = 'caf\xe9'\n"
    )
    assert run(ScriptHandler(path)).title == "café"


def test_a_missing_script_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError, match=r"cannot read the app file .*nope\.py"):
        ScriptHandler(tmp_path / "nope.py")


def test_repr_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "app.py", "")
    assert repr(ScriptHandler(str(path))) == f"<ScriptHandler {str(path)!r}>"
    assert ScriptHandler(path).path == str(path)
