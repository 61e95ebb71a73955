"""Finding the models a value refers to, and every model reachable from a set of roots."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from livedoc.document.values import Expr, Field, ObjectValue, Value

if TYPE_CHECKING:
    from livedoc.document.model import BaseModel

__all__ = ["collect_models", "models_in"]

_ATOMS = (str, int, float, bool, bytes, type(None))


def models_in(value: Any) -> Iterator[BaseModel]:
    """The models directly inside `value` (not the models those models refer to)."""
    from livedoc.document.model import BaseModel

    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _ATOMS):
            continue
        if isinstance(item, BaseModel):
            yield item
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, Field | Value | Expr):
            stack.extend(getattr(item, name) for name in item.__slots__)
        elif isinstance(item, ObjectValue):
            stack.extend(item.attributes.values())
        elif isinstance(item, np.ndarray) and item.dtype == object:
            stack.extend(item.ravel().tolist())


def collect_models(roots: Iterable[BaseModel]) -> dict[str, BaseModel]:
    """Every model reachable from `roots`, by id, in discovery order."""
    found: dict[str, BaseModel] = {}
    stack = list(roots)
    while stack:
        model = stack.pop()
        if model.id in found:
            continue
        found[model.id] = model
        stack.extend(model.references())
    return found
