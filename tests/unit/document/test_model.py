from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from livedoc.document import Document, GenericModel, Model, Property
from livedoc.document.kinds import (
    AnyKind,
    Bool,
    Bytes,
    Color,
    ColumnData,
    Date,
    Datetime,
    Dict,
    Either,
    Enum,
    Float,
    Instance,
    Int,
    KindMismatch,
    List,
    NonNegative,
    Nullable,
    Positive,
    Regex,
    Seq,
    Set,
    Spec,
    String,
    Struct,
    Tuple,
)
from livedoc.document.model import MODEL_REGISTRY
from livedoc.document.values import Field, Value
from livedoc.errors import ValidationError
from livedoc.models import ColumnDataSource, Selection


class Gadget(Model, name="tests.Gadget"):
    size: Property[float] = Property(NonNegative(Float()), 1.0, help="How big.")
    label: Property[str | None] = Property(Nullable(String()), None)
    mode: Property[str] = Property(Enum("fast", "slow"), "fast")
    color: Property[Any] = Property(Color(), "red")
    items: Property[list[int]] = Property(List(Int()), factory=list)
    child: Property[Any] = Property(Nullable(Instance("tests.Gadget")), None)
    fixed: Property[int] = Property(Int(), 3, readonly=True)
    width: Property[Any] = Property(Spec(Float()), factory=lambda: Value(1.0))


class AbstractThing(Model, abstract=True):
    pass


def test_typed_models_register_their_wire_name() -> None:
    assert MODEL_REGISTRY["tests.Gadget"] is Gadget
    assert "AbstractThing" not in MODEL_REGISTRY
    assert Gadget().model_type == "tests.Gadget"
    assert MODEL_REGISTRY["ColumnDataSource"] is ColumnDataSource


def test_abstract_models_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match="abstract"):
        AbstractThing()


def test_defaults_and_assignment() -> None:
    gadget = Gadget(size=2, label="x")
    assert (gadget.size, gadget.label, gadget.mode, gadget.color, gadget.items) == (
        2,
        "x",
        "fast",
        "red",
        [],
    )
    gadget.size = 3.5
    assert gadget.size == 3.5
    assert gadget.name is None
    assert gadget.syncable is True


def test_ids_are_unique_strings() -> None:
    ids = {Gadget().id for _ in range(100)}
    assert len(ids) == 100
    assert Gadget(id="chosen").id == "chosen"


@pytest.mark.parametrize(
    ("attr", "value", "message"),
    [
        ("size", -1, "tests.Gadget.size: expected a non-negative Float"),
        ("size", "big", "tests.Gadget.size: expected Float, got str 'big'"),
        ("size", True, "expected Float, got bool"),
        ("mode", "medium", "expected one of ['fast', 'slow'], got str 'medium'"),
        ("color", "notacolor", "expected a color"),
        ("items", [1, "2"], "item[1]: expected Int, got str '2'"),
        ("child", Selection(), "expected an instance of tests.Gadget"),
    ],
)
def test_invalid_values_raise_a_clear_error(attr: str, value: object, message: str) -> None:
    gadget = Gadget()
    before = gadget.get(attr)
    with pytest.raises(ValidationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        setattr(gadget, attr, value)
    assert gadget.get(attr) == before


def test_unknown_attributes_are_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(ValidationError, match=r"tests\.Gadget has no property 'sise'.*size"):
        Gadget(sise=3)
    with pytest.raises(ValidationError, match="has no property 'colour'"):
        Gadget().colour = "red"  # type: ignore[attr-defined]


def test_readonly_properties_reject_assignment_but_keep_their_value() -> None:
    gadget = Gadget()
    with pytest.raises(ValidationError, match="read-only"):
        gadget.fixed = 4
    assert gadget.fixed == 3


def test_on_change_gets_attr_old_new_and_only_real_changes() -> None:
    gadget = Gadget()
    calls: list[tuple[str, Any, Any]] = []
    gadget.on_change("size", lambda attr, old, new: calls.append((attr, old, new)))
    gadget.size = 5
    gadget.size = 5
    gadget.label = "ignored"
    assert calls == [("size", 1.0, 5)]
    with pytest.raises(ValidationError):
        gadget.on_change("nope", print)


def test_a_failing_callback_is_logged_and_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gadget = Gadget()
    seen = []

    def broken(attr: str, old: Any, new: Any) -> None:
        raise RuntimeError("callback bug")

    gadget.on_change("size", broken, lambda attr, old, new: seen.append(new))
    gadget.size = 2
    assert seen == [2]
    assert gadget.size == 2
    assert "callback bug" in caplog.text


def test_remove_on_change() -> None:
    gadget = Gadget()
    calls: list[Any] = []

    def callback(attr: str, old: Any, new: Any) -> None:
        calls.append(new)

    gadget.on_change("size", callback)
    gadget.remove_on_change("size", callback)
    gadget.size = 9
    assert calls == []
    with pytest.raises(ValueError, match="not registered"):
        gadget.remove_on_change("size", callback)


def test_instance_defaults_are_per_model_and_serialized() -> None:
    a, b = ColumnDataSource(), ColumnDataSource()
    assert isinstance(a.selected, Selection)
    assert a.selected is not b.selected
    assert "selected" in a.wire_attributes()
    assert "selection_policy" in a.wire_attributes()


def test_container_defaults_are_fresh_and_not_sent_unless_changed() -> None:
    a, b = Gadget(), Gadget()
    a.items.append(1)  # in-place edit of a factory default sticks on that model only
    assert a.items == [1]
    assert b.items == []
    assert "items" in a.wire_attributes()
    assert "items" not in b.wire_attributes()


def test_on_event_subscribes_the_event_name() -> None:
    gadget = Gadget()
    gadget.on_event("button_click", lambda event: None)
    assert gadget.subscribed_events == {"button_click"}
    with pytest.raises(ValueError, match="at least one callback"):
        gadget.on_event("tap")


def test_model_cannot_belong_to_two_documents() -> None:
    gadget = Gadget()
    Document().add_root(gadget)
    with pytest.raises(ValidationError, match="another document"):
        Document().add_root(gadget)


def test_generic_models_store_any_attribute() -> None:
    model = GenericModel("Slider", "s1", {"value": 3})
    seen = []
    model.on_change("value", lambda attr, old, new: seen.append((old, new)))
    model.set("value", 4)
    model.set("title", "t")
    assert model.get("value") == 4
    assert model.get("unknown", "dflt") == "dflt"
    assert dict(model.attributes) == {"value": 4, "title": "t"}
    assert seen == [(3, 4)]
    assert repr(model) == "Slider(id='s1')"


# -- kinds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (AnyKind(), [None, 1, object()], []),
        (Bool(), [True, np.bool_(False)], [1, "true", None]),
        (Int(), [0, -5, np.int64(3)], [1.0, True, "1"]),
        (Float(), [1, 1.5, np.float32(2), float("nan")], ["1", None, False]),
        (String(), ["", "x"], [b"x", 1]),
        (Regex(r"\d+px"), ["12px"], ["12", "px12px"]),
        (Bytes(), [b"x", bytearray(b"y"), memoryview(b"z")], ["x"]),
        (Enum("a", "b"), ["a"], ["c", 1]),
        (Nullable(Int()), [None, 1], ["x"]),
        (NonNegative(Int()), [0, 3], [-1]),
        (Positive(Float()), [0.1], [0, -1]),
        (List(Float()), [[], [1, 2.5], (1, 2)], [[1, "x"], {1}, "ab"]),
        (Seq(Float()), [[1], (1,), np.zeros(3)], [np.float64(1.0), "ab", np.array(1.0)]),
        (Set(String()), [set(), {"a"}, ["a", "b"]], [{1}, "a"]),
        (Tuple(Int(), String()), [(1, "a"), [1, "a"]], [(1,), ("a", 1)]),
        (Dict(String(), Int()), [{}, {"a": 1}], [{1: 1}, {"a": "1"}, [("a", 1)]]),
        (
            Struct(a=Int(), optional=["b"], b=String()),
            [{"a": 1}, {"a": 1, "b": "x"}],
            [{"b": "x"}, {"a": 1, "c": 2}],
        ),
        (Either(Int(), String()), [1, "a"], [1.5, None]),
        (
            Color(),
            [
                "red",
                "#abc",
                "#aabbcc",
                "#aabbccdd",
                "rgb(1, 2, 3)",
                "rgba(1,2,3,0.5)",
                (1, 2, 3),
                (1, 2, 3, 0.5),
                0xFF0000FF,
            ],
            ["#ab", "reddish", (1, 2), (256, 0, 0), (1, 2, 3, 2), -1, True],
        ),
        (
            Datetime(),
            [dt.datetime.now(), dt.date.today(), np.datetime64("2024-01-01"), 1.7e12],
            ["2024", float("nan")],
        ),
        (Date(), [dt.date.today(), "2024-01-02", dt.datetime(2024, 1, 2, 3)], ["yesterday", 5]),
        (
            ColumnData(),
            [{}, {"x": [1], "y": np.zeros(1)}, {"t": (1, 2)}],
            [{"x": 1}, {1: [1]}, {"x": np.array(1)}, []],
        ),
    ],
)
def test_kinds_accept_and_refuse(kind: Any, good: list[Any], bad: list[Any]) -> None:
    for value in good:
        kind.validate(value)
    for value in bad:
        with pytest.raises(KindMismatch):
            kind.validate(value)
    assert repr(kind)


def test_kinds_normalize_values() -> None:
    assert List(Int()).validate((1, 2)) == [1, 2]
    assert Date().validate("2024-01-02") == dt.date(2024, 1, 2)
    assert ColumnData().validate({"t": (1, 2)}) == {"t": [1, 2]}
    assert Float().validate(np.float32(0.5)) == 0.5
    assert type(Int().validate(np.int64(3))) is int


def test_specs_turn_strings_into_fields_and_values_into_values() -> None:
    spec = Spec(Float())
    assert spec.validate("time") == Field("time")
    assert spec.validate(2) == Value(2)
    assert spec.validate({"field": "t", "units": "data"}) == Field("t", units="data")
    assert spec.validate({"value": 3}) == Value(3)
    assert Spec(Color()).validate("red") == Value("red")
    assert Spec(Color()).validate("column_of_colors") == Field("column_of_colors")
    with pytest.raises(KindMismatch):
        spec.validate({"bogus": 1})
    with pytest.raises(KindMismatch):
        Spec(Float(), strings="value").validate("x")
    text = Spec(String(), strings="field")  # a text glyph's `text`: a string names a column
    assert text.validate("label") == Field("label")
    assert text.validate(Value("fixed")) == Value("fixed")
    align = Spec(Enum("left", "right"), strings="value")
    assert align.validate("left") == Value("left")
    with pytest.raises(KindMismatch, match="one of"):
        align.validate("middle")


def test_spec_values_and_expressions() -> None:
    from livedoc.document.values import Expr, expr, field, value

    spec = Spec(Float())
    assert spec.validate(value(2.0, units="data")) == Value(2.0, None, "data")
    with pytest.raises(KindMismatch):
        spec.validate(Value("text"))
    stack = GenericModel("Stack", "st")
    assert spec.validate({"expr": stack}) == Expr(stack)
    assert spec.validate(expr(stack)) == Expr(stack)
    assert spec.validate(field("t")) == Field("t")


def test_property_declarations_and_lookup() -> None:
    with pytest.raises(TypeError, match="exactly one of"):
        Property(Int())
    with pytest.raises(TypeError, match="exactly one of"):
        Property(Int(), 1, factory=int)
    assert Gadget.size.help == "How big."
    assert "size" in Gadget.properties()
    assert repr(Gadget.size) == "Property(NonNegative(Float), name='size')"
    with pytest.raises(AttributeError, match="no property 'nope'"):
        Gadget().get("nope")
