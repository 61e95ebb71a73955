"""The Jupyter-Server-compatible API: `/api/kernels`, `/api/kernelspecs`, `/api/sessions`,
`/api/contents` and the kernel websocket, with jupyter_server's models and status codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from livedoc.server.jupyter.channels import KernelChannelsHandler
from livedoc.server.jupyter.contents import contents_routes
from livedoc.server.jupyter.kernels import kernel_routes
from livedoc.server.jupyter.services import JupyterServices as JupyterServices
from livedoc.server.jupyter.sessions import session_routes

if TYPE_CHECKING:
    from livedoc.server.origins import OriginPolicy

__all__ = ["JupyterServices", "jupyter_routes"]


def jupyter_routes(prefix: str, services: JupyterServices, origins: OriginPolicy) -> list[Any]:
    common = {"services": services, "origins": origins}
    return [
        *kernel_routes(prefix, common),
        (rf"{prefix}/api/kernels/(\w+-\w+-\w+-\w+-\w+)/channels", KernelChannelsHandler, common),
        *session_routes(prefix, common),
        *contents_routes(prefix, common),
    ]
