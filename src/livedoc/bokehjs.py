"""The BokehJS bundles livedoc serves, and the check that they are installed.

The bundles are not in the source tree: the package build (`hatch_build.py`) fetches the pinned
`@bokeh/bokehjs` from npm and copies them into `livedoc/static/js`. All bundles must come from
one build, since each plugin registers under its exact version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from livedoc.document.document import BOKEH_VERSION
from livedoc.errors import BundleMissingError

__all__ = ["BOKEHJS_VERSION", "BUNDLES", "JS_DIR", "bundle_paths"]

BOKEHJS_VERSION: Final = BOKEH_VERSION
#: In load order: `bokeh` first, then the plugins.
BUNDLES: Final = (
    "bokeh",
    "bokeh-gl",
    "bokeh-widgets",
    "bokeh-tables",
    "bokeh-mathjax",
    "bokeh-api",
)
JS_DIR: Final = Path(__file__).resolve().parent / "static" / "js"

_FIX = (
    "The package build copies them from npm: in a livedoc checkout run `pip install -e .` "
    "(Node.js and npm must be on PATH), or `python hatch_build.py`; otherwise reinstall livedoc."
)


def bundle_paths(js_dir: Path = JS_DIR) -> dict[str, Path]:
    """Each bundle's file, in load order; raises `BundleMissingError` naming the fix."""
    paths = {name: js_dir / f"{name}.min.js" for name in BUNDLES}
    missing = [path.name for path in paths.values() if not path.is_file()]
    if missing:
        raise BundleMissingError(
            f"BokehJS {BOKEHJS_VERSION} bundles missing from {js_dir}: {', '.join(missing)}. {_FIX}"
        )
    stamp = js_dir / "VERSION"
    found = stamp.read_text().strip() if stamp.is_file() else "unknown"
    if found != BOKEHJS_VERSION:
        raise BundleMissingError(
            f"the BokehJS bundles in {js_dir} are version {found}; livedoc needs {BOKEHJS_VERSION}. {_FIX}"
        )
    return paths
