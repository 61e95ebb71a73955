"""Encode Python values into Bokeh's "AnyRep" wire representation.

The representation (Bokeh 3.x):

* `None`, bools, strings, finite numbers and lists are themselves; a tuple is a list;
  integers beyond 2**53 become floats; NaN and infinities are `{"type": "number", ...}`;
* dicts are `{"type": "map", "entries": [[k, v], ...]}`, sets `{"type": "set", ...}`;
* bytes are `{"type": "bytes", "data": {"id": <buffer id>}}` with the payload in a binary
  frame (or, with `binary=False`, `data` is base64 of the gzipped bytes);
* NumPy arrays are `{"type": "ndarray", "array": <bytes>, "shape", "dtype", "order"}`, after
  the conversions of `livedoc.document.arrays`; string and object arrays carry a JSON list;
* models are `{"type": "object", "name", "id", "attributes"}` the first time this serializer
  (or the peer, per `known`) meets them, and `{"id": ...}` after that;
* slices, `Value`/`Field`/`Expr` specs, UI events and non-model objects have their own reps;
* datetimes become float milliseconds since the epoch, dates ISO strings.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import math
from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from livedoc.document.arrays import prepare_array
from livedoc.document.model import BaseModel
from livedoc.document.ui_events import Event
from livedoc.document.values import Expr, Field, ObjectValue, Value
from livedoc.errors import SerializationError

if TYPE_CHECKING:
    from livedoc._types import ID, Buffer

__all__ = ["DEFAULT_MAX_DEPTH", "Serializer", "to_milliseconds"]

#: Containers nested deeper than this are refused on both encode and decode.
DEFAULT_MAX_DEPTH: Final = 256
_MAX_SAFE_INT: Final = 2**53 - 1
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_milliseconds(
    value: dt.datetime | dt.timedelta | dt.time | np.datetime64 | np.timedelta64,
) -> float:
    """Milliseconds since the epoch (datetimes; naive ones are taken as UTC) or in a duration."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (aware - _EPOCH) / dt.timedelta(milliseconds=1)
    if isinstance(value, dt.timedelta):
        return value / dt.timedelta(milliseconds=1)
    if isinstance(value, dt.time):
        return (
            value.hour * 3600 + value.minute * 60 + value.second
        ) * 1000 + value.microsecond / 1000
    if np.isnat(value):
        return math.nan
    unit = "datetime64[us]" if isinstance(value, np.datetime64) else "timedelta64[us]"
    return float(value.astype(unit).astype(np.int64)) / 1000.0


_DTYPE_NAMES: dict[np.dtype[Any], str] = {}


def dtype_name(dtype: np.dtype[Any]) -> str:
    """`dtype.name`, cached: NumPy builds the name string anew on every access (~2 us)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = dtype.name
    return name


def _number(value: float) -> Any:
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return {"type": "number", "value": "nan"}
    return {"type": "number", "value": "+inf" if value > 0 else "-inf"}


def _gzip_base64(data: Buffer) -> str:
    return base64.b64encode(gzip.compress(data, compresslevel=6, mtime=0)).decode()


class Serializer:
    """Encodes values; collects the binary buffers they need and the models sent in full.

    `known` holds the ids of models the peer already has: those are sent as references.
    One serializer serves one message, so buffer ids are unique within it.
    """

    def __init__(
        self,
        *,
        known: Container[ID] = frozenset(),
        binary: bool = True,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self._known = known
        self.binary = binary
        self.max_depth = max_depth
        self.buffers: dict[ID, Buffer] = {}
        #: Ids of the models this serializer emitted in full.
        self.emitted: set[ID] = set()
        self._depth = 0

    def encode(self, value: Any) -> Any:
        encoder = _ENCODERS.get(type(value))
        if encoder is not None:
            return encoder(self, value)
        return self._encode_other(value)

    # -- containers -------------------------------------------------------------------------

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > self.max_depth:
            self._depth = 0
            raise SerializationError(f"value nested deeper than {self.max_depth} levels (a cycle?)")

    def _list(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        self._enter()
        result = [self.encode(item) for item in value]
        self._depth -= 1
        return result

    def _map(self, value: Mapping[Any, Any]) -> Any:
        if not value:
            return {"type": "map"}
        self._enter()
        entries = [[self.encode(key), self.encode(item)] for key, item in value.items()]
        self._depth -= 1
        return {"type": "map", "entries": entries}

    def _set(self, value: set[Any] | frozenset[Any]) -> Any:
        if not value:
            return {"type": "set"}
        self._enter()
        entries = [self.encode(item) for item in value]
        self._depth -= 1
        return {"type": "set", "entries": entries}

    # -- scalars ----------------------------------------------------------------------------

    def _int(self, value: int) -> Any:
        if -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            return int(value)
        return float(value)  # JavaScript numbers hold integers exactly only up to 2**53

    def _float(self, value: float) -> Any:
        return _number(float(value))

    def _identity(self, value: Any) -> Any:
        return value

    # -- binary -----------------------------------------------------------------------------

    def _bytes(self, value: Buffer) -> Any:
        if not self.binary:
            return {"type": "bytes", "data": _gzip_base64(value)}
        buffer_id = str(len(self.buffers))
        self.buffers[buffer_id] = value
        return {"type": "bytes", "data": {"id": buffer_id}}

    def _ndarray(self, value: np.ndarray[Any, Any]) -> Any:
        if value.ndim == 0:
            return self.encode(value.item())
        shape = list(value.shape)
        prepared, order = prepare_array(value)
        if isinstance(prepared, list):
            return {
                "type": "ndarray",
                "array": self._list(prepared),
                "shape": shape,
                "dtype": "object",
                "order": order,
            }
        # A byte view of the array's own memory: the payload is never copied here.
        payload = prepared.reshape(-1).view(np.uint8).data
        return {
            "type": "ndarray",
            "array": self._bytes(payload),
            "shape": shape,
            "dtype": dtype_name(prepared.dtype),
            "order": order,
        }

    # -- models and structured values -------------------------------------------------------

    def _model(self, model: BaseModel) -> Any:
        if model.id in self.emitted or model.id in self._known:
            return {"id": model.id}
        self.emitted.add(model.id)  # before the attributes, so cycles become references
        rep: dict[str, Any] = {"type": "object", "name": model.model_type, "id": model.id}
        attributes = model.wire_attributes()
        if attributes:
            self._enter()
            rep["attributes"] = {attr: self.encode(item) for attr, item in attributes.items()}
            self._depth -= 1
        return rep

    def _spec(self, kind: str, key: str, spec: Field | Value | Expr) -> Any:
        rep: dict[str, Any] = {"type": kind, key: self.encode(getattr(spec, key))}
        if spec.transform is not None:
            rep["transform"] = self.encode(spec.transform)
        if spec.units is not None:
            rep["units"] = spec.units
        return rep

    def _object_value(self, value: ObjectValue) -> Any:
        rep: dict[str, Any] = {"type": "object", "name": value.name}
        if value.attributes:
            rep["attributes"] = {attr: self.encode(item) for attr, item in value.attributes.items()}
        return rep

    def _event(self, event: Event) -> Any:
        return {"type": "event", "name": event.event_name, "values": self._map(event.values)}

    def _slice(self, value: slice) -> Any:
        return {
            "type": "slice",
            "start": self.encode(value.start),
            "stop": self.encode(value.stop),
            "step": self.encode(value.step),
        }

    def _encode_other(self, value: Any) -> Any:
        if isinstance(value, BaseModel):
            return self._model(value)
        # Before the number checks: NumPy's timedelta64 is an integer subclass.
        if isinstance(value, dt.datetime | dt.timedelta | dt.time | np.datetime64 | np.timedelta64):
            return _number(to_milliseconds(value))
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, str):
            return str(value)
        if isinstance(value, int | np.integer):
            return self._int(int(value))
        if isinstance(value, float | np.floating):
            return self._float(float(value))
        if isinstance(value, np.ndarray):
            return self._ndarray(value)
        if isinstance(value, list | tuple):
            return self._list(value)
        if isinstance(value, Mapping):
            return self._map(value)
        if isinstance(value, set | frozenset):
            return self._set(value)
        if isinstance(value, bytes | bytearray | memoryview):
            return self._bytes(value)
        if isinstance(value, Event):
            return self._event(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if hasattr(value, "__array__"):  # pandas, polars, ... anything NumPy can view
            array = np.asarray(value)
            if isinstance(array, np.ndarray):
                return self._ndarray(array)
        raise SerializationError(
            f"cannot send a value of type {type(value).__name__} to the browser"
        )


_ENCODERS: Final[dict[type, Callable[[Serializer, Any], Any]]] = {
    type(None): Serializer._identity,
    bool: Serializer._identity,
    str: Serializer._identity,
    int: Serializer._int,
    float: Serializer._float,
    list: Serializer._list,
    tuple: Serializer._list,
    dict: Serializer._map,
    set: Serializer._set,
    frozenset: Serializer._set,
    bytes: Serializer._bytes,
    bytearray: Serializer._bytes,
    memoryview: Serializer._bytes,
    slice: Serializer._slice,
    np.ndarray: Serializer._ndarray,
    np.float64: Serializer._float,
    np.float32: Serializer._float,
    np.int64: Serializer._int,
    np.int32: Serializer._int,
    Field: lambda self, spec: self._spec("field", "field", spec),
    Value: lambda self, spec: self._spec("value", "value", spec),
    Expr: lambda self, spec: self._spec("expr", "expr", spec),
    ObjectValue: Serializer._object_value,
}
