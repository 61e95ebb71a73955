"""Carrying documents and patches between livedoc and the real `bokeh` library, and comparing them.

Everything crosses as it would on the websocket: the JSON text of the content (livedoc's
`wirejson`, bokeh's `serialize_json`) and the raw bytes of every binary buffer, by id.

`canonical()` turns a wire rep into a plain structure on which two peers that hold the same
document agree, whatever their buffer ids, JSON key order, or where a model's full rep happens
to sit: buffers are resolved and arrays decoded to their values, every model rep becomes
`("ref", id)` with the model itself collected into a table, and NaN is a sentinel equal to itself.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from bokeh.core.json_encoder import serialize_json
from bokeh.core.serialization import (
    Buffer as BokehBuffer,
    SerializationError,
    Serialized,
    Serializer as BokehSerializer,
)
from bokeh.document import Document as BokehDocument
from bokeh.model.util import get_class
from bokeh.protocol import Protocol

from livedoc.document import Document, DocumentPatchedEvent
from livedoc.protocol import wirejson

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

NAN = ("nan",)
PROTOCOL = Protocol()


# -- wire crossings -------------------------------------------------------------------------


@dataclass
class Wire:
    """Message content as JSON text plus its buffers as bytes: what a websocket carries."""

    text: str
    buffers: dict[str, bytes]

    @property
    def content(self) -> Any:
        return wirejson.loads(self.text)  # refuses bare NaN / Infinity, as BokehJS does

    def for_bokeh(self) -> Serialized[Any]:
        buffers = [BokehBuffer(id, data) for id, data in self.buffers.items()]
        return Serialized(json.loads(self.text), buffers)


def livedoc_wire(content: Any, buffers: Mapping[str, Any]) -> Wire:
    return Wire(wirejson.dumps(content), {id: bytes(data) for id, data in buffers.items()})


def bokeh_wire(content: Any, buffers: list[BokehBuffer]) -> Wire:
    return Wire(serialize_json(content), {buffer.id: buffer.to_bytes() for buffer in buffers})


def livedoc_doc_wire(doc: Document) -> Wire:
    """What livedoc sends as `content.doc` of PULL-DOC-REPLY."""
    return livedoc_wire(*doc.to_json())


def bokeh_doc_wire(doc: BokehDocument) -> Wire:
    """What a bokeh server sends as `content.doc` of PULL-DOC-REPLY, with its buffers."""
    msg = PROTOCOL.create("PULL-DOC-REPLY", "request-1", doc)
    content = json.loads(serialize_json(msg.content))
    return Wire(json.dumps(content["doc"]), {b.id: b.to_bytes() for b in msg.buffers})


def to_bokeh(wire: Wire) -> BokehDocument:
    return BokehDocument.from_json(wire.for_bokeh())


def to_livedoc(wire: Wire, *, generic: bool = True) -> Document:
    return Document.from_json(wire.content, wire.buffers, generic=generic)


class LivedocPatches:
    """Collects a livedoc document's patch events (not the callback bookkeeping events)."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.events: list[DocumentPatchedEvent] = []
        doc.on_change(self._collect)

    def _collect(self, event: Any) -> None:
        if isinstance(event, DocumentPatchedEvent):
            self.events.append(event)

    def take(self) -> Wire:
        """PATCH-DOC content for everything collected so far, which is then consumed."""
        assert self.events, "the change produced no patch event"
        events, self.events = self.events, []
        return livedoc_wire(*self.doc.create_json_patch(events))


class BokehPatches:
    """Serializes each change of a bokeh document as the bokeh server does: one PATCH-DOC per
    event, created the moment the event fires (`ServerSession._document_patched`)."""

    def __init__(self, doc: BokehDocument) -> None:
        self.messages: list[Wire] = []
        doc.on_change(self._collect)

    def _collect(self, event: Any) -> None:
        if hasattr(event, "to_serializable"):  # a DocumentPatchedEvent, not callback bookkeeping
            msg = PROTOCOL.create("PATCH-DOC", [event])
            self.messages.append(bokeh_wire(msg.content, msg.buffers))

    def take(self) -> list[Wire]:
        assert self.messages, "the change produced no patch event"
        messages, self.messages = self.messages, []
        return messages


def apply_to_bokeh(doc: BokehDocument, wire: Wire) -> None:
    doc.apply_json_patch(wire.for_bokeh())


def apply_to_livedoc(doc: Document, wires: list[Wire], *, setter: object = None) -> None:
    for wire in wires:
        doc.apply_json_patch(wire.content, wire.buffers, setter=setter)


# -- canonical form -------------------------------------------------------------------------

_DTYPES = {"bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"}


def _scalar(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return NAN
    return value


def _nest(values: list[Any], shape: tuple[int, ...]) -> list[Any]:
    if len(shape) <= 1:
        return list(values)
    step = len(values) // shape[0] if shape[0] else 0
    return [_nest(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


@dataclass
class Canonical:
    """The canonical form of one message: its structure and the models it defines."""

    value: Any
    models: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    #: References met before the full rep of their model (and not known to the receiver).
    forward_refs: list[str] = field(default_factory=list)
    #: Ids whose full rep appears twice in one message (bokeh warns "reference already known").
    redefined: list[str] = field(default_factory=list)


class _Canonicalizer:
    def __init__(self, buffers: Mapping[str, bytes], known: set[str], loose: bool) -> None:
        self.buffers = buffers
        self.known = set(known)
        self.loose = loose
        self.result = Canonical(None)

    def bytes_of(self, rep: dict[str, Any]) -> bytes:
        assert rep.get("type") == "bytes", rep
        data = rep["data"]
        if isinstance(data, str):
            return gzip.decompress(base64.b64decode(data))
        return self.buffers[data["id"]]

    def array(self, rep: dict[str, Any]) -> Any:
        dtype, array = rep["dtype"], rep["array"]
        if isinstance(array, list):
            values = [self.walk(item) for item in array]
        else:
            assert dtype in _DTYPES, dtype
            np_dtype = np.dtype(dtype).newbyteorder("<" if rep["order"] == "little" else ">")
            decoded = np.frombuffer(self.bytes_of(array), dtype=np_dtype)
            values = [_scalar(item) for item in decoded.tolist()]
        shape = tuple(rep.get("shape", [len(values)]))
        if self.loose:  # only the numbers count, not whether they came as a list or an array
            return _nest(values, shape)
        return ("ndarray", dtype, shape, tuple(values))

    def walk(self, rep: Any) -> Any:
        if isinstance(rep, list):
            return [self.walk(item) for item in rep]
        if not isinstance(rep, dict):
            return _scalar(rep)
        kind = rep.get("type")
        if kind is None:
            if set(rep) == {"id"}:
                return self.ref(rep["id"])
            return ("dict", {key: self.walk(value) for key, value in rep.items()})
        if kind == "ref":
            return self.ref(rep["id"])
        if kind == "number":
            return NAN if rep["value"] == "nan" else float(rep["value"].replace("+", ""))
        if kind == "map":  # a dict: the order of its keys means nothing
            entries = [tuple(self.walk(entry)) for entry in rep.get("entries", [])]
            return ("map", tuple(sorted(entries, key=lambda entry: repr(entry[0]))))
        if kind == "set":
            entries = [self.walk(entry) for entry in rep.get("entries", [])]
            return ("set", tuple(sorted(entries, key=repr)))
        if kind == "array":
            return [self.walk(item) for item in rep.get("entries", [])]
        if kind in ("ndarray", "typed_array"):
            return self.array(rep)
        if kind == "bytes":
            return ("bytes", self.bytes_of(rep))
        if kind == "slice":
            return ("slice", rep.get("start"), rep.get("stop"), rep.get("step"))
        if kind in ("field", "value", "expr"):
            return (kind, {key: self.walk(value) for key, value in rep.items() if key != "type"})
        if kind == "event":
            return ("event", rep["name"], self.walk(rep.get("values", {"type": "map"})))
        if kind == "object":
            if "id" not in rep:
                return ("object", rep["name"], self.attributes(rep))
            return self.model(rep)
        raise AssertionError(f"unexpected rep type {kind!r}")

    def ref(self, model_id: str) -> Any:
        if model_id not in self.known:
            self.result.forward_refs.append(model_id)
        return ("ref", model_id)

    def attributes(self, rep: dict[str, Any]) -> dict[str, Any]:
        return {key: self.walk(value) for key, value in rep.get("attributes", {}).items()}

    def model(self, rep: dict[str, Any]) -> Any:
        model_id = rep["id"]
        if model_id in self.result.models:
            self.result.redefined.append(model_id)
        self.known.add(model_id)  # before the attributes: they may refer back to the model
        self.result.models[model_id] = (rep["name"], {})
        self.result.models[model_id] = (rep["name"], self.attributes(rep))
        return ("ref", model_id)


def canonical(
    rep: Any, buffers: Mapping[str, bytes], *, known: set[str] | None = None, loose: bool = False
) -> Canonical:
    """The canonical form of `rep`; `known` are the ids the receiver already has.

    With `loose`, arrays become nested lists of their values: dtype and wire form are ignored.
    """
    walker = _Canonicalizer(buffers, known or set(), loose)
    walker.result.value = walker.walk(rep)
    return walker.result


def canonical_doc(wire: Wire, *, without: tuple[str, ...] = ()) -> Canonical:
    """A PULL-DOC-REPLY `doc` in canonical form, without the keys in `without`.

    Never with `version` (each side sends its own) nor `defs`: bokeh's `from_json` ignores defs,
    and its `to_json` sends the defs of every DataModel class loaded in the process.
    """
    content = wire.content
    for key in ("version", "defs", *without):
        content.pop(key, None)
    return canonical(content, wire.buffers)


# -- comparison -----------------------------------------------------------------------------

_NO_DEFAULT = ("no default",)


@functools.cache
def bokeh_default(model_name: str, attr: str) -> Any:
    """The canonical default of `attr` as bokeh declares it (bokeh's defaults match BokehJS's)."""
    try:
        cls = get_class(model_name)
    except KeyError:
        return _NO_DEFAULT
    descriptor = cls.lookup(attr, raises=False)
    if descriptor is None:
        return _NO_DEFAULT
    try:
        encoded = BokehSerializer(deferred=False).encode(descriptor.class_default(cls))
    except SerializationError:  # e.g. `Undefined`: no default value that could be omitted
        return _NO_DEFAULT
    rep = canonical(encoded, {})
    return _NO_DEFAULT if rep.models else rep.value


def fill_defaults(*tables: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """An attribute that one side omits holds the receiver's default: fill it in."""
    for model_id in set.intersection(*(set(table) for table in tables)):
        entries = [table[model_id] for table in tables]
        name = entries[0][0]
        for attr in set.union(*(set(attrs) for _, attrs in entries)):
            default = bokeh_default(name, attr)
            if default is not _NO_DEFAULT:
                for _, attrs in entries:
                    attrs.setdefault(attr, default)


def differences(a: Any, b: Any, path: str = "") -> Iterator[str]:
    """Where two canonical structures differ, as readable paths."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                yield f"{path}.{key}: only on the right ({_short(b[key])})"
            elif key not in b:
                yield f"{path}.{key}: only on the left ({_short(a[key])})"
            else:
                yield from differences(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple) and type(a) is type(b):
        if len(a) != len(b):
            yield f"{path}: lengths {len(a)} != {len(b)}: {_short(a)} vs {_short(b)}"
        else:
            for index, (x, y) in enumerate(zip(a, b, strict=True)):
                yield from differences(x, y, f"{path}[{index}]")
    elif not (type(a) is type(b) and a == b) and not _same_number(a, b):
        yield f"{path}: {_short(a)} != {_short(b)}"


def _same_number(a: Any, b: Any) -> bool:
    def number(x: Any) -> bool:
        return isinstance(x, int | float) and not isinstance(x, bool)

    return number(a) and number(b) and a == b


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 160 else text[:157] + "..."


def assert_same(left: Canonical, right: Canonical) -> None:
    fill_defaults(left.models, right.models)
    problems = list(differences(left.value, right.value, "doc"))
    problems += differences(left.models, right.models, "models")
    assert not problems, "documents differ:\n  " + "\n  ".join(problems[:20])


def assert_well_formed(message: Canonical) -> None:
    """Every reference follows its model's full rep, and no model is sent in full twice."""
    assert not message.forward_refs, f"references before definition: {message.forward_refs}"
    assert not message.redefined, f"models sent in full twice: {message.redefined}"


def assert_same_documents(left: Wire, right: Wire, *, without: tuple[str, ...] = ()) -> None:
    """The two PULL-DOC `doc`s describe the same document: ids, types, attributes, values."""
    a, b = canonical_doc(left, without=without), canonical_doc(right, without=without)
    assert_well_formed(a)
    assert_well_formed(b)
    assert_same(a, b)


def assert_patch_well_formed(patch: Wire, receiver_ids: set[str]) -> None:
    """A PATCH-DOC refers only to models the receiver has, or that it carries in full first."""
    assert_well_formed(canonical(patch.content, patch.buffers, known=receiver_ids))
