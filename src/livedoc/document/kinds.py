"""Property kinds: what values a model property accepts, and how they are normalized.

A kind's `validate` returns the value to store (a tuple given for a `List` becomes a list, an
int given for a `Float` stays an int) or raises `KindMismatch` describing what was wrong. The
model layer turns that into a `ValidationError` naming the model and the attribute.

Kinds mirror BokehJS's (`core/kinds`), so a value accepted here is one BokehJS accepts.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeGuard, TypeVar

import numpy as np

from livedoc.document.colors import is_color_string
from livedoc.document.values import Expr, Field, Value

if TYPE_CHECKING:
    from livedoc.document.model import BaseModel

__all__ = [
    "AnyKind",
    "Bool",
    "Bytes",
    "Color",
    "ColumnData",
    "Date",
    "Datetime",
    "Dict",
    "Either",
    "Enum",
    "Float",
    "Instance",
    "Int",
    "Kind",
    "KindMismatch",
    "List",
    "Never",
    "NonNegative",
    "Nullable",
    "Positive",
    "Regex",
    "Seq",
    "Set",
    "Spec",
    "String",
    "Struct",
    "Tuple",
]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class KindMismatch(Exception):
    """A value does not fit a kind; the message says how."""


def _show(value: object) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_real(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


class Kind(ABC, Generic[T]):
    """Base of all kinds. Subclasses implement `validate` and `__repr__`."""

    #: Whether values of this kind may hold models (the document then tracks references).
    may_hold_models: bool = False

    @abstractmethod
    def validate(self, value: object) -> T:
        """The value to store, or `KindMismatch` saying what does not fit."""

    def mismatch(self, value: object) -> KindMismatch:
        return KindMismatch(f"expected {self!r}, got {_show(value)}")

    def __repr__(self) -> str:
        return type(self).__name__


class AnyKind(Kind[Any]):
    may_hold_models = True

    def validate(self, value: object) -> Any:
        return value

    def __repr__(self) -> str:
        return "Any"


class Never(Kind[Any]):
    """A kind no Python value has (a JavaScript function); `Nullable(Never(...))` takes None."""

    def __init__(self, what: str) -> None:
        self.what = what

    def validate(self, value: object) -> Any:
        raise KindMismatch(f"expected {self.what}, got {_show(value)}")

    def __repr__(self) -> str:
        return f"Never({self.what!r})"


class Bool(Kind[bool]):
    def validate(self, value: object) -> bool:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise self.mismatch(value)


class Int(Kind[int]):
    def validate(self, value: object) -> int:
        if isinstance(value, int | np.integer) and not isinstance(value, bool):
            return int(value)
        raise self.mismatch(value)


class Float(Kind[float]):
    """Any real number; ints are kept as ints, NumPy scalars become Python numbers."""

    def validate(self, value: object) -> float:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise self.mismatch(value)
        if isinstance(value, numbers.Integral):
            return int(value)
        return float(value)


class String(Kind[str]):
    def validate(self, value: object) -> str:
        if isinstance(value, str):
            return value
        raise self.mismatch(value)


class Regex(Kind[str]):
    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def validate(self, value: object) -> str:
        if isinstance(value, str) and self.pattern.fullmatch(value):
            return value
        raise self.mismatch(value)

    def __repr__(self) -> str:
        return f"Regex({self.pattern.pattern!r})"


class Bytes(Kind[bytes]):
    def validate(self, value: object) -> bytes:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        raise self.mismatch(value)


class Enum(Kind[str]):
    def __init__(self, *values: str) -> None:
        self.values = tuple(values)
        self._set = frozenset(values)

    def validate(self, value: object) -> str:
        if isinstance(value, str) and value in self._set:
            return value
        raise KindMismatch(f"expected one of {list(self.values)}, got {_show(value)}")

    def __repr__(self) -> str:
        return f"Enum({', '.join(map(repr, self.values))})"


class _Wrapper(Kind[T]):
    def __init__(self, inner: Kind[Any]) -> None:
        self.inner = inner
        self.may_hold_models = inner.may_hold_models

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.inner!r})"


class Nullable(_Wrapper[T | None]):
    def validate(self, value: object) -> T | None:
        if value is None:
            return None
        result: T = self.inner.validate(value)
        return result


class NonNegative(_Wrapper[T]):
    def validate(self, value: object) -> T:
        result: T = self.inner.validate(value)
        if result < 0:  # type: ignore[operator]
            raise KindMismatch(f"expected a non-negative {self.inner!r}, got {_show(value)}")
        return result


class Positive(_Wrapper[T]):
    def validate(self, value: object) -> T:
        result: T = self.inner.validate(value)
        if result <= 0:  # type: ignore[operator]
            raise KindMismatch(f"expected a positive {self.inner!r}, got {_show(value)}")
        return result


def _items(kind: Kind[Any], values: Iterable[object], where: str) -> list[Any]:
    result = []
    for index, item in enumerate(values):
        try:
            result.append(kind.validate(item))
        except KindMismatch as exc:
            raise KindMismatch(f"{where}[{index}]: {exc}") from None
    return result


class List(_Wrapper[list[T]]):
    """A list (a tuple is accepted and becomes a list)."""

    def validate(self, value: object) -> list[T]:
        if isinstance(value, list | tuple):
            return _items(self.inner, value, "item")
        raise self.mismatch(value)


class Seq(_Wrapper[Sequence[T]]):
    """A list, a tuple or a one-dimensional-or-more NumPy array (kept as an array)."""

    def validate(self, value: object) -> Sequence[T]:
        if isinstance(value, np.ndarray):
            if value.ndim == 0:
                raise self.mismatch(value)
            return value  # type: ignore[return-value]
        if isinstance(value, list | tuple):
            return _items(self.inner, value, "item")
        raise self.mismatch(value)


class Set(_Wrapper[set[T]]):
    def validate(self, value: object) -> set[T]:
        if isinstance(value, set | frozenset | list | tuple):
            try:
                return set(_items(self.inner, value, "item"))
            except TypeError:
                raise KindMismatch(f"set items must be hashable, got {_show(value)}") from None
        raise self.mismatch(value)


class Tuple(Kind[tuple[Any, ...]]):
    """A fixed-length tuple; with `required`, the items after the first `required` may be
    left out (BokehJS's optional trailing items)."""

    def __init__(self, *items: Kind[Any], required: int | None = None) -> None:
        self.items = items
        self.required = len(items) if required is None else required
        self.may_hold_models = any(kind.may_hold_models for kind in items)

    def validate(self, value: object) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple) or not (
            self.required <= len(value) <= len(self.items)
        ):
            raise self.mismatch(value)
        result = []
        for index, (kind, item) in enumerate(zip(self.items, value, strict=False)):
            try:
                result.append(kind.validate(item))
            except KindMismatch as exc:
                raise KindMismatch(f"tuple item {index}: {exc}") from None
        return tuple(result)

    def __repr__(self) -> str:
        return f"Tuple({', '.join(map(repr, self.items))})"


class Dict(Kind[dict[K, V]]):
    def __init__(self, keys: Kind[K], values: Kind[V]) -> None:
        self.keys, self.values = keys, values
        self.may_hold_models = keys.may_hold_models or values.may_hold_models

    def validate(self, value: object) -> dict[K, V]:
        if not isinstance(value, Mapping):
            raise self.mismatch(value)
        result: dict[K, V] = {}
        for key, item in value.items():
            try:
                result[self.keys.validate(key)] = self.values.validate(item)
            except KindMismatch as exc:
                raise KindMismatch(f"entry {key!r}: {exc}") from None
        return result

    def __repr__(self) -> str:
        return f"Dict({self.keys!r}, {self.values!r})"


class Struct(Kind[dict[str, Any]]):
    """A dict with known keys; keys given with a kind wrapped in `optional` may be absent."""

    def __init__(self, optional: Iterable[str] = (), **fields: Kind[Any]) -> None:
        self.fields = fields
        self.optional = frozenset(optional)
        self.may_hold_models = any(kind.may_hold_models for kind in fields.values())

    @classmethod
    def of(cls, fields: Mapping[str, Kind[Any]], optional: Iterable[str] = ()) -> Struct:
        """A struct from a mapping, for field names that are not identifiers (`from`)."""
        return cls(optional, **fields)

    def validate(self, value: object) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.mismatch(value)
        unknown = set(value) - set(self.fields)
        if unknown:
            raise KindMismatch(f"unknown struct fields {sorted(map(str, unknown))} in {self!r}")
        result: dict[str, Any] = {}
        for name, kind in self.fields.items():
            if name not in value:
                if name in self.optional:
                    continue
                raise KindMismatch(f"struct field {name!r} is missing in {_show(value)}")
            try:
                result[name] = kind.validate(value[name])
            except KindMismatch as exc:
                raise KindMismatch(f"struct field {name!r}: {exc}") from None
        return result

    def __repr__(self) -> str:
        return "Struct(" + ", ".join(f"{name}={kind!r}" for name, kind in self.fields.items()) + ")"


class Either(Kind[Any]):
    """The first of several kinds that accepts the value."""

    def __init__(self, *choices: Kind[Any]) -> None:
        self.choices = choices
        self.may_hold_models = any(kind.may_hold_models for kind in choices)

    def validate(self, value: object) -> Any:
        for kind in self.choices:
            try:
                return kind.validate(value)
            except KindMismatch:
                continue
        raise self.mismatch(value)

    def __repr__(self) -> str:
        return f"Either({', '.join(map(repr, self.choices))})"


class Instance(Kind[T]):
    """A model of a class, given as the class or by its wire name (for forward references)."""

    may_hold_models = True

    def __init__(self, model: type[T] | str) -> None:
        self._model = model

    @property
    def model_name(self) -> str:
        return self._model if isinstance(self._model, str) else self._model.__name__

    def _accepts(self, value: BaseModel) -> bool:
        if isinstance(self._model, str):
            # A name: the value's class, or any base class, must carry it.
            return (
                any(
                    getattr(cls, "__model_name__", None) == self._model
                    or cls.__name__ == self._model
                    for cls in type(value).__mro__
                )
                or value.model_type == self._model
            )
        return isinstance(value, self._model)

    def validate(self, value: object) -> T:
        from livedoc.document.model import BaseModel

        if isinstance(value, BaseModel) and self._accepts(value):
            return value  # type: ignore[return-value]
        raise KindMismatch(f"expected an instance of {self.model_name}, got {_show(value)}")

    def __repr__(self) -> str:
        return f"Instance({self.model_name})"


class Color(Kind[Any]):
    """A CSS color string, an RGB(A) tuple, or a packed 32-bit RGBA integer."""

    def validate(self, value: object) -> Any:
        if isinstance(value, str):
            if is_color_string(value):
                return value
        elif isinstance(value, tuple | list) and len(value) in (3, 4):
            rgb, alpha = value[:3], value[3:]
            if all(_is_int(c) and 0 <= c <= 255 for c in rgb) and all(
                _is_real(a) and 0 <= a <= 1 for a in alpha
            ):
                return tuple(value)
        elif _is_int(value) and 0 <= value <= 0xFFFFFFFF:
            return int(value)
        raise KindMismatch(
            f"expected a color (a CSS color name, #rrggbb, rgb(...) or an RGB tuple), got {_show(value)}"
        )

    def __repr__(self) -> str:
        return "Color"


class Datetime(Kind[Any]):
    """A date or time: datetime, date, NumPy datetime64, or milliseconds since the epoch."""

    def validate(self, value: object) -> Any:
        if isinstance(value, dt.datetime | np.datetime64):
            return value
        if isinstance(value, dt.date):  # midnight (UTC), so it travels as milliseconds
            return dt.datetime(value.year, value.month, value.day)
        if _is_real(value) and math.isfinite(value):
            return value
        raise self.mismatch(value)


class Date(Kind[Any]):
    """A calendar date: a date, or an ISO `YYYY-MM-DD` string."""

    def validate(self, value: object) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.mismatch(value)


class ColumnData(Kind[dict[str, Any]]):
    """The data of a column source: column name to list, tuple or NumPy array."""

    may_hold_models = False

    def validate(self, value: object) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.mismatch(value)
        result: dict[str, Any] = {}
        for name, column in value.items():
            if not isinstance(name, str):
                raise KindMismatch(f"column names must be strings, got {_show(name)}")
            if isinstance(column, tuple):
                column = list(column)
            elif isinstance(column, np.ndarray):
                if column.ndim == 0:
                    raise KindMismatch(f"column {name!r} is a 0-dimensional array")
            elif not isinstance(column, list):
                raise KindMismatch(
                    f"column {name!r} must be a list or an array, got {_show(column)}"
                )
            result[name] = column
        return result

    def __repr__(self) -> str:
        return "ColumnData"


class Spec(Kind[Any]):
    """A vectorized property: a `Field`, a `Value` of the inner kind, or an `Expr`.

    How a plain string is read depends on `strings`:

    * `"auto"` (numbers, colors): a string the inner kind accepts is a value, any other string
      names a column (`x="time"` is the column `time`, `line_color="red"` is a color);
    * `"field"` (string specs such as a text glyph's `text`): a string names a column; wrap it
      in `Value` for a constant;
    * `"value"` (fonts, alignments, dashes, markers): a string is always a value.

    Dicts in Bokeh's `{"field": ...}` / `{"value": ...}` form are accepted too.
    """

    may_hold_models = True  # transforms and expressions are models

    def __init__(self, inner: Kind[Any], *, strings: str = "auto") -> None:
        if strings not in ("auto", "field", "value"):
            raise ValueError(f"strings must be 'auto', 'field' or 'value', not {strings!r}")
        self.inner = inner
        self.strings = strings

    def validate(self, value: object) -> Any:
        if isinstance(value, Field | Expr):
            return value
        if isinstance(value, Value):
            return Value(self._value(value.value), value.transform, value.units)
        if isinstance(value, Mapping):
            return self._from_mapping(value)
        if isinstance(value, str) and self.strings == "field":
            return Field(value)
        try:
            return Value(self.inner.validate(value))
        except KindMismatch:
            if isinstance(value, str) and self.strings == "auto":
                return Field(value)
            if self.strings == "value":
                raise
            raise KindMismatch(
                f"expected a field name, a value of {self.inner!r} or a spec, got {_show(value)}"
            ) from None

    def _value(self, value: object) -> Any:
        return self.inner.validate(value)

    def _from_mapping(self, spec: Mapping[Any, Any]) -> Any:
        extra = {key: spec[key] for key in ("transform", "units") if key in spec}
        if set(spec) - {"field", "value", "expr", "transform", "units"}:
            raise KindMismatch(f"unknown keys in a spec dict: {sorted(map(str, spec))}")
        if "field" in spec and isinstance(spec["field"], str):
            return Field(spec["field"], **extra)
        if "value" in spec:
            return Value(self._value(spec["value"]), **extra)
        if "expr" in spec:
            return Expr(spec["expr"], **extra)
        raise KindMismatch(
            f"a spec dict needs 'field', 'value' or 'expr', got {sorted(map(str, spec))}"
        )

    def __repr__(self) -> str:
        return f"Spec({self.inner!r})"
