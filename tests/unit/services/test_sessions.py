"""Jupyter session records in SQLite: created, found by any column, updated, deleted; kept in a
file across a reopen; a path that is not an SQLite file is refused clearly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from livedoc.services.sessions import SessionRecords

if TYPE_CHECKING:
    from pathlib import Path


def test_records_are_found_updated_and_deleted() -> None:
    records = SessionRecords()
    first = records.create(path="a.ipynb", name="a", type="notebook", kernel_id="k1")
    records.create(path="b.py", name="b", type="console", kernel_id="k1")
    assert records.find(path="a.ipynb") == first
    assert [r.path for r in records.all()] == ["a.ipynb", "b.py"]
    assert records.find(kernel_id="k1", type="console").path == "b.py"
    updated = records.update(first.session_id, path="c.ipynb", name=None)
    assert (updated.path, updated.name) == ("c.ipynb", "a")  # None leaves a column as it is
    assert records.delete(first.session_id)
    assert not records.delete(first.session_id)
    assert records.find(session_id=first.session_id) is None
    with pytest.raises(TypeError, match="no session column 'colour'"):
        records.find(colour="red")
    with pytest.raises(TypeError, match="cannot update session column 'colour'"):
        records.update(first.session_id, colour="red")


def test_a_file_keeps_records_and_a_wrong_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    records = SessionRecords(path)
    made = records.create(path="a.ipynb", name="a", type="notebook", kernel_id="k1")
    records.close()
    again = SessionRecords(path)
    assert again.find(path="a.ipynb") == made
    again.close()
    (tmp_path / "notes.txt").write_text("not a database")
    with pytest.raises(ValueError, match="is not an SQLite database"):
        SessionRecords(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="is a directory"):
        SessionRecords(tmp_path)
