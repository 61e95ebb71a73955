"""`/api/sessions`: which kernel serves which notebook, console or file.

The records live in SQLite (`livedoc.services.sessions`); this module adds jupyter_server's
rules: creating a session for a path that has one returns it (201 all the same), `kernel.id`
attaches to a running kernel (or names the new one), a new kernel starts in the notebook's
directory with `JPY_SESSION_NAME` set, deleting a session shuts its kernel down, and a record
whose kernel is gone (culled, dead, deleted) is purged when it is read.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tornado.web import HTTPError

from livedoc.kernels.manager import NoSuchKernelError
from livedoc.kernels.specs import UnknownKernelSpec
from livedoc.server.jupyter.base import JupyterHandler

if TYPE_CHECKING:
    from livedoc.kernels.manager import KernelManager
    from livedoc.services.contents import ContentsManager
    from livedoc.services.sessions import SessionRecord, SessionRecords

__all__ = ["JupyterSessions", "SessionHandler", "SessionsHandler", "session_routes"]


class JupyterSessions:
    """Session records joined with the kernels that serve them."""

    def __init__(
        self, records: SessionRecords, kernels: KernelManager, contents: ContentsManager
    ) -> None:
        self.records = records
        self.kernels = kernels
        self.contents = contents

    def model(self, record: SessionRecord) -> dict[str, Any] | None:
        """The SessionModel, or None (and the record purged) when its kernel is gone."""
        try:
            kernel = self.kernels.get(record.kernel_id)
        except NoSuchKernelError:
            self.records.delete(record.session_id)
            return None
        model: dict[str, Any] = {
            "id": record.session_id,
            "path": record.path,
            "name": record.name,
            "type": record.type,
            "kernel": kernel.model(),
        }
        if record.type == "notebook":
            model["notebook"] = {"path": record.path, "name": record.name}
        return model

    def all(self) -> list[dict[str, Any]]:
        return [m for m in (self.model(r) for r in self.records.all()) if m is not None]

    def get(self, session_id: str) -> dict[str, Any]:
        record = self.records.find(session_id=session_id)
        model = self.model(record) if record is not None else None
        if model is None:
            raise HTTPError(404, reason=f"Session not found: session_id={session_id!r}")
        return model

    async def create(
        self, *, path: str, type: str, name: str, kernel_name: str | None, kernel_id: str | None
    ) -> dict[str, Any]:
        existing = self.records.find(path=path)
        if existing is not None:
            model = self.model(existing)
            if model is not None:
                return model
        kernel_id = await self._kernel_for(path, name, kernel_name, kernel_id)
        record = self.records.create(path=path, name=name, type=type, kernel_id=kernel_id)
        model = self.model(record)
        assert model is not None
        return model

    async def _kernel_for(
        self, path: str, name: str, kernel_name: str | None, kernel_id: str | None
    ) -> str:
        if kernel_id is not None and kernel_id in self.kernels:
            return kernel_id
        cwd = self.contents.kernel_directory(path)
        env = {"JPY_SESSION_NAME": os.path.join(str(cwd), os.path.basename(name or path))}
        try:
            kernel = await self.kernels.start_kernel(
                kernel_name, kernel_id=kernel_id, cwd=cwd, env=env
            )
        except UnknownKernelSpec as exc:
            raise HTTPError(501, reason=f"Kernel spec not found: {exc.name}") from None
        except ValueError as exc:
            raise HTTPError(400, reason=str(exc)) from None
        return kernel.id

    async def update(self, session_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        self.get(session_id)  # 404 for an unknown session (or one whose kernel is gone)
        record = self.records.find(session_id=session_id)
        assert record is not None
        columns = {key: changes.get(key) for key in ("path", "name", "type")}
        kernel = changes.get("kernel")
        old_kernel = record.kernel_id
        if isinstance(kernel, dict):
            if kernel.get("id") is not None:
                if kernel["id"] not in self.kernels:
                    raise HTTPError(400, reason=f"No such kernel: {kernel['id']}")
                columns["kernel_id"] = kernel["id"]
            elif kernel.get("name") is not None:
                columns["kernel_id"] = await self._kernel_for(
                    columns["path"] or record.path,
                    columns["name"] or record.name,
                    kernel["name"],
                    None,
                )
        self.records.update(session_id, **columns)
        new_kernel = columns.get("kernel_id")
        if new_kernel is not None and new_kernel != old_kernel:
            with contextlib.suppress(NoSuchKernelError):
                await self.kernels.shutdown_kernel(old_kernel)
        return self.get(session_id)

    async def delete(self, session_id: str) -> None:
        record = self.records.find(session_id=session_id)
        if record is None:
            raise HTTPError(404, reason=f"Session not found: session_id={session_id!r}")
        try:
            await self.kernels.shutdown_kernel(record.kernel_id)
        except NoSuchKernelError:
            self.records.delete(session_id)
            raise HTTPError(410, reason="Kernel deleted before session") from None
        self.records.delete(session_id)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise HTTPError(400, reason=f"{key} must be a string")
    return value


class SessionsHandler(JupyterHandler):
    def get(self) -> None:
        self.write_json(self.services.sessions.all())

    async def post(self) -> None:
        body = self.json_body(required=True)
        if not isinstance(body, dict):
            raise HTTPError(400, reason="the body must be a JSON object")
        notebook = body.get("notebook")
        if isinstance(notebook, dict) and "path" not in body:  # the legacy shape
            body = {
                **body,
                "path": notebook.get("path") or notebook.get("name"),
                "type": "notebook",
            }
        path, type_, name = _text(body, "path"), _text(body, "type"), _text(body, "name")
        if not path:
            raise HTTPError(400, reason="Missing field in JSON data: path")
        if not type_:
            raise HTTPError(400, reason="Missing field in JSON data: type")
        kernel = body.get("kernel") or {}
        if not isinstance(kernel, dict):
            raise HTTPError(400, reason="kernel must be an object")
        model = await self.services.sessions.create(
            path=path,
            type=type_,
            name=name or "",
            kernel_name=kernel.get("name"),
            kernel_id=kernel.get("id"),
        )
        self.set_header("Location", f"{self.services.prefix}/api/sessions/{quote(model['id'])}")
        self.write_json(model, status=201)


class SessionHandler(JupyterHandler):
    def get(self, session_id: str) -> None:
        self.write_json(self.services.sessions.get(session_id))

    async def patch(self, session_id: str) -> None:
        body = self.json_body(required=True)
        if not isinstance(body, dict):
            raise HTTPError(400, reason="the body must be a JSON object")
        for key in ("path", "name", "type"):
            _text(body, key)
        self.write_json(await self.services.sessions.update(session_id, body))

    async def delete(self, session_id: str) -> None:
        await self.services.sessions.delete(session_id)
        self.set_status(204)
        self.finish()


def session_routes(prefix: str, common: dict[str, Any]) -> list[Any]:
    return [
        (f"{prefix}/api/sessions", SessionsHandler, common),
        (rf"{prefix}/api/sessions/(\w+-\w+-\w+-\w+-\w+)", SessionHandler, common),
    ]
