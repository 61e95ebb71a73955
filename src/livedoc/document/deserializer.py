"""Decode Bokeh's "AnyRep" wire representation into Python values.

The inverse of `livedoc.document.serializer`, plus what only BokehJS sends: `{"type": "ref"}`,
`{"type": "array"}`, `typed_array` and `{"type": "date"}` (which Python Bokeh cannot decode).
Binary arrays become read-only NumPy views of the received buffers, never copies.

Decoding is defensive, since the input comes from the network: every malformed rep raises
`DeserializationError` saying what was wrong, nesting is bounded, inline gzip is bounded, and
every decoded value can be encoded again (so one client cannot make a document unservable).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn

from livedoc._types import ID, Buffer
from livedoc.document.arrays import array_from_buffer, array_from_list
from livedoc.document.model import BaseModel
from livedoc.document.serializer import DEFAULT_MAX_DEPTH
from livedoc.document.ui_events import make_event
from livedoc.document.values import Expr, Field, ObjectValue, Value
from livedoc.errors import DeserializationError

__all__ = [
    "DEFAULT_MAX_INLINE_BYTES",
    "DEFAULT_MAX_VALUE_DEPTH",
    "Deserializer",
    "ModelFactory",
    "ModelLookup",
]

#: How deep one received value may nest. Half of what the serializer accepts, because a value
#: lands inside a document whose own models already nest it: whatever is accepted must be
#: sendable again from the document root.
DEFAULT_MAX_VALUE_DEPTH: Final = DEFAULT_MAX_DEPTH // 2

#: Inline (base64 + gzip) bytes may not inflate beyond this.
DEFAULT_MAX_INLINE_BYTES: Final = 64 * 1024 * 1024

ModelLookup = Callable[[ID], "BaseModel | None"]
ModelFactory = Callable[[str, ID], BaseModel]

_MAX_SAFE_INT: Final = 2**53 - 1
_NUMBERS: Final = {"nan": math.nan, "+inf": math.inf, "-inf": -math.inf, "inf": math.inf}


class Deserializer:
    """Decodes reps against a document's models and one message's buffers.

    `lookup(id)` finds a model the receiver already has; `create(name, id)` makes a model for
    a full rep it does not (raising `DeserializationError` for unknown names when the receiver
    is typed). Models created while decoding are in `new_models`, not yet in any document.
    """

    def __init__(
        self,
        lookup: ModelLookup,
        create: ModelFactory,
        buffers: Mapping[ID, Buffer] | None = None,
        *,
        max_depth: int = DEFAULT_MAX_VALUE_DEPTH,
        max_inline_bytes: int = DEFAULT_MAX_INLINE_BYTES,
    ) -> None:
        self._lookup = lookup
        self._create = create
        self._buffers = buffers or {}
        self.max_depth = max_depth
        self.max_inline_bytes = max_inline_bytes
        self.new_models: dict[ID, BaseModel] = {}
        self._depth = 0

    def decode(self, rep: Any) -> Any:
        if rep is None or isinstance(rep, bool | str):
            return rep
        if isinstance(rep, int):
            return self._int(rep)
        if isinstance(rep, float):
            if not math.isfinite(rep):
                self.error("bare NaN or infinity; non-finite numbers must be number reps")
            return rep
        if isinstance(rep, list):
            return self._list(rep)
        if isinstance(rep, dict):
            self._enter()
            try:
                return self._dict(rep)
            finally:
                self._depth -= 1
        self.error(f"{type(rep).__name__} is not a JSON value")

    def model(self, id: ID) -> BaseModel:
        found = self.new_models.get(id) or self._lookup(id)
        if found is None:
            self.error(f"reference to unknown model {id!r}")
        return found

    def error(self, text: str) -> NoReturn:
        raise DeserializationError(text)

    def _int(self, value: int) -> int:
        # JSON integers have no bound, but they go out again as JavaScript numbers (floats).
        try:
            float(value)
        except OverflowError:
            self.error("an integer beyond 1.8e308 cannot be a JavaScript number")
        return value

    # -- structure --------------------------------------------------------------------------

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > self.max_depth:
            self.error(f"value nested deeper than {self.max_depth} levels")

    def _list(self, rep: list[Any]) -> list[Any]:
        self._enter()
        try:
            return [self.decode(item) for item in rep]
        finally:
            self._depth -= 1

    def _dict(self, rep: dict[str, Any]) -> Any:
        kind = rep.get("type")
        if kind is None:
            if "id" in rep:
                return self.model(self._str(rep, "id"))
            return {key: self.decode(value) for key, value in rep.items()}
        decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
        if decoder is None:
            self.error(f"unknown value type {kind!r}")
        return decoder(self, rep)

    def _field(self, rep: dict[str, Any], key: str) -> Any:
        if key not in rep:
            self.error(f"a {rep.get('type')!r} rep needs a {key!r} field")
        return rep[key]

    def _str(self, rep: dict[str, Any], key: str) -> str:
        value = self._field(rep, key)
        if not isinstance(value, str):
            self.error(f"field {key!r} of a {rep.get('type', 'reference')!r} rep must be a string")
        return value

    def _entries(self, rep: dict[str, Any]) -> list[Any]:
        entries = rep.get("entries", [])
        if not isinstance(entries, list):
            self.error(f"'entries' of a {rep['type']!r} rep must be a list")
        return entries

    # -- reps -------------------------------------------------------------------------------

    def _ref(self, rep: dict[str, Any]) -> BaseModel:
        return self.model(self._str(rep, "id"))

    def _number(self, rep: dict[str, Any]) -> float:
        value = self._field(rep, "value")
        if isinstance(value, str) and value in _NUMBERS:
            return _NUMBERS[value]
        if isinstance(value, int) and not isinstance(value, bool):
            return float(self._int(value))
        if isinstance(value, float):
            return value
        self.error(f"a number rep's value must be 'nan', '+inf', '-inf' or a number, not {value!r}")

    def _array(self, rep: dict[str, Any]) -> list[Any]:
        return self._list(self._entries(rep))

    def _set(self, rep: dict[str, Any]) -> set[Any]:
        items = self._list(self._entries(rep))
        try:
            return set(items)
        except (TypeError, ValueError):  # ValueError: a writable memoryview (a buffer) has no hash
            self.error("set entries must be hashable (strings, numbers, models)")

    def _map(self, rep: dict[str, Any]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for entry in self._entries(rep):
            if not isinstance(entry, list) or len(entry) != 2:
                self.error("map entries must be [key, value] pairs")
            key, value = self.decode(entry[0]), self.decode(entry[1])
            try:
                result[key] = value
            except (TypeError, ValueError):  # ValueError: a writable memoryview has no hash
                self.error("map keys must be hashable (strings, numbers, models)")
        return result

    def _bytes(self, rep: dict[str, Any]) -> Buffer:
        data = self._field(rep, "data")
        if isinstance(data, str):
            return self._inline_bytes(data)
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            try:
                return self._buffers[data["id"]]
            except KeyError:
                self.error(f"reference to buffer {data['id']!r}, which the message does not carry")
        self.error("a bytes rep's data must be a buffer reference or a base64 string")

    def _inline_bytes(self, data: str) -> bytes:
        try:
            compressed = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            self.error("inline bytes are not valid base64")
        inflater = zlib.decompressobj(wbits=31)  # gzip framing
        try:
            raw = inflater.decompress(compressed, self.max_inline_bytes)
        except zlib.error:
            self.error("inline bytes are not gzip data")
        if inflater.unconsumed_tail:
            self.error(f"inline bytes inflate beyond the limit of {self.max_inline_bytes} bytes")
        if not inflater.eof or inflater.unused_data:
            self.error("inline bytes are truncated gzip data, or have data after it")
        return raw

    def _bytes_rep(self, rep: dict[str, Any]) -> Buffer:
        array = self._field(rep, "array")
        if not isinstance(array, dict) or array.get("type") != "bytes":
            self.error(f"the 'array' of a {rep['type']!r} rep must be a bytes rep")
        return self._bytes(array)

    def _typed_array(self, rep: dict[str, Any]) -> Any:
        buffer = self._bytes_rep(rep)
        return array_from_buffer(buffer, self._str(rep, "dtype"), self._str(rep, "order"))

    def _ndarray(self, rep: dict[str, Any]) -> Any:
        array = self._field(rep, "array")
        dtype, shape = self._str(rep, "dtype"), self._field(rep, "shape")
        if isinstance(array, list):
            return array_from_list(self._list(array), dtype, shape)
        order = self._str(rep, "order")
        return array_from_buffer(self._bytes_rep(rep), dtype, order, shape)

    def _slice(self, rep: dict[str, Any]) -> slice:
        bounds = [rep.get(key) for key in ("start", "stop", "step")]
        for bound in bounds:
            if bound is not None and type(bound) is not int:
                self.error("slice start, stop and step must be integers or null")
            if bound is not None and abs(bound) > _MAX_SAFE_INT:
                # Beyond 2**53 a bound goes out again as a float, which no decoder takes back.
                self.error("slice start, stop and step must be within ±(2**53 - 1)")
        if bounds[2] == 0:
            self.error("slice step must not be zero")
        return slice(*bounds)

    def _object(self, rep: dict[str, Any]) -> Any:
        name = self._str(rep, "name")
        attributes = rep.get("attributes", {})
        if not isinstance(attributes, dict):
            self.error(f"the attributes of {name} must be an object")
        if "id" not in rep:
            return ObjectValue(
                name, {str(key): self.decode(value) for key, value in attributes.items()}
            )
        model_id = self._str(rep, "id")
        known = self.new_models.get(model_id) or self._lookup(model_id)
        if known is not None:
            if known.model_type != name:
                self.error(f"model {model_id!r} is a {known.model_type}, not a {name}")
            return known  # the receiver's copy stands; a repeated full rep changes nothing
        model = self._create(name, model_id)
        self.new_models[model_id] = model  # before the attributes: they may refer back to it
        for attr, value in attributes.items():
            model._store(attr, model.validate_value(attr, self.decode(value)))
        return model

    def _spec(self, rep: dict[str, Any]) -> Any:
        kind = rep["type"]
        units = rep.get("units")
        if units is not None and not isinstance(units, str):
            self.error(f"the units of a {kind} spec must be a string")
        # The main part first, then the transform: encoders write them in that order, so a
        # model both refer to is defined in the first and only referenced in the second.
        if kind == "field":
            return Field(self._str(rep, "field"), self.decode(rep.get("transform")), units)
        main = self.decode(self._field(rep, "value" if kind == "value" else "expr"))
        transform = self.decode(rep.get("transform"))
        return Value(main, transform, units) if kind == "value" else Expr(main, transform, units)

    def _event(self, rep: dict[str, Any]) -> Any:
        name = self._str(rep, "name")
        values = self.decode(rep.get("values", {"type": "map"}))
        if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
            self.error(f"the values of event {name!r} must be a map with string keys")
        if "model" in values and not isinstance(values["model"], BaseModel):
            self.error(f"the 'model' of event {name!r} must be a model reference")
        return make_event(name, values)

    def _date(self, rep: dict[str, Any]) -> dt.datetime:
        iso = self._str(rep, "iso")
        try:
            return dt.datetime.fromisoformat(iso)
        except ValueError:
            self.error(f"{iso!r} is not an ISO date")

    def _symbol(self, rep: dict[str, Any]) -> NoReturn:
        self.error("symbol reps cannot be decoded (neither Bokeh nor BokehJS resolves them)")


_DECODERS: Final[dict[str, Callable[[Deserializer, dict[str, Any]], Any]]] = {
    "ref": Deserializer._ref,
    "number": Deserializer._number,
    "array": Deserializer._array,
    "set": Deserializer._set,
    "map": Deserializer._map,
    "bytes": Deserializer._bytes,
    "typed_array": Deserializer._typed_array,
    "ndarray": Deserializer._ndarray,
    "slice": Deserializer._slice,
    "object": Deserializer._object,
    "field": Deserializer._spec,
    "value": Deserializer._spec,
    "expr": Deserializer._spec,
    "event": Deserializer._event,
    "date": Deserializer._date,
    "symbol": Deserializer._symbol,
}
