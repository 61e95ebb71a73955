"""The contents manager behind `/api/contents`, on real directories: the model shapes Jupyter
clients read, paths that must never leave the root, saves (whole, chunked, atomic), untitled
and copy names, renames, deletes and checkpoints."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.services.contents import ContentsError, ContentsManager

if TYPE_CHECKING:
    from pathlib import Path

MODEL_KEYS = {
    "name", "path", "type", "writable", "created", "last_modified", "size",
    "mimetype", "content", "format", "hash", "hash_algorithm",
}  # fmt: skip
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "source": "print('é')",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
    ],
    "metadata": {},
    "nbformat": 4,
    "nbformat_minor": 5,
}
as_root = os.geteuid() == 0


@pytest.fixture
def root(tmp_path: Path) -> Path:
    served = tmp_path / "root"
    served.mkdir()
    return served


@pytest.fixture
def cm(root: Path) -> ContentsManager:
    return ContentsManager(root)


class refused:
    """`with refused(404, "does not exist"):` expects a ContentsError with that status and a
    message matching the regular expression."""

    def __init__(self, status: int, match: str) -> None:
        self.status, self.match = status, match

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _tb: object
    ) -> bool:
        assert isinstance(error, ContentsError), (
            f"expected ContentsError {self.status}, got {error!r}"
        )
        assert error.status == self.status, f"status {error.status} ({error.message})"
        assert re.search(self.match, error.message), error.message
        return True


def names(model: dict[str, Any]) -> list[str]:
    return [child["name"] for child in model["content"]]


def write_notebook(path: Path, notebook: object = NOTEBOOK) -> None:
    path.write_text(json.dumps(notebook), encoding="utf-8")


# -- model shapes ---------------------------------------------------------------------------------


def test_root_directory_model(cm: ContentsManager, root: Path) -> None:
    (root / "b.txt").write_text("hi")
    (root / "a").mkdir()
    write_notebook(root / "c.ipynb")
    model = cm.get("")
    assert set(model) == MODEL_KEYS
    assert (model["name"], model["path"], model["type"]) == ("", "", "directory")
    assert (model["format"], model["size"], model["mimetype"]) == ("json", None, None)
    assert model["writable"] is True
    assert TIMESTAMP.fullmatch(model["created"])
    assert TIMESTAMP.fullmatch(model["last_modified"])
    assert names(model) == ["a", "b.txt", "c.ipynb"]
    kinds = {child["name"]: child["type"] for child in model["content"]}
    assert kinds == {"a": "directory", "b.txt": "file", "c.ipynb": "notebook"}
    for child in model["content"]:
        assert set(child) == MODEL_KEYS
        assert child["content"] is None
        assert child["format"] is None
    assert cm.get("/", content=False)["content"] is None


def test_subdirectory_model_has_paths_from_the_root(cm: ContentsManager, root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x.txt").write_text("x")
    model = cm.get("/a/b/")
    assert (model["name"], model["path"]) == ("b", "a/b")
    assert model["content"][0]["path"] == "a/b/x.txt"
    assert model["content"][0]["mimetype"] == "text/plain"


def test_text_file_model(cm: ContentsManager, root: Path) -> None:
    (root / "hello.txt").write_bytes("héllo\r\n".encode())
    model = cm.get("hello.txt")
    assert set(model) == MODEL_KEYS
    assert model["content"] == "héllo\r\n"  # exactly the bytes, no newline translation
    assert (model["type"], model["format"], model["mimetype"]) == ("file", "text", "text/plain")
    assert model["size"] == len("héllo\r\n".encode())
    assert (model["hash"], model["hash_algorithm"]) == (None, None)


def test_text_without_extension_is_text_plain(cm: ContentsManager, root: Path) -> None:
    (root / "README").write_text("read me")
    assert cm.get("README")["mimetype"] == "text/plain"


def test_binary_file_falls_back_to_base64(cm: ContentsManager, root: Path) -> None:
    blob = bytes(range(256))
    (root / "blob").write_bytes(blob)
    model = cm.get("blob")
    assert model["format"] == "base64"
    assert base64.b64decode(model["content"]) == blob
    assert model["mimetype"] == "application/octet-stream"


def test_mimetype_comes_from_the_extension(cm: ContentsManager, root: Path) -> None:
    (root / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "data.json").write_text("{}")
    assert cm.get("pic.png")["mimetype"] == "image/png"
    assert cm.get("data.json")["mimetype"] == "application/json"


def test_requested_format_wins(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("abc")
    model = cm.get("a.txt", format="base64")
    assert (model["format"], base64.b64decode(model["content"])) == ("base64", b"abc")


def test_text_format_for_non_utf8_bytes_is_400(cm: ContentsManager, root: Path) -> None:
    (root / "latin.txt").write_bytes("café".encode("latin-1"))
    with refused(400, "not UTF-8"):
        cm.get("latin.txt", format="text")


def test_bad_format_is_400(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("abc")
    with refused(400, "format 'json' is invalid"):
        cm.get("a.txt", format="json")


def test_content_false_leaves_content_and_format_out(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("abc")
    write_notebook(root / "n.ipynb")
    for path in ("a.txt", "n.ipynb"):
        model = cm.get(path, content=False)
        assert set(model) == MODEL_KEYS
        assert model["content"] is None
        assert model["format"] is None
        assert model["size"] == (root / path).stat().st_size


def test_hash_is_the_digest_of_the_bytes(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("abc")
    write_notebook(root / "n.ipynb")
    for path in ("a.txt", "n.ipynb"):
        model = cm.get(path, content=False, hash=True)
        assert model["hash"] == hashlib.sha256((root / path).read_bytes()).hexdigest()
        assert model["hash_algorithm"] == "sha256"
        assert model["content"] is None


def test_hash_algorithm_is_configurable(root: Path) -> None:
    (root / "a.txt").write_text("abc")
    model = ContentsManager(root, hash_algorithm="md5").get("a.txt", hash=True)
    assert (model["hash"], model["hash_algorithm"]) == (hashlib.md5(b"abc").hexdigest(), "md5")
    with pytest.raises(ValueError, match="not a usable hash"):
        ContentsManager(root, hash_algorithm="nope")


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        ContentsManager(tmp_path / "missing")


def test_notebook_model(cm: ContentsManager, root: Path) -> None:
    write_notebook(root / "n.ipynb")
    model = cm.get("n.ipynb")
    assert set(model) == MODEL_KEYS  # no "message": it is valid
    assert model["content"] == NOTEBOOK
    assert (model["type"], model["format"], model["mimetype"]) == ("notebook", "json", None)


def test_invalid_notebook_is_returned_with_a_message(cm: ContentsManager, root: Path) -> None:
    write_notebook(root / "old.ipynb", {"nbformat": 3, "worksheets": []})
    write_notebook(
        root / "cells.ipynb", {**NOTEBOOK, "cells": [{"cell_type": "weird", "source": ""}]}
    )
    old = cm.get("old.ipynb")
    assert old["content"] == {"nbformat": 3, "worksheets": []}
    assert "nbformat is 3" in old["message"]
    assert "cell 0" in cm.get("cells.ipynb")["message"]


def test_broken_notebook_json_is_400(cm: ContentsManager, root: Path) -> None:
    (root / "bad.ipynb").write_text('{"cells": [')
    with refused(400, "unreadable notebook 'bad.ipynb'"):
        cm.get("bad.ipynb")
    assert cm.get("bad.ipynb", type="file")["content"] == '{"cells": ['


def test_absurdly_nested_notebook_is_400(cm: ContentsManager, root: Path) -> None:
    (root / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    with refused(400, "unreadable notebook"):
        cm.get("deep.ipynb")


def test_requested_type_chooses_the_reading(cm: ContentsManager, root: Path) -> None:
    write_notebook(root / "n.ipynb")
    write_notebook(root / "n.json")
    as_file = cm.get("n.ipynb", type="file")
    assert (as_file["type"], as_file["format"]) == ("file", "text")
    assert json.loads(as_file["content"]) == NOTEBOOK
    assert cm.get("n.json", type="notebook")["content"] == NOTEBOOK
    assert cm.get("n.ipynb", type="bogus")["type"] == "file"  # unknown types mean "file"


def test_type_mismatch_is_400(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "a.txt").write_text("a")
    with refused(400, "not a directory"):
        cm.get("a.txt", type="directory")
    with refused(400, "is a directory, not a notebook"):
        cm.get("d", type="notebook")
    with refused(400, "is a directory, not a file"):
        cm.get("d", type="bogus")


def test_missing_path_is_404(cm: ContentsManager) -> None:
    with refused(404, "'nope/x.txt' does not exist"):
        cm.get("nope/x.txt")
    with refused(404, "does not exist"):
        cm.last_modified("nope")


def test_last_modified_is_the_mtime(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("a")
    os.utime(root / "a.txt", (1_700_000_000.25, 1_700_000_000.25))
    assert cm.last_modified("a.txt") == 1_700_000_000.25
    assert cm.get("a.txt")["last_modified"] == "2023-11-14T22:13:20.250000Z"


@pytest.mark.skipif(as_root, reason="root may write anything")
def test_read_only_file_is_not_writable(cm: ContentsManager, root: Path) -> None:
    (root / "ro.txt").write_text("ro")
    (root / "ro.txt").chmod(0o444)
    assert cm.get("ro.txt")["writable"] is False
    with refused(403, "permission denied"):
        cm.save({"type": "file", "format": "text", "content": "x"}, "ro.txt")


# -- paths ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["..", "../secret.txt", "a/../../secret.txt", "a/../a.txt"])
def test_dotdot_is_refused(cm: ContentsManager, root: Path, path: str) -> None:
    (root.parent / "secret.txt").write_text("secret")
    (root / "a").mkdir()
    (root / "a.txt").write_text("a")
    with refused(404, "not a path inside the root"):
        cm.get(path)
    with refused(404, "not a path inside the root"):
        cm.save({"type": "file", "format": "text", "content": "x"}, path)
    assert (root.parent / "secret.txt").read_text() == "secret"


def test_absolute_paths_are_relative_to_the_root(cm: ContentsManager, root: Path) -> None:
    (root / "etc").mkdir()
    with refused(404, "does not exist"):
        cm.get("/etc/passwd")  # never the system's /etc/passwd
    (root / "etc" / "passwd").write_text("mine")
    assert cm.get("//etc//passwd/")["content"] == "mine"


def test_symlinks_out_of_the_root_are_never_served(cm: ContentsManager, root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (root / "file-link").symlink_to(outside / "secret.txt")
    (root / "dir-link").symlink_to(outside)
    with refused(403, "outside the root"):
        cm.get("file-link")
    with refused(403, "outside the root"):
        cm.get("dir-link/secret.txt")
    with refused(403, "outside the root"):
        cm.save({"type": "file", "format": "text", "content": "pwned"}, "dir-link/new.txt")
    with refused(403, "outside the root"):
        cm.rename("dir-link/secret.txt", "stolen.txt")
    assert not (outside / "new.txt").exists()
    assert (outside / "secret.txt").read_text() == "secret"
    assert names(cm.get("")) == []  # and they are not listed


def test_symlinks_inside_the_root_are_followed(cm: ContentsManager, root: Path) -> None:
    (root / "real.txt").write_text("real")
    (root / "link.txt").symlink_to(root / "real.txt")
    (root / "broken").symlink_to(root / "gone")
    assert cm.get("link.txt")["content"] == "real"
    assert names(cm.get("")) == ["link.txt", "real.txt"]  # the broken link is left out
    cm.save({"type": "file", "format": "text", "content": "new"}, "link.txt")
    assert (root / "link.txt").is_symlink()
    assert (root / "real.txt").read_text() == "new"


def test_hidden_files_are_refused_and_not_listed(cm: ContentsManager, root: Path) -> None:
    (root / ".env").write_text("SECRET=1")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text("[core]")
    (root / "visible.txt").write_text("v")
    assert names(cm.get("")) == ["visible.txt"]
    with refused(404, "hidden"):
        cm.get(".env")
    with refused(404, "hidden"):
        cm.get(".git/config")
    with refused(400, "hidden files and directories cannot be created"):
        cm.save({"type": "file", "format": "text", "content": "x"}, ".bashrc")
    with refused(404, "hidden"):
        cm.delete(".env")
    assert (root / ".env").exists()


def test_allow_hidden_serves_dot_files_but_never_lists_checkpoints(root: Path) -> None:
    cm = ContentsManager(root, allow_hidden=True)
    (root / ".env").write_text("SECRET=1")
    (root / "n.ipynb").write_text(json.dumps(NOTEBOOK))
    cm.create_checkpoint("n.ipynb")
    assert cm.get(".env")["content"] == "SECRET=1"
    assert names(cm.get("")) == [".env", "n.ipynb"]


def test_hide_globs_leave_caches_out_of_listings(cm: ContentsManager, root: Path) -> None:
    (root / "__pycache__").mkdir()
    (root / "m.pyc").write_bytes(b"\0")
    (root / "notes.txt~").write_text("backup")
    (root / "m.py").write_text("x = 1")
    assert names(cm.get("")) == ["m.py"]
    assert cm.get("notes.txt~")["content"] == "backup"  # hidden from listings only


def test_fifos_are_left_out_of_listings(cm: ContentsManager, root: Path) -> None:
    os.mkfifo(root / "pipe")
    (root / "a.txt").write_text("a")
    assert names(cm.get("")) == ["a.txt"]


# -- saving ---------------------------------------------------------------------------------------


def test_save_creates_then_overwrites(cm: ContentsManager, root: Path) -> None:
    model, created = cm.save({"type": "file", "format": "text", "content": "one"}, "a.txt")
    assert created is True
    assert set(model) == MODEL_KEYS
    assert (model["path"], model["type"], model["content"], model["format"]) == (
        "a.txt",
        "file",
        None,
        None,
    )
    model, created = cm.save({"type": "file", "format": "text", "content": "two"}, "/a.txt")
    assert created is False
    assert (root / "a.txt").read_text() == "two"
    assert model["size"] == 3


def test_save_base64(cm: ContentsManager, root: Path) -> None:
    blob = bytes(range(256))
    cm.save(
        {"type": "file", "format": "base64", "content": base64.b64encode(blob).decode()}, "b.bin"
    )
    assert (root / "b.bin").read_bytes() == blob
    with refused(400, "not valid base64"):
        cm.save({"type": "file", "format": "base64", "content": "abc"}, "c.bin")
    assert not (root / "c.bin").exists()


def test_save_text_without_format_means_text(cm: ContentsManager, root: Path) -> None:
    cm.save({"type": "file", "content": "plain"}, "p.txt")
    assert (root / "p.txt").read_text() == "plain"


def test_save_refuses_bad_models(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    with refused(400, "copy_from"):
        cm.save({"copy_from": "a.txt"}, "b.txt")
    with refused(400, "type is 'file', 'notebook' or 'directory'"):
        cm.save({"content": "x"}, "b.txt")
    with refused(400, "must be a string"):
        cm.save({"type": "file", "format": "text"}, "b.txt")
    with refused(400, "format 'hex' is invalid"):
        cm.save({"type": "file", "format": "hex", "content": "00"}, "b.txt")
    with refused(400, "is a directory"):
        cm.save({"type": "file", "format": "text", "content": "x"}, "d")
    with refused(404, "directory 'missing' does not exist"):
        cm.save({"type": "file", "format": "text", "content": "x"}, "missing/b.txt")
    with refused(400, "content is a JSON object"):
        cm.save({"type": "notebook", "content": "[]"}, "n.ipynb")
    assert sorted(p.name for p in root.iterdir()) == ["d"]


def test_save_notebook_writes_nbformat_json_and_a_first_checkpoint(
    cm: ContentsManager, root: Path
) -> None:
    model, created = cm.save({"type": "notebook", "content": NOTEBOOK}, "n.ipynb")
    assert created
    assert model["type"] == "notebook"
    assert "message" not in model
    text = (root / "n.ipynb").read_text(encoding="utf-8")
    assert text == json.dumps(NOTEBOOK, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    assert "print('é')" in text  # real UTF-8, not \u escapes
    checkpoint = root / ".ipynb_checkpoints" / "n-checkpoint.ipynb"
    assert checkpoint.read_text(encoding="utf-8") == text
    changed = {**NOTEBOOK, "metadata": {"changed": True}}
    cm.save({"type": "notebook", "content": changed}, "n.ipynb")
    assert json.loads(checkpoint.read_text()) == NOTEBOOK  # later saves leave it alone
    assert cm.get("n.ipynb")["content"] == changed


def test_save_invalid_notebook_keeps_it_and_says_why(cm: ContentsManager, root: Path) -> None:
    model, _ = cm.save({"type": "notebook", "content": {"cells": "nope", "nbformat": 4}}, "n.ipynb")
    assert "validation failed" in model["message"]
    assert json.loads((root / "n.ipynb").read_text())["cells"] == "nope"


def test_save_is_atomic_and_keeps_the_file_mode(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("old")
    (root / "a.txt").chmod(0o640)
    inode = (root / "a.txt").stat().st_ino
    cm.save({"type": "file", "format": "text", "content": "new"}, "a.txt")
    assert (root / "a.txt").read_text() == "new"
    assert (root / "a.txt").stat().st_ino != inode  # replaced, not rewritten in place
    assert stat.S_IMODE((root / "a.txt").stat().st_mode) == 0o640
    assert [p.name for p in root.iterdir()] == ["a.txt"]  # no temporary file left


def test_failed_notebook_save_leaves_the_old_file(cm: ContentsManager, root: Path) -> None:
    write_notebook(root / "n.ipynb")
    before = (root / "n.ipynb").read_bytes()
    with refused(400, "cannot be written as JSON"):
        cm.save(
            {"type": "notebook", "content": {**NOTEBOOK, "metadata": {"x": float("nan")}}},
            "n.ipynb",
        )
    assert (root / "n.ipynb").read_bytes() == before
    assert [p.name for p in root.iterdir()] == ["n.ipynb"]


def test_crash_while_writing_leaves_the_old_notebook(
    cm: ContentsManager, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_notebook(root / "n.ipynb")
    before = (root / "n.ipynb").read_bytes()

    def crash(_fd: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk gone"):
        cm.save({"type": "notebook", "content": {**NOTEBOOK, "cells": []}}, "n.ipynb")
    assert (root / "n.ipynb").read_bytes() == before
    assert [p.name for p in root.iterdir()] == ["n.ipynb"]


def test_save_directory(cm: ContentsManager, root: Path) -> None:
    model, created = cm.save({"type": "directory"}, "new")
    assert created
    assert model["type"] == "directory"
    assert (root / "new").is_dir()
    assert cm.save({"type": "directory"}, "new")[1] is False  # already there: fine
    (root / "f").write_text("f")
    with refused(400, "not a directory"):
        cm.save({"type": "directory"}, "f")


def test_chunked_upload_reassembles_exactly(cm: ContentsManager, root: Path) -> None:
    blob = os.urandom(3000)
    pieces = [blob[:1000], blob[1000:2000], blob[2000:]]
    results = []
    for chunk, piece in zip([1, 2, -1], pieces, strict=True):
        model = {
            "type": "file",
            "format": "base64",
            "chunk": chunk,
            "content": base64.b64encode(piece).decode(),
        }
        results.append(cm.save(model, "big.bin"))
    assert (root / "big.bin").read_bytes() == blob
    assert [created for _, created in results] == [True, False, False]
    assert results[-1][0]["size"] == 3000


def test_chunk_one_truncates_an_existing_file(cm: ContentsManager, root: Path) -> None:
    (root / "t.txt").write_text("a long old content")
    cm.save({"type": "file", "format": "text", "chunk": 1, "content": "ab"}, "t.txt")
    cm.save({"type": "file", "format": "text", "chunk": -1, "content": "cd"}, "t.txt")
    assert (root / "t.txt").read_text() == "abcd"


def test_chunk_errors(cm: ContentsManager, root: Path) -> None:
    with refused(400, "before chunk 1"):
        cm.save({"type": "file", "format": "text", "chunk": 2, "content": "x"}, "x.txt")
    with refused(400, "only files"):
        cm.save({"type": "notebook", "format": "text", "chunk": 1, "content": "x"}, "x.ipynb")
    with refused(400, "says its format"):
        cm.save({"type": "file", "chunk": 1, "content": "x"}, "x.txt")
    with refused(400, "chunk is 1, 2"):
        cm.save({"type": "file", "format": "text", "chunk": "1", "content": "x"}, "x.txt")
    assert list(root.iterdir()) == []


# -- untitled and copies --------------------------------------------------------------------------


def test_untitled_files(cm: ContentsManager, root: Path) -> None:
    created = [cm.new_untitled("")["name"] for _ in range(3)]
    assert created == ["untitled", "untitled1", "untitled2"]
    assert (root / "untitled1").read_bytes() == b""
    assert [cm.new_untitled("", ext=".txt")["path"] for _ in range(2)] == [
        "untitled.txt",
        "untitled1.txt",
    ]


def test_untitled_notebooks(cm: ContentsManager, root: Path) -> None:
    first = cm.new_untitled("", type="notebook")
    second = cm.new_untitled("", ext=".ipynb")
    assert (first["name"], second["name"]) == ("Untitled.ipynb", "Untitled1.ipynb")
    assert first["type"] == "notebook"
    assert first["content"] is None
    empty = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    assert cm.get("Untitled.ipynb")["content"] == empty
    assert "message" not in cm.get("Untitled.ipynb")
    assert [c["id"] for c in cm.list_checkpoints("Untitled1.ipynb")] == ["checkpoint"]


def test_untitled_directories(cm: ContentsManager, root: Path) -> None:
    (root / "sub").mkdir()
    made = [cm.new_untitled("sub", type="directory") for _ in range(3)]
    assert [m["path"] for m in made] == [
        "sub/Untitled Folder",
        "sub/Untitled Folder 1",
        "sub/Untitled Folder 2",
    ]
    assert all((root / m["path"]).is_dir() and m["type"] == "directory" for m in made)


def test_untitled_errors(cm: ContentsManager, root: Path) -> None:
    (root / "f.txt").write_text("f")
    with refused(400, "is a file, not a directory"):
        cm.new_untitled("f.txt")
    with refused(404, "directory 'nope' does not exist"):
        cm.new_untitled("nope")
    with refused(400, "not 'spreadsheet'"):
        cm.new_untitled("", type="spreadsheet")
    with refused(400, "name suffix"):
        cm.new_untitled("", ext="/../x")
    assert [p.name for p in root.iterdir()] == ["f.txt"]


def test_copy_names(cm: ContentsManager, root: Path) -> None:
    write_notebook(root / "b.ipynb")
    (root / "a.tar.gz").write_bytes(b"\x1f\x8b binary")
    (root / "v1.2.ipynb").write_text(json.dumps(NOTEBOOK))
    assert cm.copy("b.ipynb", "")["name"] == "b-Copy1.ipynb"
    assert cm.copy("b.ipynb", "")["name"] == "b-Copy2.ipynb"
    assert cm.copy("b-Copy1.ipynb", "")["name"] == "b-Copy3.ipynb"  # not b-Copy1-Copy1
    assert cm.copy("a.tar.gz", "")["name"] == "a-Copy1.tar.gz"
    assert cm.copy("v1.2.ipynb", "")["name"] == "v1.2-Copy1.ipynb"
    assert (root / "a-Copy1.tar.gz").read_bytes() == b"\x1f\x8b binary"
    assert cm.get("b-Copy2.ipynb")["content"] == NOTEBOOK


def test_copy_into_another_directory_keeps_a_free_name(cm: ContentsManager, root: Path) -> None:
    (root / "src").mkdir()
    (root / "dst").mkdir()
    (root / "src" / "b.txt").write_text("b")
    first = cm.copy("src/b.txt", "dst")
    second = cm.copy("src/b.txt", "dst")
    assert (first["path"], second["path"]) == ("dst/b.txt", "dst/b-Copy1.txt")
    assert first["type"] == "file"
    assert first["content"] is None


def test_copy_errors(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "a.txt").write_text("a")
    with refused(400, "directories cannot be copied"):
        cm.copy("d", "")
    with refused(404, "does not exist"):
        cm.copy("nope.txt", "")
    with refused(404, "directory 'nope' does not exist"):
        cm.copy("a.txt", "nope")
    with refused(400, "is a file, not a directory"):
        cm.copy("a.txt", "a.txt")
    assert sorted(p.name for p in root.iterdir()) == ["a.txt", "d"]


# -- rename and delete ----------------------------------------------------------------------------


def test_rename_moves_the_file_and_its_checkpoint(cm: ContentsManager, root: Path) -> None:
    write_notebook(root / "n.ipynb")
    cm.create_checkpoint("n.ipynb")
    (root / "sub").mkdir()
    model = cm.rename("n.ipynb", "sub/m.ipynb")
    assert (model["path"], model["type"], model["content"]) == ("sub/m.ipynb", "notebook", None)
    assert not (root / "n.ipynb").exists()
    assert json.loads((root / "sub" / "m.ipynb").read_text()) == NOTEBOOK
    assert not (root / ".ipynb_checkpoints" / "n-checkpoint.ipynb").exists()
    assert (root / "sub" / ".ipynb_checkpoints" / "m-checkpoint.ipynb").is_file()
    assert cm.list_checkpoints("n.ipynb") == []
    assert len(cm.list_checkpoints("sub/m.ipynb")) == 1


def test_rename_directory(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "x.txt").write_text("x")
    assert cm.rename("d", "e")["type"] == "directory"
    assert (root / "e" / "x.txt").read_text() == "x"


def test_rename_onto_an_existing_path_is_409(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("a")
    (root / "b.txt").write_text("b")
    with refused(409, "'b.txt' already exists"):
        cm.rename("a.txt", "b.txt")
    assert ((root / "a.txt").read_text(), (root / "b.txt").read_text()) == ("a", "b")


def test_rename_errors(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "a.txt").write_text("a")
    with refused(404, "'nope.txt' does not exist"):
        cm.rename("nope.txt", "x.txt")
    with refused(404, "directory 'missing' does not exist"):
        cm.rename("a.txt", "missing/a.txt")
    with refused(400, "into itself"):
        cm.rename("d", "d/inner")
    with refused(400, "root directory cannot be renamed"):
        cm.rename("", "x")
    with refused(400, "hidden"):
        cm.rename("a.txt", ".a.txt")
    assert cm.rename("a.txt", "/a.txt/")["path"] == "a.txt"  # same path: nothing to do
    assert sorted(p.name for p in root.iterdir()) == ["a.txt", "d"]


def test_delete_file_and_its_checkpoint(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("a")
    cm.create_checkpoint("a.txt")
    cm.delete("a.txt")
    assert not (root / "a.txt").exists()
    assert not (root / ".ipynb_checkpoints" / "a-checkpoint.txt").exists()
    with refused(404, "does not exist"):
        cm.delete("a.txt")


def test_delete_refuses_a_non_empty_directory(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "keep.txt").write_text("keep")
    with refused(400, "directory 'd' is not empty"):
        cm.delete("d")
    assert (root / "d" / "keep.txt").read_text() == "keep"


def test_delete_directory_holding_only_checkpoints(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "n.ipynb").write_text(json.dumps(NOTEBOOK))
    cm.create_checkpoint("d/n.ipynb")
    (root / "d" / "n.ipynb").unlink()
    cm.delete("d")
    assert not (root / "d").exists()
    (root / "e").mkdir()
    cm.delete("e")
    assert list(root.iterdir()) == []


def test_delete_root_is_400(cm: ContentsManager) -> None:
    with refused(400, "root directory cannot be deleted"):
        cm.delete("/")


def test_delete_link_removes_the_link_not_its_target(cm: ContentsManager, root: Path) -> None:
    (root / "d").mkdir()
    (root / "d" / "x.txt").write_text("x")
    (root / "link").symlink_to(root / "d")
    cm.delete("link")
    assert not (root / "link").exists()
    assert (root / "d" / "x.txt").read_text() == "x"


# -- checkpoints ----------------------------------------------------------------------------------


def test_checkpoint_create_list_restore_delete(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("version 1")
    assert cm.list_checkpoints("a.txt") == []
    checkpoint = cm.create_checkpoint("a.txt")
    assert set(checkpoint) == {"id", "last_modified"}
    assert checkpoint["id"] == "checkpoint"
    assert TIMESTAMP.fullmatch(checkpoint["last_modified"])
    assert (root / ".ipynb_checkpoints" / "a-checkpoint.txt").read_text() == "version 1"
    assert cm.list_checkpoints("a.txt") == [checkpoint]

    cm.save({"type": "file", "format": "text", "content": "version 2"}, "a.txt")
    cm.restore_checkpoint("a.txt", "checkpoint")
    assert cm.get("a.txt")["content"] == "version 1"

    cm.delete_checkpoint("a.txt", "checkpoint")
    assert cm.list_checkpoints("a.txt") == []
    assert (root / "a.txt").read_text() == "version 1"


def test_create_checkpoint_overwrites(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("one")
    cm.create_checkpoint("a.txt")
    (root / "a.txt").write_text("two")
    cm.create_checkpoint("a.txt")
    (root / "a.txt").write_text("three")
    cm.restore_checkpoint("a.txt", "checkpoint")
    assert (root / "a.txt").read_text() == "two"
    assert len(cm.list_checkpoints("a.txt")) == 1


def test_checkpoint_names_follow_jupyter(cm: ContentsManager, root: Path) -> None:
    (root / "sub").mkdir()
    write_notebook(root / "sub" / "nb.ipynb")
    (root / "Makefile").write_text("all:")
    cm.create_checkpoint("sub/nb.ipynb")
    cm.create_checkpoint("Makefile")
    assert (root / "sub" / ".ipynb_checkpoints" / "nb-checkpoint.ipynb").is_file()
    assert (root / ".ipynb_checkpoints" / "Makefile-checkpoint").is_file()


def test_checkpoint_errors(cm: ContentsManager, root: Path) -> None:
    (root / "a.txt").write_text("a")
    (root / "d").mkdir()
    with refused(404, "no checkpoint 'checkpoint'"):
        cm.restore_checkpoint("a.txt", "checkpoint")
    with refused(404, "no checkpoint 'checkpoint'"):
        cm.delete_checkpoint("a.txt", "checkpoint")
    cm.create_checkpoint("a.txt")
    with refused(404, "no checkpoint 'other'"):
        cm.restore_checkpoint("a.txt", "other")
    with refused(404, "does not exist"):
        cm.create_checkpoint("nope.txt")
    with refused(400, "directories have no checkpoints"):
        cm.create_checkpoint("d")
    assert cm.list_checkpoints("") == []


def test_restore_recreates_a_deleted_notebook_content(cm: ContentsManager, root: Path) -> None:
    cm.save({"type": "notebook", "content": NOTEBOOK}, "n.ipynb")
    cm.save({"type": "notebook", "content": {**NOTEBOOK, "cells": []}}, "n.ipynb")
    cm.restore_checkpoint("n.ipynb", "checkpoint")
    assert cm.get("n.ipynb")["content"] == NOTEBOOK


# -- kernel directories ---------------------------------------------------------------------------


def test_kernel_directory(cm: ContentsManager, root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    write_notebook(root / "a" / "b" / "n.ipynb")
    assert cm.kernel_directory("a/b/n.ipynb") == root / "a" / "b"
    assert cm.kernel_directory("a/b") == root / "a" / "b"
    assert cm.kernel_directory("a/missing/deeper/n.ipynb") == root / "a"
    assert cm.kernel_directory("console-1-abc") == root
    assert cm.kernel_directory("") == root


def test_kernel_directory_never_leaves_the_root(cm: ContentsManager, root: Path) -> None:
    outside = root.parent / "outside"
    outside.mkdir()
    (root / "out").symlink_to(outside)
    (root / ".hidden").mkdir()
    assert cm.kernel_directory("../../etc/n.ipynb") == root
    assert cm.kernel_directory("..") == root
    assert cm.kernel_directory("out/n.ipynb") == root
    assert cm.kernel_directory(".hidden/n.ipynb") == root
