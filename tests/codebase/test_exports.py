"""Every module's `__all__` names what it really defines, and the package facade is explicit."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import livedoc

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(livedoc.__path__, prefix="livedoc.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_existing_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ lists undefined names {missing}"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats names"


def test_facade() -> None:
    assert sorted(livedoc.__all__) == ["ColumnDataSource", "Document", "__version__", "curdoc"]
