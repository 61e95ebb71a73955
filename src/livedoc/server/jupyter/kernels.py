"""`/api`, `/api/status`, `/api/kernelspecs`, `/kernelspecs/<name>/<file>` and `/api/kernels`:
thin handlers over the kernel manager, with jupyter_server's status codes and models."""

from __future__ import annotations

import json
import mimetypes
import uuid
from typing import Any
from urllib.parse import quote

from tornado.web import HTTPError

from livedoc import __version__
from livedoc.kernels.manager import NoSuchKernelError
from livedoc.kernels.specs import UnknownKernelSpec
from livedoc.server.jupyter.base import JupyterHandler
from livedoc.services.clock import iso_utc

__all__ = [
    "API_VERSION",
    "ApiHandler",
    "KernelActionHandler",
    "KernelHandler",
    "KernelSpecHandler",
    "KernelSpecResourceHandler",
    "KernelSpecsHandler",
    "KernelsHandler",
    "MeHandler",
    "StatusHandler",
    "TerminalsHandler",
    "kernel_routes",
]

#: The jupyter_server version whose API this one follows (clients probe `GET /api`).
API_VERSION = "2.21.1"


class ApiHandler(JupyterHandler):
    """`GET /api`: no authentication, as clients probe it."""

    def prepare(self) -> None:
        pass

    def get(self) -> None:
        self.write_json({"version": API_VERSION, "livedoc": __version__})


class StatusHandler(JupyterHandler):
    def get(self) -> None:
        kernels = self.services.kernels
        last = max(
            [self.services.api_last_activity, kernels.last_activity or 0.0, self.services.started]
        )
        self.write_json(
            {
                "connections": kernels.connections,
                "kernels": len(kernels.all()),
                "last_activity": iso_utc(last),
                "started": iso_utc(self.services.started),
            }
        )


class MeHandler(JupyterHandler):
    """`GET /api/me`: who the client is (a token holder has no name here) and, when asked with
    `?permissions={"resource": ["action", ...]}`, what it may do (everything: the token grants
    it all)."""

    def get(self) -> None:
        asked = self.get_query_argument("permissions", None)
        permissions: dict[str, list[str]] = {}
        if asked is not None:
            try:
                wanted = json.loads(asked)
            except ValueError:
                raise HTTPError(400, reason="permissions must be JSON") from None
            if not isinstance(wanted, dict) or not all(
                isinstance(v, list) for v in wanted.values()
            ):
                raise HTTPError(400, reason='permissions look like {"kernels": ["read"]}')
            permissions = {str(k): [str(a) for a in v] for k, v in wanted.items()}
        identity = {
            "username": "livedoc",
            "name": "livedoc",
            "display_name": "livedoc",
            "initials": "LD",
            "avatar_url": None,
            "color": None,
        }
        self.write_json({"identity": identity, "permissions": permissions})


class TerminalsHandler(JupyterHandler):
    """`GET /api/terminals`: none (clients list them; livedoc offers no terminals)."""

    def get(self) -> None:
        self.write_json([])


class KernelSpecsHandler(JupyterHandler):
    def get(self) -> None:
        self.write_json(self.services.specs.models())


class KernelSpecHandler(JupyterHandler):
    def get(self, name: str) -> None:
        try:
            self.write_json(self.services.specs.model(name))
        except UnknownKernelSpec as exc:
            raise HTTPError(404, reason=str(exc)) from None


class KernelSpecResourceHandler(JupyterHandler):
    """`GET /kernelspecs/<name>/<file>`: a logo or kernel.js beside kernel.json."""

    def get(self, name: str, filename: str) -> None:
        try:
            path = self.services.specs.resource(name, filename)
        except (UnknownKernelSpec, FileNotFoundError):
            raise HTTPError(404, reason=f"no {filename} for kernel spec {name}") from None
        kind, _ = mimetypes.guess_type(filename)
        self.set_header("Content-Type", kind or "application/octet-stream")
        self.finish(path.read_bytes())


class KernelsHandler(JupyterHandler):
    def get(self) -> None:
        self.write_json([kernel.model() for kernel in self.services.kernels.all()])

    async def post(self) -> None:
        body = self.json_body() or {}
        if not isinstance(body, dict):
            raise HTTPError(400, reason="the body must be a JSON object")
        name, path, kernel_id = body.get("name"), body.get("path"), body.get("kernel_id")
        if kernel_id is not None:
            try:
                uuid.UUID(str(kernel_id))
            except ValueError:
                raise HTTPError(400, reason=f"kernel_id {kernel_id!r} is not a UUID") from None
        env = body.get("env")
        if env is not None and not (
            isinstance(env, dict) and all(isinstance(v, str) for v in env.values())
        ):
            raise HTTPError(400, reason="env must map names to strings")
        cwd = self.services.contents.kernel_directory(path) if isinstance(path, str) else None
        try:
            kernel = await self.services.kernels.start_kernel(
                name, kernel_id=kernel_id, cwd=cwd, env=_kernel_env(env)
            )
        except UnknownKernelSpec as exc:
            raise HTTPError(404, reason=str(exc)) from None
        self.set_header("Location", f"{self.services.prefix}/api/kernels/{quote(kernel.id)}")
        self.write_json(kernel.model(), status=201)


def _kernel_env(env: dict[str, Any] | None) -> dict[str, str] | None:
    """What a client may set in a kernel's environment: the `KERNEL_*` variables and
    JPY_SESSION_NAME (as Kernel Gateway passes them), not PATH or LD_PRELOAD."""
    if not env:
        return None
    return {
        name: value
        for name, value in env.items()
        if name.startswith("KERNEL_") or name == "JPY_SESSION_NAME"
    }


class KernelHandler(JupyterHandler):
    def get(self, kernel_id: str) -> None:
        self.write_json(self._kernel(kernel_id).model())

    async def delete(self, kernel_id: str) -> None:
        try:
            await self.services.kernels.shutdown_kernel(kernel_id)
        except NoSuchKernelError as exc:
            raise HTTPError(404, reason=str(exc)) from None
        self.set_status(204)
        self.finish()

    def _kernel(self, kernel_id: str) -> Any:
        try:
            return self.services.kernels.get(kernel_id)
        except NoSuchKernelError as exc:
            raise HTTPError(404, reason=str(exc)) from None


class KernelActionHandler(KernelHandler):
    """`POST /api/kernels/<id>/interrupt` (204) and `/restart` (200, once it answers)."""

    async def post(self, kernel_id: str, action: str) -> None:
        kernel = self._kernel(kernel_id)
        if action == "interrupt":
            await self.services.kernels.interrupt_kernel(kernel.id)
            self.set_status(204)
            self.finish()
            return
        try:
            await self.services.kernels.restart_kernel(kernel.id)
        except (TimeoutError, RuntimeError) as exc:
            raise HTTPError(500, reason=f"Exception restarting kernel: {exc}") from None
        self.write_json(kernel.model())


def kernel_routes(prefix: str, common: dict[str, Any]) -> list[Any]:
    kernel_id = r"(\w+-\w+-\w+-\w+-\w+)"
    return [
        (f"{prefix}/api/?", ApiHandler, common),
        (f"{prefix}/api/status", StatusHandler, common),
        (f"{prefix}/api/me", MeHandler, common),
        (f"{prefix}/api/terminals", TerminalsHandler, common),
        (f"{prefix}/api/kernelspecs", KernelSpecsHandler, common),
        (rf"{prefix}/api/kernelspecs/([\w.\-%]+)", KernelSpecHandler, common),
        (rf"{prefix}/kernelspecs/([\w.\-%]+)/([\w.\-]+)", KernelSpecResourceHandler, common),
        (f"{prefix}/api/kernels", KernelsHandler, common),
        (f"{prefix}/api/kernels/{kernel_id}", KernelHandler, common),
        (f"{prefix}/api/kernels/{kernel_id}/(interrupt|restart)", KernelActionHandler, common),
    ]
