"""Build hook: put the pinned BokehJS bundles into the package's static folder.

BokehJS is third-party and built, so it is never committed. `package.json` and
`package-lock.json` pin `@bokeh/bokehjs`; this hook runs `npm ci` when `node_modules` does not
hold that exact version, then copies the six UMD bundles into `src/livedoc/static/js` and
records the version beside them. It runs for wheels and for `pip install -e .` alike.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLES = ("bokeh", "bokeh-widgets", "bokeh-tables", "bokeh-gl", "bokeh-mathjax", "bokeh-api")


def _pinned_version(root: Path) -> str:
    manifest = json.loads((root / "package.json").read_text())
    return str(manifest["dependencies"]["@bokeh/bokehjs"])


def _installed_version(package_dir: Path) -> str | None:
    manifest = package_dir / "package.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text()).get("version"))


def _log(message: str) -> None:
    print(f"[livedoc build] {message}", file=sys.stderr, flush=True)


def install_bundles(root: Path) -> Path:
    """Ensure `src/livedoc/static/js` holds the pinned bundles; return that folder."""
    version = _pinned_version(root)
    target = root / "src" / "livedoc" / "static" / "js"
    stamp = target / "VERSION"
    wanted = [target / f"{name}.min.js" for name in BUNDLES]
    if (
        stamp.is_file()
        and stamp.read_text().strip() == version
        and all(p.is_file() for p in wanted)
    ):
        return target

    package_dir = root / "node_modules" / "@bokeh" / "bokehjs"
    if _installed_version(package_dir) != version:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                f"livedoc needs BokehJS {version} from npm, but `npm` is not on PATH. "
                "Install Node.js and npm (Debian: apt-get install -y nodejs npm), then reinstall."
            )
        _log(f"npm ci: fetching @bokeh/bokehjs@{version}")
        subprocess.run(
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=root, check=True
        )
        if _installed_version(package_dir) != version:
            raise RuntimeError(f"npm ci did not install @bokeh/bokehjs@{version}")

    target.mkdir(parents=True, exist_ok=True)
    for name in BUNDLES:
        source = package_dir / "build" / "js" / f"{name}.min.js"
        shutil.copyfile(source, target / source.name)
    stamp.write_text(version + "\n")
    _log(f"copied {len(BUNDLES)} BokehJS {version} bundles into {target}")
    return target


class BokehJSBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "sdist":
            return
        install_bundles(Path(self.root))


if __name__ == "__main__":
    install_bundles(Path(__file__).resolve().parent)
