"""`/api/contents/<path>` and its checkpoints: thin handlers over `ContentsManager`.

Filesystem work runs in a worker thread (a large notebook must not stall every websocket on
the loop); the manager's `ContentsError` carries the status to answer.
"""

from __future__ import annotations

import asyncio
import email.utils
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tornado.web import HTTPError

from livedoc.server.jupyter.base import JupyterHandler
from livedoc.services.contents import ContentsError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CheckpointHandler", "CheckpointsHandler", "ContentsHandler", "contents_routes"]


def _flag(handler: JupyterHandler, name: str, default: bool) -> bool:
    value = handler.get_query_argument(name, None)
    if value is None:
        return default
    if value not in ("0", "1"):
        raise HTTPError(400, reason=f"{name} {value!r} is invalid: use 0 or 1")
    return value == "1"


class _ContentsBase(JupyterHandler):
    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except ContentsError as exc:
            raise HTTPError(exc.status, reason=exc.message) from None

    def location(self, path: str) -> str:
        return f"{self.services.prefix}/api/contents/{quote(path)}"


class ContentsHandler(_ContentsBase):
    async def get(self, path: str = "") -> None:
        contents = self.services.contents
        model = await self.run(
            contents.get,
            path,
            type=self.get_query_argument("type", None),
            format=self.get_query_argument("format", None),
            content=_flag(self, "content", True),
            hash=_flag(self, "hash", False),
        )
        modified = await self.run(contents.last_modified, path)
        self.set_header("Last-Modified", email.utils.formatdate(modified, usegmt=True))
        self.write_json(model)

    async def put(self, path: str = "") -> None:
        body = self.json_body()
        contents = self.services.contents
        if body is None or body == {}:  # an empty PUT makes an untitled file, as a POST does
            model = await self.run(contents.new_untitled, path)
            self.set_header("Location", self.location(model["path"]))
            self.write_json(model, status=201)
            return
        if not isinstance(body, dict):
            raise HTTPError(400, reason="the body must be a JSON object")
        model, created = await self.run(contents.save, body, path)
        self.set_header("Location", self.location(model["path"]))
        self.write_json(model, status=201 if created else 200)

    async def post(self, path: str = "") -> None:
        body = self.json_body() or {}
        if not isinstance(body, dict):
            raise HTTPError(400, reason="the body must be a JSON object")
        contents = self.services.contents
        if body.get("copy_from"):
            model = await self.run(contents.copy, str(body["copy_from"]), path)
        else:
            model = await self.run(
                contents.new_untitled, path, type=body.get("type"), ext=body.get("ext")
            )
        self.set_header("Location", self.location(model["path"]))
        self.write_json(model, status=201)

    async def patch(self, path: str = "") -> None:
        body = self.json_body(required=True)
        if not isinstance(body, dict) or not isinstance(body.get("path"), str):
            raise HTTPError(400, reason='give the new path: {"path": "new/name"}')
        model = await self.run(self.services.contents.rename, path, body["path"])
        self.set_header("Location", self.location(model["path"]))
        self.write_json(model)

    async def delete(self, path: str = "") -> None:
        await self.run(self.services.contents.delete, path)
        self.set_status(204)
        self.finish()


class CheckpointsHandler(_ContentsBase):
    async def get(self, path: str) -> None:
        self.write_json(await self.run(self.services.contents.list_checkpoints, path))

    async def post(self, path: str) -> None:
        checkpoint = await self.run(self.services.contents.create_checkpoint, path)
        self.set_header("Location", f"{self.location(path)}/checkpoints/{checkpoint['id']}")
        self.write_json(checkpoint, status=201)


class CheckpointHandler(_ContentsBase):
    async def post(self, path: str, checkpoint_id: str) -> None:
        await self.run(self.services.contents.restore_checkpoint, path, checkpoint_id)
        self.set_status(204)
        self.finish()

    async def delete(self, path: str, checkpoint_id: str) -> None:
        await self.run(self.services.contents.delete_checkpoint, path, checkpoint_id)
        self.set_status(204)
        self.finish()


def contents_routes(prefix: str, common: dict[str, Any]) -> list[Any]:
    return [
        (f"{prefix}/api/contents/(.+)/checkpoints", CheckpointsHandler, common),
        (f"{prefix}/api/contents/(.+)/checkpoints/([^/]+)", CheckpointHandler, common),
        (f"{prefix}/api/contents/?(.*)", ContentsHandler, common),
    ]
