"""Kernel specs: `kernel.json` discovery the Jupyter way, and the models `/api/kernelspecs` shows.

Discovery is jupyter_client's (`JUPYTER_PATH`, the user and environment data directories, and
a built-in `python3` spec when ipykernel is importable); this module only shapes what clients
see: `{"name", "spec", "resources"}` where `resources` maps `logo-64x64` & co. to the URLs of
the files beside `kernel.json`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

__all__ = ["KernelSpecs", "NoSuchKernel", "UnknownKernelSpec"]

#: Files beside kernel.json that clients may fetch: logos by name without extension, the rest
#: by their full name.
_RESOURCE_FILES = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg", "kernel.js", "kernel.css")


class UnknownKernelSpec(LookupError):
    """No kernel spec has this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Kernel spec {name} not found")
        self.name = name


class KernelSpecs:
    """The kernel specs this server offers."""

    def __init__(self, *, default_name: str = "python3", url_prefix: str = "") -> None:
        self.manager = KernelSpecManager()
        self.default_name = default_name
        self.url_prefix = url_prefix

    def names(self) -> list[str]:
        return sorted(self.manager.find_kernel_specs())

    def resource_dir(self, name: str) -> Path:
        try:
            return Path(self.manager.get_kernel_spec(name).resource_dir)
        except NoSuchKernel:
            raise UnknownKernelSpec(name) from None

    def model(self, name: str) -> dict[str, Any]:
        """What `GET /api/kernelspecs/<name>` answers."""
        try:
            spec = self.manager.get_kernel_spec(name)
        except NoSuchKernel:
            raise UnknownKernelSpec(name) from None
        resources = {}
        for filename in _RESOURCE_FILES:
            if os.path.isfile(os.path.join(spec.resource_dir, filename)):
                key = filename.rsplit(".", 1)[0] if filename.startswith("logo-") else filename
                resources[key] = f"{self.url_prefix}/kernelspecs/{name}/{filename}"
        return {"name": name, "spec": spec.to_dict(), "resources": resources}

    def models(self) -> dict[str, Any]:
        """What `GET /api/kernelspecs` answers; a spec that cannot be read is left out."""
        specs = {}
        for name in self.names():
            try:
                specs[name] = self.model(name)
            except (UnknownKernelSpec, OSError, ValueError):
                continue
        default = self.default_name if self.default_name in specs else next(iter(specs), "")
        return {"default": default, "kernelspecs": specs}

    def resource(self, name: str, filename: str) -> Path:
        """A file beside the spec's kernel.json; UnknownKernelSpec or FileNotFoundError."""
        if filename not in _RESOURCE_FILES:
            raise FileNotFoundError(filename)
        path = self.resource_dir(name) / filename
        if not path.is_file():
            raise FileNotFoundError(filename)
        return path
