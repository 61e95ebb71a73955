"""Value types of the wire encoding that have no plain Python equivalent.

Vectorized property specs say where a glyph's value comes from: a column (`Field`), a constant
(`Value`) or a computed expression (`Expr`), each with an optional transform and units.
`ObjectValue` is a non-model object rep (a `{"type": "object"}` without an id), kept as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Any

__all__ = ["Expr", "Field", "ObjectValue", "Value", "expr", "field", "value"]


@dataclass(frozen=True, slots=True)
class Field:
    """Take values from the data source column `field`."""

    field: str
    transform: Any = None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class Value:
    """Use the constant `value` for every data point."""

    value: Any
    transform: Any = None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class Expr:
    """Compute values with the expression model `expr`."""

    expr: Any
    transform: Any = None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectValue:
    """A non-model object rep: a type name and attributes, with no identity."""

    name: str
    attributes: dict[str, Any] = dataclass_field(default_factory=dict)


def field(name: str, transform: Any = None, units: str | None = None) -> Field:
    return Field(name, transform, units)


def value(val: Any, transform: Any = None, units: str | None = None) -> Value:
    return Value(val, transform, units)


def expr(model: Any, transform: Any = None, units: str | None = None) -> Expr:
    return Expr(model, transform, units)
