"""The file contents behind `/api/contents`: models, saves, copies, renames and checkpoints.

`ContentsManager` serves one directory tree (`root_dir`) in the shapes Jupyter clients read
(JupyterLab, @jupyterlab/services): every operation takes "/"-separated API paths relative to
the root and returns plain JSON-ready dicts. It knows nothing about HTTP; a refused operation
raises `ContentsError`, whose `status` is the HTTP status the handler should answer.

Safety rules, applied to every path before anything is touched:

* a path never leaves the root: `..` is refused (404), and so is any symlink that resolves
  outside the root (403), even though jupyter_server would follow it;
* hidden names (a component starting with ".") are refused unless `allow_hidden`, and never
  listed; `.ipynb_checkpoints` is never listed at all;
* overwriting writes go to a temporary file in the same directory and are moved into place with
  `os.replace`, so a crash leaves either the old file or the new one, never half of each.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import fnmatch
import hashlib
import json
import mimetypes
import os
import re
import secrets
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from livedoc.services.clock import iso_utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "CHECKPOINT_DIR",
    "CHECKPOINT_ID",
    "DEFAULT_HIDE_GLOBS",
    "ContentsError",
    "ContentsManager",
]

CHECKPOINT_ID = "checkpoint"
"""The only checkpoint id: like jupyter_server's FileCheckpoints, one checkpoint per file."""

CHECKPOINT_DIR = ".ipynb_checkpoints"
"""Where checkpoints live, next to the file; the name Jupyter tools already know to ignore."""

DEFAULT_HIDE_GLOBS = ("__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~")
"""Names left out of listings (still readable by path), as jupyter_server's `hide_globs`."""

_EMPTY_NOTEBOOK: dict[str, Any] = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
# Each kind's first untitled name, and what goes between the name and its number.
_UNTITLED = {
    "file": ("untitled", ""),
    "notebook": ("Untitled.ipynb", ""),
    "directory": ("Untitled Folder", " "),
}
# Every model has exactly these keys (jupyter_server's handler checks it); None means "n/a".
_MODEL_KEYS = (
    "name", "path", "type", "writable", "created", "last_modified", "size",
    "mimetype", "content", "format", "hash", "hash_algorithm",
)  # fmt: skip
_CELL_TYPES = frozenset({"code", "markdown", "raw"})
_FORMATS = frozenset({"text", "base64"})
_TYPES = frozenset({"file", "notebook", "directory"})
# A "-Copy3." already in a name is dropped before numbering, so copying "b-Copy1.ipynb" gives
# "b-Copy2.ipynb" rather than "b-Copy1-Copy1.ipynb" (jupyter_server names copies this way).
_COPY_MARK = re.compile(r"-Copy\d*\.")


class ContentsError(Exception):
    """A contents operation was refused. The checks run before anything is written, so a
    refusal leaves the files as they were.

    `status` is the HTTP status to answer: 400 the request cannot be done as asked (bad
    argument, wrong kind of entry, non-empty directory), 403 the OS or the root boundary forbids
    it, 404 the path does not exist (or is hidden), 409 the target of a rename already exists.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclasses.dataclass(frozen=True, slots=True)
class _Target:
    """One checked API path. `entry` is the name inside its (resolved) parent directory, the
    last component not followed: what rename and delete act on, so that deleting a symlink
    removes the link. `real` follows every symlink: what reads and writes go through."""

    api: str
    entry: Path
    real: Path

    @property
    def name(self) -> str:
        return self.api.rsplit("/", 1)[-1]


class ContentsManager:
    """Jupyter-shaped file contents for the tree under `root_dir` (see the module docstring).

    `hash_algorithm` is any `hashlib` algorithm with a fixed-size digest; `hide_globs` are the
    name patterns left out of directory listings.
    """

    def __init__(
        self,
        root_dir: str | Path,
        *,
        allow_hidden: bool = False,
        hash_algorithm: str = "sha256",
        hide_globs: Iterable[str] = DEFAULT_HIDE_GLOBS,
    ) -> None:
        root = Path(root_dir).resolve()
        if not root.is_dir():
            raise ValueError(f"the contents root {str(root_dir)!r} is not a directory")
        try:
            hashlib.new(hash_algorithm).hexdigest()
        except (ValueError, TypeError) as exc:  # TypeError: shake_* needs a digest length
            raise ValueError(f"{hash_algorithm!r} is not a usable hash algorithm") from exc
        self.root = root
        self.allow_hidden = allow_hidden
        self.hash_algorithm = hash_algorithm
        self.hide_globs = tuple(hide_globs)

    # -- reading ------------------------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        type: str | None = None,
        format: str | None = None,
        content: bool = True,
        hash: bool = False,
    ) -> dict[str, Any]:
        """The model of `path`. `type` asks for a kind ("directory", "notebook", "file"; other
        values mean "file", as in jupyter_server); `format` ("text" or "base64") applies to files
        only; `content=False` leaves content and format None; `hash=True` adds the digest."""
        if format is not None and format not in _FORMATS:
            raise ContentsError(400, f"format {format!r} is invalid: use 'text' or 'base64'")
        if type is not None and type not in _TYPES:
            type = "file"
        target = self._target(path)
        with _os_errors(target.api):
            self._require_exists(target)
            return self._model(target, type, format, content=content, with_hash=hash)

    def last_modified(self, path: str) -> float:
        """The modification time of `path` in seconds, for the Last-Modified header."""
        target = self._target(path)
        with _os_errors(target.api):
            self._require_exists(target)
            return target.real.stat().st_mtime

    def kernel_directory(self, path: str) -> Path:
        """The working directory for a kernel started for `path`: the path itself if it is a
        directory, else the nearest existing directory above it, and never above the root.

        Kernels are started for paths that need not exist (a new console, a notebook not saved
        yet), so nothing here raises: a part that cannot be served (missing, hidden, `..`, a
        link out of the root) is walked past, and the root is the floor."""
        parts = [part for part in path.split("/") if part not in ("", ".")]
        for end in range(len(parts), 0, -1):
            try:
                target = self._target("/".join(parts[:end]))
            except ContentsError:
                continue
            if target.real.is_dir():
                return target.real
        return self.root

    # -- writing ------------------------------------------------------------------------------

    def save(self, model: dict[str, Any], path: str) -> tuple[dict[str, Any], bool]:
        """Write `model` ({"type", "format"?, "content"?, "chunk"?}) to `path`.

        Returns the saved model without content and whether the entry was created (True) or
        overwritten (False). A model with "chunk" is one piece of an upload: chunk 1 creates or
        truncates the file, any later chunk (2, 3, ..., -1 for the last) appends to it."""
        if not isinstance(model, dict):
            raise ContentsError(400, "a saved model is a JSON object")
        if "copy_from" in model:
            raise ContentsError(400, "copy_from cannot be saved: POST to a directory to copy")
        kind = model.get("type")
        if kind not in _TYPES:
            raise ContentsError(
                400, f"a saved model's type is 'file', 'notebook' or 'directory', not {kind!r}"
            )
        target = self._target(path, creating=True)
        with _os_errors(target.api):
            existed = os.path.lexists(target.entry)
            message = None
            if model.get("chunk") is not None:
                self._save_chunk(target, model, existed)
                existed = existed or model["chunk"] != 1
            elif kind == "directory":
                self._save_directory(target)
            else:
                self._require_writable_file(target)
                if kind == "notebook":
                    message = self._save_notebook(target, model.get("content"))
                else:
                    _atomic_write(target.real, _decode(model, target.api))
            saved = self._model(target)
        if message is not None:
            saved["message"] = message
        return saved, not existed

    def new_untitled(
        self, directory: str, *, type: str | None = None, ext: str | None = None
    ) -> dict[str, Any]:
        """Create a new empty file ("untitled", "untitled1", ...; `ext` appended), notebook
        ("Untitled.ipynb", "Untitled1.ipynb", ...) or directory ("Untitled Folder",
        "Untitled Folder 1", ...) in `directory`, and return its model without content."""
        ext = ext or ""
        if "/" in ext or "\0" in ext:
            raise ContentsError(400, f"ext is a name suffix such as '.txt', not {ext!r}")
        kind = "notebook" if ext == ".ipynb" and type != "directory" else type or "file"
        if kind not in _UNTITLED:
            raise ContentsError(400, f"new entries are a file, notebook or directory, not {kind!r}")
        name, insert = _UNTITLED[kind]
        folder = self._directory(directory)
        with _os_errors(folder.api):
            if kind == "directory":
                made = self._create_unique(folder, name, insert, os.mkdir)
            elif kind == "notebook":
                made = self._create_unique(
                    folder, name, insert, _exclusive(_notebook_bytes(_EMPTY_NOTEBOOK))
                )
                self._ensure_checkpoint(made)
            else:
                made = self._create_unique(folder, name + ext, insert, _exclusive(b""))
            return self._model(made)

    def copy(self, from_path: str, to_directory: str) -> dict[str, Any]:
        """Copy the file `from_path` into `to_directory` under the first free name among its own
        name, then "-Copy1", "-Copy2"... placed before the first dot ("a-Copy1.tar.gz"), or
        before ".ipynb" for notebooks; return the copy's model without content."""
        source = self._target(from_path)
        with _os_errors(source.api):
            self._require_exists(source)
            if source.real.is_dir():
                raise ContentsError(400, f"directories cannot be copied: {source.api!r}")
            folder = self._directory(to_directory)
            name = _COPY_MARK.sub(".", source.name)
            made = self._create_unique(folder, name, "-Copy", _exclusive(source.real))
            if made.name.endswith(".ipynb"):
                self._ensure_checkpoint(made)
            return self._model(made)

    def rename(self, old_path: str, new_path: str) -> dict[str, Any]:
        """Move a file or directory to `new_path`, its checkpoint with it; return the new model
        without content. An existing `new_path` is a 409: nothing is overwritten."""
        source = self._target(old_path)
        target = self._target(new_path, creating=True)
        if not source.api or not target.api:
            raise ContentsError(400, "the root directory cannot be renamed")
        with _os_errors(source.api):
            if not os.path.lexists(source.entry):
                raise ContentsError(404, f"file or directory {source.api!r} does not exist")
            if source.api != target.api:
                self._move(source, target)
            return self._model(target)

    def delete(self, path: str) -> None:
        """Remove a file, a link or an empty directory, permanently.

        Unlike jupyter_server's default, nothing goes to the OS trash: a server has no desktop
        trash to empty, and send2trash is not a dependency. That is why a non-empty directory is
        refused (a directory holding only `.ipynb_checkpoints` counts as empty). A file's
        checkpoint is removed with it."""
        target = self._target(path)
        if not target.api:
            raise ContentsError(400, "the root directory cannot be deleted")
        with _os_errors(target.api):
            if not os.path.lexists(target.entry):
                raise ContentsError(404, f"file or directory {target.api!r} does not exist")
            if target.entry.is_dir() and not target.entry.is_symlink():
                left = set(os.listdir(target.entry)) - {CHECKPOINT_DIR}
                if left:
                    raise ContentsError(400, f"directory {target.api!r} is not empty")
                shutil.rmtree(target.entry)
                return
            target.entry.unlink()
            self._checkpoint_file(target).unlink(missing_ok=True)

    # -- checkpoints --------------------------------------------------------------------------

    def create_checkpoint(self, path: str) -> dict[str, str]:
        """Save the current content of the file `path` as its checkpoint (replacing any)."""
        target = self._target(path)
        with _os_errors(target.api):
            self._require_exists(target)
            if target.real.is_dir():
                raise ContentsError(400, f"directories have no checkpoints: {target.api!r}")
            checkpoint = self._checkpoint_file(target)
            checkpoint.parent.mkdir(exist_ok=True)
            _atomic_write(checkpoint, target.real)
            return _checkpoint_model(checkpoint)

    def list_checkpoints(self, path: str) -> list[dict[str, str]]:
        """`[]`, or the one checkpoint of `path` with its time."""
        target = self._target(path)
        if not target.api:
            return []
        with _os_errors(target.api):
            checkpoint = self._checkpoint_file(target)
            return [_checkpoint_model(checkpoint)] if checkpoint.is_file() else []

    def restore_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """Put the checkpoint's content back into `path` (atomically)."""
        target = self._target(path)
        with _os_errors(target.api):
            checkpoint = self._existing_checkpoint(target, checkpoint_id)
            self._require_writable_file(target)
            _atomic_write(target.real, checkpoint)

    def delete_checkpoint(self, path: str, checkpoint_id: str) -> None:
        """Forget the checkpoint of `path`; the file itself is untouched."""
        target = self._target(path)
        with _os_errors(target.api):
            self._existing_checkpoint(target, checkpoint_id).unlink()

    # -- paths --------------------------------------------------------------------------------

    def _target(self, path: str, *, creating: bool = False) -> _Target:
        """Check `path` against the safety rules of the module docstring and locate it.

        Both the parent directory and the entry are resolved and must stay inside the root, so
        neither reading through the entry nor creating next to it can reach outside."""
        parts = [part for part in path.split("/") if part not in ("", ".")]
        api = "/".join(parts)
        if ".." in parts or "\0" in api:
            raise ContentsError(404, f"{path!r} is not a path inside the root directory")
        if not self.allow_hidden and any(part.startswith(".") for part in parts):
            if creating:
                raise ContentsError(400, f"hidden files and directories cannot be created: {api!r}")
            raise ContentsError(404, f"{api!r} is hidden, and hidden files are not served")
        if not parts:
            return _Target("", self.root, self.root)
        try:
            entry = (self.root.joinpath(*parts[:-1])).resolve() / parts[-1]
            real = entry.resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            raise ContentsError(404, f"{api!r} cannot be resolved: {exc}") from exc
        if not (entry.parent.is_relative_to(self.root) and real.is_relative_to(self.root)):
            raise ContentsError(403, f"{api!r} is a link to outside the root directory")
        return _Target(api, entry, real)

    def _require_exists(self, target: _Target) -> None:
        if not target.real.exists():
            raise ContentsError(404, f"file or directory {target.api!r} does not exist")

    def _directory(self, path: str) -> _Target:
        """The existing directory `path`: 404 if missing, 400 if it is a file."""
        folder = self._target(path)
        if not folder.real.exists():
            raise ContentsError(404, f"directory {folder.api!r} does not exist")
        if not folder.real.is_dir():
            raise ContentsError(400, f"{folder.api!r} is a file, not a directory")
        return folder

    def _require_writable_file(self, target: _Target) -> None:
        """`target` can take file content: not the root or a directory, and its directory
        exists (a save never creates missing parents, as in jupyter_server)."""
        if target.real.is_dir():
            raise ContentsError(400, f"{target.api or '/'!r} is a directory, not a file")
        if not target.real.parent.is_dir():
            parent = target.api.rpartition("/")[0]
            raise ContentsError(404, f"directory {parent!r} does not exist")

    # -- models -------------------------------------------------------------------------------

    def _model(
        self,
        target: _Target,
        requested: str | None = None,
        fmt: str | None = None,
        *,
        content: bool = False,
        with_hash: bool = False,
    ) -> dict[str, Any]:
        """The model of an existing `target`; without content unless asked."""
        kind = self._kind(target, requested)
        info = target.real.stat()
        model = self._base_model(target, kind, info)
        if kind == "directory":
            model["size"] = None
            if content:
                model["content"] = self._listing(target)
                model["format"] = "json"
            return model
        data = target.real.read_bytes() if content or with_hash else b""
        if kind == "notebook":
            if content:
                self._fill_notebook(model, data, target.api)
        else:
            model["mimetype"] = mimetypes.guess_type(target.name)[0]
            if content:
                model["content"], model["format"] = _encode(data, fmt, target.api)
                model["mimetype"] = model["mimetype"] or _DEFAULT_MIMETYPES[model["format"]]
        if with_hash:
            model["hash"] = hashlib.new(self.hash_algorithm, data).hexdigest()
            model["hash_algorithm"] = self.hash_algorithm
        return model

    def _kind(self, target: _Target, requested: str | None) -> str:
        if target.real.is_dir():
            if requested not in (None, "directory"):
                raise ContentsError(400, f"{target.api or '/'!r} is a directory, not a {requested}")
            return "directory"
        if requested == "directory":
            raise ContentsError(400, f"{target.api!r} is not a directory")
        if requested == "notebook" or (requested is None and target.name.endswith(".ipynb")):
            return "notebook"
        return "file"

    def _base_model(self, target: _Target, kind: str, info: os.stat_result) -> dict[str, Any]:
        # `created` is the birth time where the OS reports one, else st_ctime (on Linux the last
        # metadata change), which is what jupyter_server reports too.
        created = getattr(info, "st_birthtime", None) or info.st_ctime
        model: dict[str, Any] = dict.fromkeys(_MODEL_KEYS)
        model.update(
            name=target.name,
            path=target.api,
            type=kind,
            writable=os.access(target.real, os.W_OK),
            created=_timestamp(created),
            last_modified=_timestamp(info.st_mtime),
            size=info.st_size,
        )
        return model

    def _fill_notebook(self, model: dict[str, Any], data: bytes, api: str) -> None:
        try:
            notebook = json.loads(data)
        except (
            ValueError,
            RecursionError,
        ) as exc:  # JSONDecodeError, UnicodeDecodeError: ValueErrors
            raise ContentsError(400, f"unreadable notebook {api!r}: {exc}") from exc
        model["content"] = notebook
        model["format"] = "json"
        problem = _notebook_problem(notebook)
        if problem is not None:
            model["message"] = problem

    def _listing(self, folder: _Target) -> list[dict[str, Any]]:
        """Child models without content, by name; entries that cannot be served (hidden, links
        out of the root or broken, sockets and fifos, unreadable) are left out silently."""
        children = []
        for name in sorted(os.listdir(folder.real)):
            if not self._listed(name):
                continue
            try:
                child = self._target(f"{folder.api}/{name}")
                mode = child.real.stat().st_mode
                if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
                    children.append(self._model(child))
            except (ContentsError, OSError):
                continue
        return children

    def _listed(self, name: str) -> bool:
        if name == CHECKPOINT_DIR or (name.startswith(".") and not self.allow_hidden):
            return False
        return not any(fnmatch.fnmatch(name, pattern) for pattern in self.hide_globs)

    # -- write helpers ------------------------------------------------------------------------

    def _save_chunk(self, target: _Target, model: dict[str, Any], existed: bool) -> None:
        chunk = model["chunk"]
        if model["type"] != "file":
            raise ContentsError(400, f"only files can be uploaded in chunks, not a {model['type']}")
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk == 0 or chunk < -1:
            raise ContentsError(400, f"chunk is 1, 2, ... or -1 for the last one, not {chunk!r}")
        if model.get("format") not in _FORMATS:
            raise ContentsError(400, "a chunked upload says its format: 'text' or 'base64'")
        self._require_writable_file(target)
        data = _decode(model, target.api)
        if chunk == 1:
            _atomic_write(target.real, data)
            return
        if not existed:
            raise ContentsError(400, f"chunk {chunk} of {target.api!r} arrived before chunk 1")
        with target.real.open("ab") as stream:
            stream.write(data)

    def _save_directory(self, target: _Target) -> None:
        if target.real.exists() and not target.real.is_dir():
            raise ContentsError(400, f"{target.api!r} exists and is not a directory")
        if not target.real.parent.is_dir():
            raise ContentsError(404, f"directory {target.api.rpartition('/')[0]!r} does not exist")
        target.real.mkdir(exist_ok=True)

    def _save_notebook(self, target: _Target, notebook: object) -> str | None:
        """Write the notebook, give it its first checkpoint if it has none, and return what is
        wrong with it (it is saved anyway, as jupyter_server does: losing work is worse)."""
        if not isinstance(notebook, dict):
            raise ContentsError(400, "a notebook's content is a JSON object")
        _atomic_write(target.real, _notebook_bytes(notebook))
        self._ensure_checkpoint(target)
        return _notebook_problem(notebook)

    def _create_unique(
        self, folder: _Target, name: str, insert: str, create: Callable[[Path], object]
    ) -> _Target:
        """Create the first free name of `_numbered(name, insert)` in `folder` with `create`,
        which must fail with FileExistsError on a taken name: so two simultaneous requests
        never get the same name, and nothing existing is overwritten."""
        for candidate in _numbered(name, insert):
            path = folder.real / candidate
            try:
                create(path)
            except FileExistsError:
                continue
            return _Target(f"{folder.api}/{candidate}".lstrip("/"), path, path)
        raise AssertionError("unreachable: _numbered never ends")  # pragma: no cover

    def _move(self, source: _Target, target: _Target) -> None:
        if os.path.lexists(target.entry) and not _same_file(source.entry, target.entry):
            raise ContentsError(409, f"{target.api!r} already exists")
        if not target.entry.parent.is_dir():
            raise ContentsError(404, f"directory {target.api.rpartition('/')[0]!r} does not exist")
        if source.real.is_dir() and target.entry.is_relative_to(source.real):
            raise ContentsError(400, f"cannot move directory {source.api!r} into itself")
        old_checkpoint = self._checkpoint_file(source)
        shutil.move(source.entry, target.entry)
        # A directory's checkpoints live inside it and travel with it; a file's live beside it.
        if old_checkpoint.is_file() and not target.entry.is_dir():
            new_checkpoint = self._checkpoint_file(target)
            new_checkpoint.parent.mkdir(exist_ok=True)
            os.replace(old_checkpoint, new_checkpoint)

    # -- checkpoint helpers -------------------------------------------------------------------

    def _checkpoint_file(self, target: _Target) -> Path:
        """`<dir>/.ipynb_checkpoints/<stem>-checkpoint<suffix>`, jupyter_server's layout, so
        checkpoints made by either server are seen by the other."""
        if not target.api:
            raise ContentsError(400, "the root directory has no checkpoints")
        name = Path(target.name)
        checkpoint = (
            target.entry.parent / CHECKPOINT_DIR / f"{name.stem}-{CHECKPOINT_ID}{name.suffix}"
        )
        if not checkpoint.resolve().is_relative_to(self.root):
            raise ContentsError(
                403, f"the checkpoint folder of {target.api!r} links outside the root"
            )
        return checkpoint

    def _existing_checkpoint(self, target: _Target, checkpoint_id: str) -> Path:
        checkpoint = self._checkpoint_file(target)
        if checkpoint_id != CHECKPOINT_ID or not checkpoint.is_file():
            raise ContentsError(404, f"no checkpoint {checkpoint_id!r} for {target.api!r}")
        return checkpoint

    def _ensure_checkpoint(self, target: _Target) -> None:
        """Notebooks always have a checkpoint after their first save (JupyterLab's "revert"
        expects one)."""
        if not self._checkpoint_file(target).is_file():
            self.create_checkpoint(target.api)


# -- module helpers ---------------------------------------------------------------------------

_DEFAULT_MIMETYPES = {"text": "text/plain", "base64": "application/octet-stream"}


@contextlib.contextmanager
def _os_errors(api: str) -> Iterator[None]:
    """Turn the OS refusals a user can cause into ContentsErrors; anything else is a server
    fault and propagates (the handler answers 500)."""
    try:
        yield
    except PermissionError as exc:
        raise ContentsError(403, f"permission denied: {api!r}") from exc
    except FileNotFoundError as exc:
        raise ContentsError(404, f"file or directory {api!r} does not exist") from exc
    except (IsADirectoryError, NotADirectoryError) as exc:
        raise ContentsError(400, f"{api!r} is not the kind of entry this needs: {exc}") from exc


def _timestamp(seconds: float) -> str:
    try:
        return iso_utc(float(seconds))
    except (OverflowError, OSError, ValueError):  # a file dated beyond what datetime holds
        return iso_utc(0.0)


def _encode(data: bytes, fmt: str | None, api: str) -> tuple[str, str]:
    """(content, format) of file bytes: the requested format, else text if they are UTF-8."""
    if fmt != "base64":
        try:
            return data.decode("utf-8"), "text"
        except UnicodeDecodeError as exc:
            if fmt == "text":
                raise ContentsError(
                    400, f"{api!r} is not UTF-8 text: ask for format=base64"
                ) from exc
    return base64.b64encode(data).decode("ascii"), "base64"


def _decode(model: dict[str, Any], api: str) -> bytes:
    """The bytes a file model's content stands for; a missing format means text."""
    content, fmt = model.get("content"), model.get("format") or "text"
    if not isinstance(content, str):
        raise ContentsError(400, f"the content of file {api!r} must be a string")
    try:
        if fmt == "text":
            return content.encode("utf-8")
        if fmt == "base64":
            return base64.b64decode(content)
    except (binascii.Error, ValueError) as exc:  # bad padding, lone surrogates, non-ASCII
        raise ContentsError(400, f"content of {api!r} is not valid {fmt}: {exc}") from exc
    raise ContentsError(400, f"format {fmt!r} is invalid: use 'text' or 'base64'")


def _notebook_bytes(notebook: dict[str, Any]) -> bytes:
    """nbformat's on-disk layout (indent 1, sorted keys, real UTF-8), so that saving an
    unchanged notebook written by Jupyter produces no diff."""
    try:
        text = json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
        return (text + "\n").encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ContentsError(400, f"the notebook cannot be written as JSON: {exc}") from exc


def _notebook_problem(notebook: object) -> str | None:
    """What makes `notebook` not look like nbformat 4 (the top level and each cell), or None.

    This is a shape check, not nbformat's full schema: enough to tell a user why a client may
    refuse to open the file."""
    if not isinstance(notebook, dict):
        return "notebook validation failed: a notebook is a JSON object"
    if notebook.get("nbformat") != 4:
        return f"notebook validation failed: nbformat is {notebook.get('nbformat')!r}, not 4"
    for key, kind in (("nbformat_minor", int), ("metadata", dict), ("cells", list)):
        if not isinstance(notebook.get(key), kind):
            return f"notebook validation failed: {key!r} must be a {kind.__name__}"
    for index, cell in enumerate(notebook["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in _CELL_TYPES:
            return (
                f"notebook validation failed: cell {index} has no code, markdown or raw cell_type"
            )
        source = cell.get("source")
        if not isinstance(source, str | list) or not all(isinstance(s, str) for s in source):
            return f"notebook validation failed: cell {index}'s source is not text"
    return None


def _checkpoint_model(checkpoint: Path) -> dict[str, str]:
    return {"id": CHECKPOINT_ID, "last_modified": _timestamp(checkpoint.stat().st_mtime)}


def _numbered(name: str, insert: str) -> Iterator[str]:
    """`name`, then `name` with `insert` and 1, 2, ... before its suffix: the first dot for most
    names ("a-Copy1.tar.gz"), the last for notebooks ("x.y-Copy1.ipynb")."""
    if name.endswith(".ipynb"):
        stem, dot, suffix = name.rpartition(".")
    else:
        stem, dot, suffix = name.partition(".")
    yield name
    number = 1
    while True:
        yield f"{stem}{insert}{number}{dot}{suffix}"
        number += 1


def _exclusive(source: bytes | Path) -> Callable[[Path], None]:
    """A creator for `_create_unique`: writes `source` (bytes, or a file's bytes) to a path
    that must not exist yet ("x" mode raises FileExistsError)."""

    def create(path: Path) -> None:
        with path.open("xb") as stream:
            _write(stream, source)

    return create


def _atomic_write(target: Path, source: bytes | Path) -> None:
    """Replace `target` with `source` (bytes, or a file to copy) all at once.

    The temporary file is hidden (leading dot) so that listings never show it, is created with
    mode 0o666 so the umask applies as for any new file, and takes over the mode of the file it
    replaces; it is fsynced before the rename so a crash cannot leave the rename pointing at
    unwritten data."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    mode = stat.S_IMODE(target.stat().st_mode) if target.is_file() else None
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            _write(stream, source)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one entry (a case-only rename on a case-insensitive disk)."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _write(stream: BinaryIO, source: bytes | Path) -> None:
    if isinstance(source, bytes):
        stream.write(source)
        return
    with source.open("rb") as reader:
        shutil.copyfileobj(reader, stream)
