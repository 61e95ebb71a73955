"""The BokehJS bundles are installed by the package build, and their absence is a clear error."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from livedoc.bokehjs import BOKEHJS_VERSION, BUNDLES, JS_DIR, bundle_paths
from livedoc.errors import BundleMissingError

if TYPE_CHECKING:
    from pathlib import Path


def test_installed_bundles_are_the_pinned_build() -> None:
    paths = bundle_paths()
    assert list(paths) == list(BUNDLES)
    assert next(iter(paths)) == "bokeh"  # loads first; plugins register with it
    for path in paths.values():
        assert path.stat().st_size > 50_000
    assert f'"{BOKEHJS_VERSION}"' in paths["bokeh"].read_text(errors="replace")[:2_000_000]


def test_missing_bundle_names_the_file_and_the_fix(tmp_path: Path) -> None:
    for name in BUNDLES[:-1]:
        shutil.copy(JS_DIR / f"{name}.min.js", tmp_path)
    (tmp_path / "VERSION").write_text(BOKEHJS_VERSION)
    with pytest.raises(BundleMissingError, match=r"bokeh-api\.min\.js.*pip install -e \."):
        bundle_paths(tmp_path)


def test_bundles_of_another_version_are_refused(tmp_path: Path) -> None:
    for name in BUNDLES:
        shutil.copy(JS_DIR / f"{name}.min.js", tmp_path)
    (tmp_path / "VERSION").write_text("3.8.0\n")
    with pytest.raises(
        BundleMissingError, match=rf"version 3\.8\.0; livedoc needs {BOKEHJS_VERSION}"
    ):
        bundle_paths(tmp_path)
