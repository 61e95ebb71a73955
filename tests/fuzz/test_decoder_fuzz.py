"""Fuzzing the AnyRep decoder: `Document.from_json` and `Document.apply_json_patch`.

Reps of every `type` the wire knows (map, set, array, number, bytes, ndarray, typed_array,
slice, object, ref, field/value/expr, event, date, symbol), well-formed or not, plus garbage,
are decoded as whole documents and as PATCH-DOC events on a real document (typed, and decoded
generically) holding NumPy and list columns. Only `LivedocError` subclasses may be raised, and:

* a failed patch leaves the document exactly as it was (atomicity);
* an accepted patch leaves a document that still goes on the wire (JSON text and buffers), that
  a peer pulls as the same document, and that a replica built from the pre-patch JSON reaches
  by applying the same content; typed column sources keep their columns aligned.

Documents are compared in a canonical form: where a model's full rep first appears, how
buffers are numbered and in which order a set of models iterates may vary, nothing else.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings, strategies as st
from hypothesis.control import currently_in_test_context

from livedoc.document import Document, GenericModel
from livedoc.document.config import DocumentConfig, Notifications
from livedoc.document.deserializer import DEFAULT_MAX_VALUE_DEPTH
from livedoc.errors import LivedocError
from livedoc.models import ColumnDataSource, Selection, UnionRenderers
from livedoc.protocol import wirejson

from ._common import MARKS, PHASES, SUPPRESSED

pytestmark = [
    *MARKS,
    # Failing examples built from large reps have long reprs; let the failure itself show.
    pytest.mark.filterwarnings(
        "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
    ),
]

FUZZ = settings(
    max_examples=400,
    deadline=None,
    phases=PHASES,
    suppress_health_check=SUPPRESSED,
)
SESSION = object()

# -- the documents under test -----------------------------------------------------------------

#: Ids of the models in `make_doc`'s documents, so reps can refer to them.
KNOWN_IDS = ["config", "notif", "cds", "sel", "policy", "cds2", "sel2", "policy2", "btn"]
COLUMNS = ["x", "i", "name", "img", "flag", "cube", "a", "b"]


def make_doc(generic: bool) -> Document:
    """A document with a NumPy + list column source, a list-only source and (generic) a button."""
    source = ColumnDataSource(
        id="cds",
        selected=Selection(id="sel"),
        selection_policy=UnionRenderers(id="policy"),
        data={
            "x": np.arange(4.0),
            "i": np.arange(4, dtype=np.int32),
            "name": list("abcd"),
            # 2-D cells, and ragged nested lists (a list column may hold anything).
            "img": [[[0.0], [1.0, 2.0]], np.ones((2, 3)), np.zeros((2, 3)), [[0.0], [1.0, 2.0]]],
            "flag": np.array([True, False, True, False]),
            "cube": np.zeros((4, 2, 2), dtype=np.float32),
        },
    )
    other = ColumnDataSource(
        id="cds2",
        selected=Selection(id="sel2"),
        selection_policy=UnionRenderers(id="policy2"),
        data={"a": [1, 2.5, None], "b": ["p", "q", "r"]},
    )
    doc = Document(
        title="fuzz", config=DocumentConfig(id="config", notifications=Notifications(id="notif"))
    )
    doc.add_root(source)
    doc.add_root(other)
    if not generic:
        return doc
    doc_json, buffers = doc.to_json()
    generic_doc = Document.from_json(doc_json, as_bytes(buffers), generic=True)
    generic_doc.add_root(GenericModel("Button", "btn", {"label": "go", "tags": [1, "x"]}))
    return generic_doc


def as_bytes(buffers: dict[str, Any]) -> dict[str, bytes]:
    return {key: bytes(memoryview(value).cast("B")) for key, value in buffers.items()}


def wire(doc: Document) -> tuple[bytes, dict[str, bytes]]:
    """The document exactly as it goes on the wire: UTF-8 JSON text and buffer bytes.

    Raises if the document cannot be sent, which is itself a failure: an accepted value must
    always re-encode.
    """
    doc_json, buffers = doc.to_json()
    return wirejson.dumps_bytes(doc_json), as_bytes(buffers)


def canonical(form: tuple[bytes, dict[str, bytes]]) -> str:
    """A wire form with what may legitimately vary taken out, as comparable text.

    Every model becomes a reference plus one definition (where its full rep first appears
    depends on traversal order), bytes reps carry their contents (buffer ids are numbered in
    that order too), and set entries are sorted (a set of models iterates in address order).
    """
    text, buffers = form
    models: dict[str, Any] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        data = value.get("data")
        if value.get("type") == "bytes" and isinstance(data, dict):
            return {"type": "bytes", "hex": buffers[data["id"]].hex()}
        if value.get("type") == "object" and "id" in value:
            if value["id"] not in models:
                models[value["id"]] = None  # placeholder: the attributes may refer back
                models[value["id"]] = [value["name"], walk(value.get("attributes", {}))]
            return {"ref": value["id"]}
        if set(value) == {"id"}:
            return {"ref": value["id"]}
        result = {key: walk(item) for key, item in value.items()}
        if value.get("type") == "set" and "entries" in result:
            result["entries"] = sorted(result["entries"], key=json.dumps)
        return result

    top = walk(wirejson.loads(text))
    return json.dumps([top, sorted(models.items())], sort_keys=False)


def snapshot(doc: Document) -> str:
    return canonical(wire(doc))


def pulled(form: tuple[bytes, dict[str, bytes]], *, generic: bool) -> Document:
    """What a peer that pulls the document gets."""
    text, buffers = form
    return Document.from_json(wirejson.loads(text), buffers, generic=generic)


# -- AnyRep strategies ------------------------------------------------------------------------

WIRE_DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]
BUFFER_IDS = ["f0", "f1", "f2", "f3", "f4", "odd"]
NEW_IDS = ["n1", "n2", "n3"]


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each chosen in proportion to its weight."""
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    # Hypothesis favours the first and last elements; keep them to the most likely choice.
    first = max(choices, key=lambda choice: choice[0])[1]
    return st.sampled_from([first, *pool, first]).flatmap(lambda strategy: strategy)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` about seven times in eight, `bad` otherwise."""
    return weighted((7, good), (1, bad))


good_strings = st.text(max_size=5)
bad_strings = st.sampled_from(["\ud800", "a\udfffb", "\x00", "nan", "type", "id"])
strings = mostly(good_strings, bad_strings)
#: Integers JSON allows: beyond 2**53, beyond int64, and beyond any float (1e400).
big_ints = st.sampled_from([2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**400, -(10**400), 2**1024])
small_ints = st.integers(min_value=-3, max_value=8)
ints = mostly(small_ints | st.integers(min_value=-(2**40), max_value=2**40), big_ints)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
extreme_floats = st.sampled_from([1e300, -1e300, 3.5e38, 1e-320, -0.0, 2.0**70])
scalars = mostly(
    st.none() | st.booleans() | small_ints | finite_floats | good_strings,
    big_ints | extreme_floats | bad_strings,
)
#: Values of the wrong type or shape for almost any field.
weird = (
    scalars
    | st.just([])
    | st.just({})
    | st.just([1, 2])
    | st.just({"id": "cds"})
    | st.just({"type": "map"})
)


@st.composite
def buffers(draw: st.DrawFn) -> dict[str, Any]:
    """Buffers a message carries: `f<n>` holds n float64s, `odd` 5 bytes; various bytes-likes."""
    result: dict[str, Any] = {}
    for index in range(5):
        result[f"f{index}"] = draw(st.binary(min_size=8 * index, max_size=8 * index))
    result["odd"] = draw(st.binary(min_size=5, max_size=5))
    for key in list(result):
        wrap = draw(st.sampled_from(["bytes", "bytes", "bytearray", "view", "writable view"]))
        if wrap == "bytearray":
            result[key] = bytearray(result[key])
        elif wrap == "view":
            result[key] = memoryview(result[key])
        elif wrap == "writable view":  # unhashable, and not by TypeError
            result[key] = memoryview(bytearray(result[key]))
    return result


def buffer_ref(key: str) -> dict[str, Any]:
    return {"type": "bytes", "data": {"id": key}}


def ndarray(array: Any, shape: Any, dtype: Any, order: Any = "little") -> dict[str, Any]:
    return {"type": "ndarray", "array": array, "shape": shape, "dtype": dtype, "order": order}


gzipped = st.binary(max_size=24).map(
    lambda raw: base64.b64encode(gzip.compress(raw, mtime=0)).decode()
)
bytes_reps = mostly(
    st.sampled_from(BUFFER_IDS).map(buffer_ref)
    | gzipped.map(lambda data: {"type": "bytes", "data": data}),
    st.fixed_dictionaries(
        {
            "type": st.just("bytes"),
            "data": st.sampled_from(["", "!!", "abc", "H4sI", "====", "H4sIAAAAAAAA/w=="])
            | st.binary(max_size=12).map(lambda raw: base64.b64encode(raw).decode())
            | st.just({"id": "missing"})
            | weird,
        }
    ),
)
dtypes = mostly(st.sampled_from(WIRE_DTYPES), st.sampled_from(["object", "int64", "c16", "<f8"]))
orders = mostly(st.sampled_from(["little", "big"]), st.sampled_from(["native", "", "LITTLE"]))
#: Shapes that do not fit, or that overflow int64 (2**64) or NumPy's limits ([0, 2**62]).
bad_shapes = (
    st.lists(st.sampled_from([-1, 0, 2**32, 2**62, 2**64, 10**30]), min_size=1, max_size=3)
    | st.lists(st.integers(min_value=0, max_value=5), max_size=3)
    | weird
)
number_reps = st.fixed_dictionaries(
    {"type": st.just("number"), "value": mostly(st.sampled_from(["nan", "+inf", "-inf"]), weird)}
)
bounds = weighted(
    (15, st.none() | st.integers(min_value=-2, max_value=8)), (1, big_ints | st.booleans() | weird)
)
slice_reps = st.fixed_dictionaries(
    {"type": st.just("slice")}, optional={"start": bounds, "stop": bounds, "step": bounds}
)
model_ids = mostly(st.sampled_from(KNOWN_IDS + NEW_IDS), st.sampled_from(["", "nope"]) | weird)
refs = st.one_of(
    st.builds(lambda key: {"id": key}, model_ids),
    st.builds(lambda key: {"type": "ref", "id": key}, model_ids),
)
iso_dates = mostly(
    st.datetimes().map(dt.datetime.isoformat) | st.dates().map(dt.date.isoformat),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59.999999-14:00",
            "2024-02-30",
            "yesterday",
            "2024-01-02T03:04:05Z",
        ]
    )
    | weird,
)
date_reps = st.fixed_dictionaries({"type": st.just("date"), "iso": iso_dates})
garbage_reps = st.fixed_dictionaries(
    {"type": st.sampled_from(["symbol", "Map", "", "unknown", "ndarray", "object"]) | weird},
    optional={"name": strings, "value": scalars, "entries": st.just([]), "id": model_ids},
)
typed_array_reps = st.fixed_dictionaries(
    {"type": st.just("typed_array"), "array": bytes_reps, "dtype": dtypes, "order": orders}
)
leaves = st.one_of(
    scalars,
    scalars,
    scalars,
    number_reps,
    bytes_reps,
    typed_array_reps,
    slice_reps,
    refs,
    date_reps,
    garbage_reps,
)
event_names = st.sampled_from(
    ["button_click", "document_ready", "tap", "menu_item_click", "clear_input", "made_up"]
)
model_names = st.sampled_from(
    ["ColumnDataSource", "Selection", "UnionRenderers", "Notifications", "Button", "Foo"]
)
attr_names = st.sampled_from(["data", "indices", "label", "name", "tags", "selected", "nope"])


hashables = scalars | bytes_reps | refs  # set entries and map keys, buffers included


def ref_to(key: Any) -> dict[str, Any]:
    return {"id": key}


def map_reps(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    pairs = st.lists(st.tuples(mostly(hashables, children), children).map(list), max_size=3)
    return st.fixed_dictionaries(
        {"type": st.just("map")},
        optional={"entries": mostly(pairs, st.lists(children, max_size=2) | weird)},
    )


def set_reps(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"type": st.just("set")},
        optional={
            "entries": mostly(st.lists(hashables, max_size=3), st.lists(children, max_size=2))
        },
    )


def array_entries_reps(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(
        {"type": st.just("array"), "entries": mostly(st.lists(children, max_size=4), weird)}
    )


def object_reps(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Models (new or known ids) and non-model objects (no id)."""
    return st.fixed_dictionaries(
        {"type": st.just("object"), "name": mostly(model_names, weird)},
        optional={
            "id": model_ids,
            "attributes": mostly(st.dictionaries(attr_names, children, max_size=3), weird),
        },
    )


def spec_reps(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`field`, `value` and `expr` specs, with optional transforms and units."""
    extras = {"transform": children, "units": mostly(good_strings, weird)}
    return st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("field"), "field": mostly(good_strings, weird)}, optional=extras
        ),
        st.fixed_dictionaries({"type": st.just("value"), "value": children}, optional=extras),
        st.fixed_dictionaries({"type": st.just("expr"), "expr": children}, optional=extras),
    )


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "label"]) | strings, children, max_size=3),
        array_entries_reps(children),
        map_reps(children),
        set_reps(children),
        st.builds(
            lambda items, dtype, bad: ndarray(items, [len(items)] if bad is None else bad, dtype),
            mostly(st.lists(scalars, max_size=4), st.lists(children, max_size=3)),
            dtypes,
            mostly(st.none(), bad_shapes),
        ),
        st.builds(
            lambda n, dtype, order, shape: ndarray(buffer_ref(f"f{n}"), shape or [n], dtype, order),
            st.integers(min_value=0, max_value=4),
            dtypes,
            orders,
            weighted((2, st.none()), (1, bad_shapes)),
        ),
        object_reps(children),
        spec_reps(children),
        event_reps(children),
    )


NO_MODEL: Any = object()


def event_reps(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """UI events; the `model` value is mostly a reference, sometimes anything."""
    values = st.builds(
        lambda model, rest: {
            "type": "map",
            "entries": ([] if model is NO_MODEL else [["model", model]]) + rest,
        },
        weighted((3, st.sampled_from(KNOWN_IDS).map(ref_to)), (2, scalars), (1, children))
        | st.just(NO_MODEL),
        st.lists(
            st.tuples(st.sampled_from(["x", "item"]), mostly(scalars, children)).map(list),
            max_size=2,
        ),
    )
    return st.fixed_dictionaries(
        {"type": st.just("event"), "name": mostly(event_names, weird)},
        optional={"values": mostly(values, children)},
    )


any_reps = st.recursive(leaves, _containers, max_leaves=8)

# -- column data and patch events -------------------------------------------------------------

#: The columns of the sources in `make_doc` and what they hold.
SCHEMA: dict[str, dict[str, str]] = {
    "cds": {"x": "float", "i": "int", "name": "str", "img": "img", "flag": "bool", "cube": "cube"},
    "cds2": {"a": "any", "b": "str"},
    "btn": {},
}
LENGTHS = {"cds": 4, "cds2": 3, "btn": 0}
KINDS = ["float", "int", "str", "img", "bool", "cube", "any"]


@st.composite
def column_rep(draw: st.DrawFn, kind: str, n: int) -> Any:
    """A column of `kind` with `n` rows, in one of its wire forms (sometimes a wrong one)."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(any_reps)  # anything at all
    if kind == "float":
        form = draw(st.sampled_from(["list", "buffer", "listarray", "typed"]))
        floats = st.lists(mostly(finite_floats, number_reps | scalars), min_size=n, max_size=n)
        if form == "list" or n > 4:
            return draw(floats)
        if form == "buffer":
            return ndarray(buffer_ref(f"f{n}"), [n], draw(mostly(st.just("float64"), dtypes)))
        if form == "typed":
            return {"type": "typed_array", "array": buffer_ref(f"f{n}"), "dtype": "float64"}
        return ndarray(draw(floats), [n], draw(mostly(st.just("float32"), dtypes)))
    if kind == "int":
        items = draw(st.lists(mostly(small_ints, ints | scalars), min_size=n, max_size=n))
        if draw(st.booleans()):
            return items
        return ndarray(
            items, [n], draw(mostly(st.sampled_from(["int32", "int8", "uint8"]), dtypes))
        )
    if kind == "str":
        items = draw(st.lists(mostly(good_strings, scalars), min_size=n, max_size=n))
        return items if draw(st.booleans()) else ndarray(items, [n], "object")
    if kind == "bool":
        items = draw(st.lists(mostly(st.booleans(), scalars), min_size=n, max_size=n))
        return (
            items
            if draw(st.booleans())
            else ndarray(items, [n], draw(mostly(st.just("bool"), dtypes)))
        )
    if kind == "img":
        sizes = st.integers(min_value=0, max_value=3)
        rows, cols = draw(mostly(st.just((2, 3)), st.tuples(sizes, sizes)))
        cell = st.lists(
            st.lists(finite_floats, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
        if draw(st.booleans()):
            return draw(st.lists(cell, min_size=n, max_size=n))
        cells = [draw(cell) for _ in range(n)]
        return [ndarray([x for row in c for x in row], [rows, cols], "float64") for c in cells]
    if kind == "cube":
        items = draw(st.lists(mostly(finite_floats, scalars), min_size=4 * n, max_size=4 * n))
        return ndarray(
            items,
            draw(mostly(st.just([n, 2, 2]), bad_shapes)),
            draw(mostly(st.just("float32"), dtypes)),
        )
    # Rows of different shapes (ragged), or cells that are nested lists of different lengths.
    rows = st.lists(scalars, max_size=2) | st.lists(st.lists(finite_floats, max_size=3), max_size=2)
    return draw(st.lists(mostly(scalars, rows), min_size=n, max_size=n))


def map_rep(entries: dict[Any, Any]) -> dict[str, Any]:
    return {"type": "map", "entries": [[key, value] for key, value in entries.items()]}


@st.composite
def column_data(draw: st.DrawFn, target: str, n: int | None = None, names: Any = None) -> Any:
    """A map of columns for `target`: every column, `n` rows; sometimes one is off."""
    schema = dict(SCHEMA.get(target, {}))
    if names is not None:
        schema = {name: schema.get(name, "any") for name in names}
    if not schema or draw(st.integers(min_value=0, max_value=5)) == 0:
        for name in draw(st.lists(st.sampled_from(COLUMNS) | good_strings, max_size=3)):
            schema[name] = draw(st.sampled_from(KINDS))
    rows = draw(st.integers(min_value=0, max_value=5)) if n is None else n
    data = {name: draw(column_rep(kind, rows)) for name, kind in schema.items()}
    if data and draw(st.integers(min_value=0, max_value=4)) == 0:  # one column off
        name = draw(st.sampled_from(sorted(data)))
        if draw(st.booleans()):
            del data[name]
        else:
            data[name] = draw(column_rep(schema[name], draw(small_ints.filter(lambda k: k >= 0))))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(weird)
    return map_rep(data)


@st.composite
def patch_index(draw: st.DrawFn, length: int, kind: str) -> tuple[Any, Any]:
    """An (index, value) pair for a column of `kind` with `length` rows; often in range."""
    near = st.integers(min_value=-1, max_value=length)  # includes -1 and `length`
    inside = st.integers(min_value=0, max_value=max(0, length - 1))
    bound = weighted((15, st.none() | near), (1, big_ints | st.booleans() | weird))
    slices = st.fixed_dictionaries(
        {"type": st.just("slice"), "start": bound, "stop": bound, "step": mostly(st.none(), bound)}
    )
    # Values a float32 or int32 cell may not hold: overflowing floats and integers.
    number = mostly(finite_floats, extreme_floats | big_ints | st.integers(2**31, 2**40) | scalars)
    width = 3 if kind == "img" else 2
    cells = st.lists(st.lists(number, min_size=width, max_size=width), min_size=2, max_size=2)
    two_d = kind in ("img", "cube")
    form = draw(
        st.sampled_from(["int", "slice", "2d", "2d"] if two_d else ["int", "int", "slice", "weird"])
    )
    if form == "int":
        index: Any = draw(mostly(inside, near | big_ints | st.booleans() | finite_floats))
        value = draw(mostly(cells, st.lists(number, max_size=3) | number) if two_d else number)
        return index, value
    if form == "slice":
        index = draw(slices)
        count = draw(st.integers(min_value=0, max_value=length + 1))
        item = cells if two_d else number
        return index, draw(mostly(st.lists(item, min_size=count, max_size=count), weird))
    if form == "2d":
        y = draw(mostly(st.integers(min_value=0, max_value=1), slices | near))
        x = draw(mostly(st.integers(min_value=0, max_value=2), slices | near))
        parts = [draw(mostly(inside, near)), y, x][: draw(mostly(st.just(3), small_ints))]
        value = draw(
            number
            | st.lists(number, max_size=3)
            | st.lists(st.lists(number, max_size=3), max_size=2)
        )
        return parts, value
    return draw(weird), draw(scalars)


@st.composite
def patches(draw: st.DrawFn, target: str) -> Any:
    schema = SCHEMA.get(target, {}) or {"x": "any"}
    chosen = draw(
        st.lists(
            mostly(st.sampled_from(sorted(schema)), strings), min_size=1, max_size=2, unique=True
        )
    )
    length = LENGTHS.get(target, 0)
    result = {}
    for name in chosen:
        kind = schema.get(name, "any")
        result[name] = [
            list(draw(patch_index(length, kind))) for _ in range(draw(st.integers(1, 3)))
        ]
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(weird)
    return map_rep(result)


column_targets = mostly(
    st.sampled_from(["cds", "cds", "cds2", "btn"]), st.sampled_from(["sel", "config", "nope"])
)
attrs = mostly(
    st.sampled_from(["data", "label", "tags", "name", "indices", "selected", "reconnect_session"]),
    st.sampled_from(["nope", "id", ""]) | weird,
)


@st.composite
def column_event(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["ColumnDataChanged", "ColumnsStreamed", "ColumnsPatched", "ModelChanged"])
    )
    target = draw(column_targets)
    event: dict[str, Any] = {
        "kind": kind,
        "model": ref_to(target),
        "attr": draw(mostly(st.just("data"), attrs)),
    }
    if kind == "ColumnsStreamed":
        event["data"] = draw(column_data(target))
        event["rollover"] = draw(
            mostly(
                st.none() | st.integers(min_value=1, max_value=6),
                st.integers(-2, 0) | big_ints | weird,
            )
        )
    elif kind == "ColumnsPatched":
        event["patches"] = draw(patches(target))
    elif kind == "ModelChanged":  # the whole data as a new value: columns must stay aligned
        event["new"] = draw(column_data(target))
    elif draw(st.booleans()):
        event["data"], event["cols"] = draw(column_data(target)), None
    else:
        names = (
            draw(
                st.lists(
                    st.sampled_from(sorted(SCHEMA[target]) or ["x"]),
                    min_size=1,
                    max_size=3,
                    unique=True,
                )
            )
            if target in SCHEMA
            else ["x"]
        )
        event["data"] = draw(column_data(target, LENGTHS.get(target, 0), names))
        event["cols"] = draw(mostly(st.just(names), st.lists(strings, max_size=2) | weird))
    if draw(st.integers(min_value=0, max_value=19)) == 0:  # a field missing
        del event[draw(st.sampled_from(sorted(set(event) - {"kind"})))]
    return event


def _event(kind: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a complete event; sometimes one with fields missing."""
    return mostly(
        st.fixed_dictionaries({"kind": st.just(kind), **fields}),
        st.fixed_dictionaries({"kind": st.just(kind)}, optional=fields),
    )


new_models = st.fixed_dictionaries(
    {"type": st.just("object"), "name": model_names, "id": st.sampled_from(NEW_IDS)},
    optional={"attributes": st.dictionaries(attr_names, any_reps, max_size=2)},
)
model_values = st.one_of(
    any_reps,
    st.lists(mostly(small_ints, ints), max_size=3),
    column_data("cds"),
    column_data("cds2"),
    new_models,
)
patch_events = weighted(
    (2, _event("ModelChanged", model=model_ids.map(ref_to), attr=attrs, new=model_values)),
    (6, column_event()),
    (1, _event("RootAdded", model=mostly(new_models, model_values | refs))),
    (1, _event("RootRemoved", model=model_ids.map(ref_to))),
    (1, _event("TitleChanged", title=mostly(good_strings, weird))),
    (
        2,
        _event(
            "MessageSent",
            msg_type=mostly(st.just("bokeh_event"), strings | weird),
            msg_data=mostly(event_reps(any_reps), any_reps),
        ),
    ),
    (1, st.fixed_dictionaries({"kind": strings | weird}, optional={"model": refs}) | weird),
)
patch_contents = weighted(
    (19, st.fixed_dictionaries({"events": st.lists(patch_events, min_size=1, max_size=3)})),
    (1, st.sampled_from([{}, {"events": {}}, {"events": None}, {"events": []}, []])),
)

doc_jsons = st.fixed_dictionaries(
    {"roots": mostly(st.lists(any_reps, max_size=3), weird)},
    optional={
        "title": mostly(good_strings, weird),
        "config": any_reps,
        "callbacks": any_reps,
        "defs": st.lists(scalars, max_size=2) | weird,
        "version": strings,
    },
)

# -- properties -------------------------------------------------------------------------------


@settings(FUZZ, max_examples=600)
@given(doc_jsons, buffers())
def test_any_document_json_decodes_or_raises_a_livedoc_error(
    doc_json: dict[str, Any], message_buffers: dict[str, Any]
) -> None:
    try:
        doc = Document.from_json(doc_json, message_buffers, generic=True)
    except LivedocError as exc:  # anything else fails the test
        event(f"rejected: {type(exc).__name__}")
        return
    event("accepted")
    form = wire(doc)  # a decoded document can always be sent
    assert snapshot(pulled(form, generic=True)) == canonical(form)  # and pulled alike


def statistic(text: str) -> None:
    """Count `text` in Hypothesis' statistics (when running under Hypothesis)."""
    if currently_in_test_context():
        event(text)


def check_patch(generic: bool, content: Any, message_buffers: dict[str, Any]) -> None:
    """Apply `content` to a fresh document: all or nothing, re-encodable and replayable."""
    doc = make_doc(generic)
    before_wire = wire(doc)
    before = canonical(before_wire)
    error: LivedocError | None = None
    try:
        doc.apply_json_patch(content, message_buffers, setter=SESSION)
    except LivedocError as exc:  # anything else fails the test
        error = exc
    if error is not None:
        statistic(f"rejected: {type(error).__name__}")
        assert snapshot(doc) == before, f"a failed patch changed the document: {error}"
        return
    kinds = sorted({str(e.get("kind")) for e in content["events"] if isinstance(e, dict)})
    statistic(f"accepted: {', '.join(kinds)}")
    after_wire = wire(doc)  # every accepted value re-encodes
    after = canonical(after_wire)
    for model in doc.models.values():
        if isinstance(model, ColumnDataSource):  # typed sources keep their columns aligned
            lengths = {len(column) for column in model.data.values()}
            assert len(lengths) <= 1, f"{model.id} has columns of lengths {lengths}"
    replica = pulled(before_wire, generic=generic)
    replica.apply_json_patch(content, message_buffers)
    assert snapshot(replica) == after, "the replica patched alike differs"
    assert snapshot(pulled(after_wire, generic=generic)) == after, "a pull differs"


@settings(FUZZ, max_examples=800)
@given(st.booleans(), patch_contents, buffers())
def test_patches_are_atomic_and_replayable(
    generic: bool, content: dict[str, Any], message_buffers: dict[str, Any]
) -> None:
    check_patch(generic, content, message_buffers)


@st.composite
def array_reps(draw: st.DrawFn) -> dict[str, Any]:
    """`ndarray` and `typed_array` reps: shapes that fit or not, overflow int64 or NumPy."""
    shape = draw(
        st.lists(st.integers(min_value=0, max_value=4), max_size=3)
        | bad_shapes
        | st.sampled_from([[2**64], [2**32, 2**32], [0, 2**62], [0, 2**64], [10**30, 0], []])
    )
    if draw(st.booleans()):
        array: Any = buffer_ref(draw(st.sampled_from(BUFFER_IDS)))
    else:
        small = isinstance(shape, list) and all(type(n) is int and 0 <= n <= 4 for n in shape)
        count = math.prod(shape) if small else draw(st.integers(min_value=0, max_value=6))
        item = mostly(finite_floats | small_ints | st.booleans(), extreme_floats | scalars)
        array = draw(st.lists(item, min_size=count, max_size=count))
    if draw(st.integers(min_value=0, max_value=4)) == 0 and isinstance(array, dict):
        return {"type": "typed_array", "array": array, "dtype": draw(dtypes), "order": draw(orders)}
    return ndarray(array, shape, draw(dtypes), draw(orders))


#: Every rep type of the wire, each with well-formed and malformed instances.
FAMILIES: dict[str, st.SearchStrategy[Any]] = {
    "plain JSON": _containers(scalars) | scalars,
    "map": map_reps(any_reps),
    "set": set_reps(any_reps),
    "array": array_entries_reps(any_reps),
    "number": number_reps,
    "bytes": bytes_reps,
    "ndarray, typed_array": array_reps(),
    "slice": slice_reps,
    "object": object_reps(any_reps),
    "ref": refs,
    "field, value, expr": spec_reps(any_reps),
    "event": event_reps(any_reps),
    "date": date_reps,
    "symbol, garbage": garbage_reps,
    "nested": any_reps,
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_values_of_every_rep_type_are_refused_or_re_encode(family: str) -> None:
    """A value set on a model and sent as a message: all or nothing, re-encodable, replayable."""

    @settings(FUZZ, max_examples=120)
    @given(
        st.booleans(),
        st.sampled_from(["btn", "cds2"]),
        attr_names,
        FAMILIES[family],
        buffers(),
    )
    def check(generic: bool, target: str, attr: str, rep: Any, buffers: dict[str, Any]) -> None:
        changed = {"kind": "ModelChanged", "model": {"id": target}, "attr": attr, "new": rep}
        tagged = {"kind": "ModelChanged", "model": {"id": "cds2"}, "attr": "tags", "new": [rep]}
        sent = {"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": rep}
        for one in (changed, tagged, sent):
            check_patch(generic, {"events": [one]}, buffers)

    check()


@settings(FUZZ, max_examples=300)
@given(
    st.booleans(),
    st.sampled_from(["cds", "cds2"]).flatmap(lambda t: st.tuples(st.just(t), column_data(t))),
    buffers(),
)
def test_new_column_data_keeps_columns_aligned_or_is_refused(
    generic: bool, target_data: tuple[str, Any], message_buffers: dict[str, Any]
) -> None:
    """`data` replaced wholesale, by ModelChanged or by ColumnDataChanged."""
    target, data = target_data
    ref = {"id": target}
    for one in (
        {"kind": "ModelChanged", "model": ref, "attr": "data", "new": data},
        {"kind": "ColumnDataChanged", "model": ref, "attr": "data", "data": data, "cols": None},
    ):
        check_patch(generic, {"events": [one]}, message_buffers)


@settings(FUZZ, max_examples=300)
@given(
    st.booleans(),
    st.sampled_from(["cds", "cds2"]).flatmap(lambda t: st.tuples(st.just(t), patches(t))),
    buffers(),
)
def test_cell_patches_are_refused_or_applied_alike(
    generic: bool, target_patches: tuple[str, Any], message_buffers: dict[str, Any]
) -> None:
    """ColumnsPatched with int, slice and 2-D indices, in range or not, on array and list cells."""
    target, patches_rep = target_patches
    event = {
        "kind": "ColumnsPatched",
        "model": {"id": target},
        "attr": "data",
        "patches": patches_rep,
    }
    check_patch(generic, {"events": [event]}, message_buffers)


# -- what fuzzing found, pinned ---------------------------------------------------------------

CDS2_TAGS = {"kind": "ModelChanged", "model": {"id": "cds2"}, "attr": "tags"}


def _cells(column: str, *changes: Any) -> dict[str, Any]:
    patches = {"type": "map", "entries": [[column, [list(change) for change in changes]]]}
    return {"kind": "ColumnsPatched", "model": {"id": "cds"}, "attr": "data", "patches": patches}


def _bokeh_event(values: list[Any]) -> dict[str, Any]:
    event = {"type": "event", "name": "button_click", "values": {"type": "map", "entries": values}}
    return {"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": event}


FOUND: dict[str, list[Any]] = {
    "shape overflowing int64": [
        {**CDS2_TAGS, "new": [ndarray(buffer_ref("f0"), [2**64], "float64")]},
        {**CDS2_TAGS, "new": [ndarray(buffer_ref("f0"), [2**32, 2**32], "float64")]},
    ],
    "empty array with a dimension beyond NumPy": [
        {**CDS2_TAGS, "new": [ndarray(buffer_ref("f0"), [0, 2**64], "float64")]},
        {**CDS2_TAGS, "new": [ndarray([], [0, 2**62], "float64")]},
    ],
    "float32 items overflowing": [{**CDS2_TAGS, "new": [ndarray([1e300], [1], "float32")]}],
    "integers beyond any float": [
        {**CDS2_TAGS, "new": [10**400]},
        {**CDS2_TAGS, "new": [{"type": "number", "value": -(10**400)}]},
        {**CDS2_TAGS, "new": [{"type": "slice", "start": 10**400}]},
    ],
    "slice bound beyond 2**53 (sent back as a float)": [
        {**CDS2_TAGS, "new": [{"type": "slice", "stop": 2**53 + 1}]}
    ],
    "event whose model is not a model": [
        _bokeh_event([["model", 5]]),
        _bokeh_event([["model", [{"id": "btn"}]]]),
    ],
    "writable buffer as a set entry or map key": [
        {**CDS2_TAGS, "new": [{"type": "set", "entries": [buffer_ref("f1")]}]},
        {**CDS2_TAGS, "new": [{"type": "map", "entries": [[buffer_ref("f1"), 1]]}]},
    ],
    "lone surrogates": [
        {"kind": "TitleChanged", "title": "\ud800"},
        {**CDS2_TAGS, "new": ["a\udfffb"]},
    ],
    "array row patched with a value of another shape": [
        _cells("cube", [0, []]),
        _cells("cube", [{"type": "slice", "start": 0, "stop": 2}, [[1.0, 2.0], [3.0]]]),
        _cells("x", [{"type": "slice", "start": 0, "stop": 2}, [[1.0, 2.0], [3.0, 4.0]]]),
    ],
    "float32 cell overflowing": [_cells("cube", [[0, 0, 0], 1e300]), _cells("cube", [0, 3.5e38])],
    "2-D index on a ragged list cell": [_cells("img", [[0, 0, 0], 1.0])],
    "typed columns misaligned by ModelChanged": [
        {
            "kind": "ModelChanged",
            "model": {"id": "cds2"},
            "attr": "data",
            "new": {"a": [1], "b": []},
        },
    ],
    "list rows of different shapes streamed onto array rows": [
        {
            "kind": "ColumnDataChanged",
            "model": {"id": "cds2"},
            "attr": "data",
            "data": {"a": [[1], [1, 2]], "b": ["p", "q"]},
            "cols": None,
        },
        {
            "kind": "ColumnsStreamed",
            "model": {"id": "cds2"},
            "attr": "data",
            "data": {"a": ndarray([1.0], [1], "float64"), "b": ["r"]},
            "rollover": None,
        },
    ],
}


@pytest.mark.parametrize("generic", [False, True], ids=["typed", "generic"])
@pytest.mark.parametrize("finding", list(FOUND))
def test_what_fuzzing_found_is_refused_or_re_encodes(finding: str, generic: bool) -> None:
    """Each event alone, then all of them in one patch."""
    message_buffers: dict[str, Any] = {"f0": b"", "f1": memoryview(bytearray(8))}
    for one in FOUND[finding]:
        check_patch(generic, {"events": [one]}, message_buffers)
    check_patch(generic, {"events": FOUND[finding]}, message_buffers)


def _nested(kind: str, depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"type": "map", "entries": [["k", value]]}
    return value


@pytest.mark.parametrize("kind", ["list", "map"])
@pytest.mark.parametrize("offset", [-2, -1, 0, 1])
def test_a_value_at_the_nesting_limit_is_refused_or_still_serializes(
    kind: str, offset: int
) -> None:
    doc = make_doc(generic=True)
    event = {"kind": "ModelChanged", "model": {"id": "btn"}, "attr": "label"}
    accepted = True
    try:
        doc.apply_json_patch(
            {"events": [{**event, "new": _nested(kind, DEFAULT_MAX_VALUE_DEPTH + offset)}]}
        )
    except LivedocError:
        accepted = False
    assert accepted == (offset <= 0)  # up to the limit accepted, beyond it refused
    snapshot(doc)  # whatever was accepted can still be sent from the document root
