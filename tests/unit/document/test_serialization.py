from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import math
from typing import Any

import numpy as np
import pytest

from livedoc.document import Document, Field, GenericModel, Serializer, Value
from livedoc.document.deserializer import Deserializer
from livedoc.document.ui_events import ButtonClick, DocumentReady, ModelEvent
from livedoc.document.values import Expr, ObjectValue
from livedoc.errors import DeserializationError, SerializationError
from livedoc.models import ColumnDataSource, Selection
from livedoc.protocol import wirejson


def encode(value: Any, **options: Any) -> tuple[Any, dict[str, Any]]:
    serializer = Serializer(**options)
    rep = serializer.encode(value)
    wirejson.dumps(rep)  # every rep must be valid wire JSON (no bare NaN)
    return rep, serializer.buffers


def decode(
    rep: Any, buffers: dict[str, Any] | None = None, models: dict[str, Any] | None = None
) -> Any:
    known = models or {}
    return Deserializer(known.get, lambda name, mid: GenericModel(name, mid), buffers).decode(rep)


def round_trip(value: Any) -> Any:
    rep, buffers = encode(value)
    return decode(json.loads(json.dumps(rep)), buffers)


# -- plain values ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, True, False, 0, -7, 1.5, "", "naïve", [1, [2, "x"]]])
def test_plain_values_are_themselves(value: Any) -> None:
    assert encode(value)[0] == value
    assert round_trip(value) == value


def test_tuples_become_lists() -> None:
    assert encode((1, (2, 3)))[0] == [1, [2, 3]]


@pytest.mark.parametrize(
    ("value", "rep"),
    [
        (math.nan, {"type": "number", "value": "nan"}),
        (math.inf, {"type": "number", "value": "+inf"}),
        (-math.inf, {"type": "number", "value": "-inf"}),
        (np.float32("nan"), {"type": "number", "value": "nan"}),
    ],
)
def test_non_finite_numbers_become_number_reps(value: float, rep: Any) -> None:
    assert encode(value)[0] == rep
    decoded = decode(rep)
    assert math.isnan(decoded) if math.isnan(value) else decoded == value


def test_integers_beyond_javascript_precision_become_floats() -> None:
    assert encode(2**53 - 1)[0] == 2**53 - 1
    assert encode(2**60)[0] == float(2**60)
    assert isinstance(encode(np.int64(5))[0], int)


def test_dicts_are_maps_and_sets_are_sets() -> None:
    assert encode({})[0] == {"type": "map"}
    assert encode({"a": 1, 2: [3]})[0] == {"type": "map", "entries": [["a", 1], [2, [3]]]}
    assert encode(set())[0] == {"type": "set"}
    assert encode({"x"})[0] == {"type": "set", "entries": ["x"]}
    assert round_trip({"a": {"b": {1, 2}}}) == {"a": {"b": {1, 2}}}
    assert decode({"type": "array", "entries": [1, 2]}) == [1, 2]


def test_plain_objects_without_type_are_dicts_unless_they_are_references() -> None:
    assert decode({"a": 1, "b": [2]}) == {"a": 1, "b": [2]}
    target = GenericModel("Div", "m1")
    assert decode({"id": "m1"}, models={"m1": target}) is target
    assert decode({"type": "ref", "id": "m1"}, models={"m1": target}) is target


def test_dates_and_times() -> None:
    assert encode(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC))[0] == 1704164645000.0
    assert encode(dt.datetime(2024, 1, 2, 3, 4, 5))[0] == 1704164645000.0  # naive means UTC
    assert encode(dt.date(2024, 1, 2))[0] == "2024-01-02"
    assert encode(dt.timedelta(seconds=1.5))[0] == 1500.0
    assert encode(dt.time(1, 0, 0, 500))[0] == 3600000.5
    assert encode(np.datetime64("2024-01-02T03:04:05"))[0] == 1704164645000.0
    assert encode(np.timedelta64(2, "s"))[0] == 2000.0
    assert encode(np.datetime64("NaT"))[0] == {"type": "number", "value": "nan"}
    js_date = decode({"type": "date", "iso": "2024-01-02T03:04:05.000Z"})
    assert js_date == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def test_slices() -> None:
    rep = encode(slice(1, None, 2))[0]
    assert rep == {"type": "slice", "start": 1, "stop": None, "step": 2}
    assert decode(rep) == slice(1, None, 2)


def test_specs_round_trip() -> None:
    transform = GenericModel("LinearColorMapper", "cm")
    assert encode(Field("x"))[0] == {"type": "field", "field": "x"}
    rep = encode(Value(3, transform, "screen"))[0]
    assert rep == {
        "type": "value",
        "value": 3,
        "transform": {"type": "object", "name": "LinearColorMapper", "id": "cm"},
        "units": "screen",
    }
    back = decode(rep)
    assert (back.value, back.units, back.transform.model_type) == (3, "screen", "LinearColorMapper")
    expr_rep = encode(Expr(GenericModel("Stack", "st")))[0]
    assert expr_rep["type"] == "expr"
    assert isinstance(decode(expr_rep), Expr)


def test_non_model_objects_keep_name_and_attributes() -> None:
    value = ObjectValue("pkg.Point", {"x": 1})
    rep = encode(value)[0]
    assert rep == {"type": "object", "name": "pkg.Point", "attributes": {"x": 1}}
    assert decode(rep) == value


def test_events() -> None:
    button = GenericModel("Button", "b1")
    rep = encode(ButtonClick({"model": button}))[0]
    assert rep == {
        "type": "event",
        "name": "button_click",
        "values": {
            "type": "map",
            "entries": [["model", {"type": "object", "name": "Button", "id": "b1"}]],
        },
    }
    event = decode(rep)
    assert isinstance(event, ButtonClick)
    assert event.model is not None
    ready = decode({"type": "event", "name": "document_ready", "values": {"type": "map"}})
    assert isinstance(ready, DocumentReady)
    custom = decode(
        {
            "type": "event",
            "name": "my_event",
            "values": {"type": "map", "entries": [["model", {"id": "b1"}]]},
        },
        models={"b1": button},
    )
    assert isinstance(custom, ModelEvent)
    assert custom.event_name == "my_event"
    assert custom.model is button


# -- bytes and arrays --------------------------------------------------------------------------


def test_bytes_go_to_buffers_or_inline_gzip_base64() -> None:
    rep, buffers = encode(b"hello")
    assert rep == {"type": "bytes", "data": {"id": "0"}}
    assert bytes(buffers["0"]) == b"hello"
    inline, none = encode(b"hello", binary=False)
    assert none == {}
    assert gzip.decompress(base64.b64decode(inline["data"])) == b"hello"
    assert decode(inline) == b"hello"


@pytest.mark.parametrize(
    "dtype", ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]
)
def test_wire_dtypes_are_sent_binary_without_copying(dtype: str) -> None:
    array = np.arange(6).astype(dtype).reshape(2, 3)
    rep, buffers = encode(array)
    assert rep["type"] == "ndarray"
    assert (rep["dtype"], rep["shape"], rep["order"]) == (dtype, [2, 3], "little")
    payload = buffers[rep["array"]["data"]["id"]]
    assert np.shares_memory(np.frombuffer(payload, dtype=np.uint8), array)
    back = decode(rep, buffers)
    assert back.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(back, array)
    assert np.shares_memory(
        back, np.frombuffer(payload, dtype=np.uint8)
    )  # decoding is zero-copy too
    assert not back.flags.writeable


def test_big_endian_arrays_are_sent_as_they_are() -> None:
    array = np.arange(3, dtype=">f8")
    rep, buffers = encode(array)
    assert rep["order"] == "big"
    assert np.shares_memory(np.frombuffer(buffers["0"], dtype=np.uint8), array)
    np.testing.assert_array_equal(decode(rep, buffers), [0.0, 1.0, 2.0])


def test_int64_is_downcast_when_it_fits_and_float64_otherwise() -> None:
    small = encode(np.array([1, -2], dtype=np.int64))[0]
    assert small["dtype"] == "int32"
    unsigned = encode(np.array([1, 2], dtype=np.uint64))[0]
    assert unsigned["dtype"] == "uint32"
    big_rep, buffers = encode(np.array([2**40, 1], dtype=np.int64))
    assert big_rep["dtype"] == "float64"
    assert decode(big_rep, buffers).tolist() == [2.0**40, 1.0]


def test_datetime_arrays_become_float_milliseconds_with_nat_as_nan() -> None:
    array = np.array(["2024-01-02T03:04:05", "NaT"], dtype="datetime64[s]")
    rep, buffers = encode(array)
    assert rep["dtype"] == "float64"
    values = decode(rep, buffers)
    assert values[0] == 1704164645000.0
    assert math.isnan(values[1])
    assert decode(*encode(np.array([1500], dtype="timedelta64[ms]")[::1]))[0] == 1500.0


def test_masked_arrays_are_filled_with_nan() -> None:
    masked = np.ma.masked_array([1, 2, 3], mask=[False, True, False])
    rep, buffers = encode(masked)
    values = decode(rep, buffers)
    assert values[0] == 1
    assert math.isnan(values[1])
    assert values[2] == 3


def test_non_contiguous_arrays_are_made_contiguous() -> None:
    base = np.arange(10.0)
    rep, buffers = encode(base[::2])
    assert decode(rep, buffers).tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_string_and_object_arrays_are_lists() -> None:
    rep = encode(np.array(["a", "bc"]))[0]
    assert rep == {
        "type": "ndarray",
        "array": ["a", "bc"],
        "shape": [2],
        "dtype": "object",
        "order": "little",
    }
    back = decode(rep)
    assert back.tolist() == ["a", "bc"]
    mixed = encode(np.array([1, None, math.nan], dtype=object))[0]
    assert mixed["array"] == [1, None, {"type": "number", "value": "nan"}]


def test_float16_is_widened_and_complex_is_refused() -> None:
    assert encode(np.array([1.5], dtype=np.float16))[0]["dtype"] == "float32"
    with pytest.raises(SerializationError, match="complex"):
        encode(np.array([1j]))


def test_zero_dimensional_arrays_and_numpy_scalars_are_plain_numbers() -> None:
    assert encode(np.array(2.5))[0] == 2.5
    assert encode(np.bool_(True))[0] is True


def test_typed_arrays_from_bokehjs_decode_to_arrays() -> None:
    payload = np.array([1.0, 2.0]).tobytes()
    rep = {
        "type": "typed_array",
        "array": {"type": "bytes", "data": {"id": "0"}},
        "order": "little",
        "dtype": "float64",
    }
    assert decode(rep, {"0": payload}).tolist() == [1.0, 2.0]


def test_unserializable_values_are_refused() -> None:
    with pytest.raises(SerializationError, match="cannot send a value of type object"):
        encode(object())


def test_cycles_in_plain_containers_are_refused_not_a_crash() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="nested deeper"):
        encode(loop)


# -- models ------------------------------------------------------------------------------------


def test_models_are_sent_in_full_once_then_by_reference() -> None:
    source = ColumnDataSource(data={"x": [1]})
    rep = encode([source, source])[0]
    assert rep[0]["type"] == "object"
    assert rep[0]["name"] == "ColumnDataSource"
    assert rep[1] == {"id": source.id}
    known = encode(source, known={source.id})[0]
    assert known == {"id": source.id}


def test_model_cycles_become_references() -> None:
    a = GenericModel("Thing", "a")
    b = GenericModel("Thing", "b", {"partner": a})
    a.set("partner", b)
    rep = encode(a)[0]
    assert rep["attributes"]["partner"]["attributes"]["partner"] == {"id": "a"}
    back = decode(json.loads(json.dumps(rep)))
    assert back.get("partner").get("partner") is back


def test_typed_documents_decode_into_their_classes() -> None:
    doc = Document()
    doc.add_root(ColumnDataSource(data={"x": np.arange(3.0)}))
    doc_json, buffers = doc.to_json()
    back = Document.from_json(doc_json, buffers)
    [source] = back.roots
    assert isinstance(source, ColumnDataSource)
    assert isinstance(source.selected, Selection)
    np.testing.assert_array_equal(source.data["x"], [0.0, 1.0, 2.0])


# -- malformed input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rep", "message"),
    [
        ({"type": "nope"}, "unknown value type 'nope'"),
        ({"type": 5}, "unknown value type 5"),
        ({"id": "missing"}, "reference to unknown model 'missing'"),
        ({"id": 5}, "must be a string"),
        ({"type": "number", "value": "big"}, "number rep"),
        ({"type": "map", "entries": [[1]]}, "pairs"),
        ({"type": "map", "entries": [[[1], 2]]}, "hashable"),
        ({"type": "map", "entries": {}}, "must be a list"),
        ({"type": "set", "entries": [[1]]}, "hashable"),
        ({"type": "bytes", "data": {"id": "nope"}}, "does not carry"),
        ({"type": "bytes", "data": 5}, "buffer reference or a base64"),
        ({"type": "bytes", "data": "!!!"}, "not valid base64"),
        ({"type": "bytes", "data": base64.b64encode(b"plain").decode()}, "not gzip"),
        ({"type": "ndarray", "array": [1], "shape": [1], "dtype": "int64"}, "unsupported dtype"),
        ({"type": "ndarray", "array": [1, 2], "shape": [3], "dtype": "int32"}, "does not match"),
        ({"type": "ndarray", "array": ["x"], "shape": [1], "dtype": "int32"}, "do not fit"),
        ({"type": "ndarray", "array": [1], "shape": "1", "dtype": "int32"}, "shape"),
        (
            {"type": "ndarray", "array": 5, "shape": [1], "dtype": "int32", "order": "little"},
            "bytes rep",
        ),
        ({"type": "slice", "start": "a", "stop": None, "step": None}, "integers"),
        ({"type": "slice", "start": 0, "stop": 1, "step": 0}, "zero"),
        ({"type": "object", "name": 3, "id": "x"}, "must be a string"),
        ({"type": "object", "name": "X", "id": "x", "attributes": []}, "must be an object"),
        ({"type": "event", "name": "e", "values": [1]}, "map with string keys"),
        ({"type": "date", "iso": "yesterday"}, "not an ISO date"),
        ({"type": "symbol", "name": "s"}, "symbol"),
        ({"type": "value"}, "needs a 'value'"),
        ({"type": "field", "field": "x", "units": 3}, "units"),
        (float("nan"), "bare NaN"),
    ],
)
def test_malformed_reps_raise_deserialization_errors(rep: Any, message: str) -> None:
    with pytest.raises(DeserializationError, match=message):
        decode(rep)


def test_buffer_sizes_and_shapes_are_checked() -> None:
    rep = {
        "type": "ndarray",
        "array": {"type": "bytes", "data": {"id": "0"}},
        "shape": [2],
        "dtype": "float64",
        "order": "little",
    }
    with pytest.raises(DeserializationError, match="holds 1"):
        decode(rep, {"0": b"\x00" * 8})
    with pytest.raises(DeserializationError, match="whole float64 items"):
        decode(rep, {"0": b"\x00" * 7})
    with pytest.raises(DeserializationError, match="byte order"):
        decode(rep | {"order": "middle"}, {"0": b"\x00" * 16})


def test_nesting_depth_is_bounded() -> None:
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    with pytest.raises(DeserializationError, match="nested deeper"):
        decode(deep)


def test_inline_gzip_bombs_are_refused() -> None:
    bomb = base64.b64encode(gzip.compress(b"\x00" * 2_000_000)).decode()
    decoder = Deserializer(lambda _: None, GenericModel, max_inline_bytes=1_000_000)
    with pytest.raises(DeserializationError, match="inflate beyond"):
        decoder.decode({"type": "bytes", "data": bomb})


def test_a_known_model_sent_again_in_full_is_the_same_model_and_keeps_its_values() -> None:
    existing = GenericModel("Div", "d1", {"text": "kept"})
    again = decode(
        {"type": "object", "name": "Div", "id": "d1", "attributes": {"text": "ignored"}},
        models={"d1": existing},
    )
    assert again is existing
    assert existing.get("text") == "kept"
    with pytest.raises(DeserializationError, match="is a Div, not a Button"):
        decode({"type": "object", "name": "Button", "id": "d1"}, models={"d1": existing})


def test_inline_gzip_must_be_whole() -> None:
    whole = gzip.compress(b"hello")
    for broken in (whole[:-4], whole + b"junk"):
        with pytest.raises(
            DeserializationError, match="truncated gzip data, or have data after it"
        ):
            decode({"type": "bytes", "data": base64.b64encode(broken).decode()})


def test_ndarray_list_items_are_flat() -> None:
    with pytest.raises(DeserializationError, match="flat list"):
        decode({"type": "ndarray", "array": [[1, 2], [3, 4]], "shape": [4], "dtype": "int32"})
    assert decode(
        {"type": "ndarray", "array": [1, 2, 3, 4], "shape": [2, 2], "dtype": "int32"}
    ).shape == (2, 2)


def test_array_likes_and_other_numpy_scalars() -> None:
    class ArrayLike:
        def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
            return np.array([1.0, 2.0])

    rep, buffers = encode(ArrayLike())
    assert decode(rep, buffers).tolist() == [1.0, 2.0]
    assert encode(np.int16(7))[0] == 7
    assert encode(np.float16(0.5))[0] == 0.5
    assert encode(np.str_("s"))[0] == "s"


def test_a_model_inside_a_specs_value_and_its_transform_round_trips() -> None:
    """Found by the fuzzer: the encoder defines the model in `value` and refers to it in
    `transform`, so the decoder must read them in that order."""
    from livedoc.document import Document, GenericModel
    from livedoc.document.values import Value

    doc = Document(generic=True)
    shared = GenericModel("CustomJSTransform", "t1", {})
    holder = GenericModel("Holder", "h1", {"spec": Value(Value(shared, shared))})
    doc.add_root(holder)
    doc_json, buffers = doc.to_json()
    again = Document.from_json(doc_json, buffers, generic=True)
    inner = again.get_model_by_id("h1").attributes["spec"].value
    assert inner.value is inner.transform is again.get_model_by_id("t1")
