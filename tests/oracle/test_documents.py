"""Whole documents (PULL-DOC-REPLY / PUSH-DOC content) cross between livedoc and bokeh 3.9.2.

1. Documents built with livedoc load in bokeh's `Document.from_json` with the same ids, types
   and values, and bokeh encodes what it loaded exactly as livedoc did.
2. Documents built and serialized by bokeh decode in livedoc (generic or typed), re-encode to
   the same document, and that re-encoding loads back into bokeh as the original.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pytest
from bokeh.core.serialization import Serializer as BokehSerializer
from bokeh.document import Document as BokehDocument
from bokeh.models import ColumnDataSource as BokehSource

from livedoc.document import Document, GenericModel, Serializer
from livedoc.errors import DeserializationError
from livedoc.models import ColumnDataSource, DocumentConfig, Selection, UnionRenderers

from ._bridge import (
    assert_same,
    assert_same_documents,
    bokeh_doc_wire,
    bokeh_wire,
    canonical,
    livedoc_doc_wire,
    livedoc_wire,
    to_bokeh,
    to_livedoc,
)
from ._scenes import bokeh_rich_doc, bokeh_source_doc, params_class, start_columns

pytestmark = pytest.mark.oracle

nan, inf = math.nan, math.inf


def assert_values_equal(actual: Any, expected: Any, where: str = "value") -> None:
    """`actual` (decoded by bokeh) equals `expected`: same array dtypes and shapes, NaN == NaN."""
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"{where}: {type(actual).__name__}, not an array"
        assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: {type(actual).__name__}, not a list"
        assert len(actual) == len(expected), f"{where}: {len(actual)} items, not {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_values_equal(a, e, f"{where}[{index}]")
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {type(actual).__name__}, not a dict"
        assert list(actual) == list(expected), f"{where}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            assert_values_equal(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, float) and math.isnan(expected):
        assert isinstance(actual, float), f"{where}: {actual!r} is not NaN"
        assert math.isnan(actual), f"{where}: {actual!r} is not NaN"
    else:
        assert type(actual) is type(expected) or {type(actual), type(expected)} <= {int, float}
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def _masked(values: list[Any], mask: list[int], dtype: Any) -> Any:
    return np.ma.masked_array(np.array(values, dtype=dtype), mask=mask)


# (column as livedoc gets it, the column as bokeh decodes it, how bokeh itself encodes it:
#  "same" = the identical wire form, "values" = the same values in another form (see below),
#  None = bokeh cannot encode it at all)
COLUMNS = [
    pytest.param(
        np.array([0.5, nan, inf, -inf]), np.array([0.5, nan, inf, -inf]), "same", id="float64"
    ),
    pytest.param(
        np.array([1.5, nan, -inf, 3], dtype=np.float32),
        np.array([1.5, nan, -inf, 3], dtype=np.float32),
        "same",
        id="float32",
    ),
    pytest.param(
        np.array([1, -2, 2**31 - 1, -(2**31)], dtype=np.int32),
        np.array([1, -2, 2**31 - 1, -(2**31)], dtype=np.int32),
        "same",
        id="int32",
    ),
    *(
        pytest.param(
            np.array([0, 1, 2, np.iinfo(dtype).max], dtype=dtype),
            np.array([0, 1, 2, np.iinfo(dtype).max], dtype=dtype),
            "same",
            id=np.dtype(dtype).name,
        )
        for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.uint32)
    ),
    pytest.param(
        np.array([True, False, True, True]), np.array([True, False, True, True]), "same", id="bool"
    ),
    pytest.param(
        np.array([0, -1, 2**31 - 1, -(2**31)], dtype=np.int64),
        np.array([0, -1, 2**31 - 1, -(2**31)], dtype=np.int32),
        "same",
        id="int64-downcast-to-int32",
    ),
    pytest.param(
        np.array([0, 1, 2**32 - 1, 7], dtype=np.uint64),
        np.array([0, 1, 2**32 - 1, 7], dtype=np.uint32),
        "same",
        id="uint64-downcast-to-uint32",
    ),
    # livedoc sends int64 beyond int32 as float64 (exact to 2**53, all a JS number holds);
    # bokeh sends an object list, and warns when beyond 2**53. The values are the same.
    pytest.param(
        np.array([2**40, -(2**40), 2**53 - 1, 0], dtype=np.int64),
        np.array([2**40, -(2**40), 2**53 - 1, 0], dtype=np.float64),
        "values",
        id="int64-beyond-int32",
    ),
    pytest.param(
        np.array(
            ["2024-01-02T03:04:05.006", "NaT", "1970-01-01", "1969-12-31"], dtype="datetime64[ms]"
        ),
        np.array([1704164645006.0, nan, 0.0, -86400000.0]),
        "same",
        id="datetime64-ms",
    ),
    pytest.param(
        np.array(["2024-01-02T00:00:00.0015", "1970-01-01", "NaT", "2000"], dtype="datetime64[ns]"),
        np.array([1704153600001.5, 0.0, nan, 946684800000.0]),
        "same",
        id="datetime64-ns",
    ),
    pytest.param(
        np.array([1, -2, 0, 3600], dtype="timedelta64[s]"),
        np.array([1000.0, -2000.0, 0.0, 3600000.0]),
        "same",
        id="timedelta64",
    ),
    pytest.param(
        _masked([1.0, 2.0, 3.0, 4.0], [0, 1, 0, 1], np.float64),
        np.array([1.0, nan, 3.0, nan]),
        "same",
        id="masked-float",
    ),
    # bokeh raises "Cannot convert fill_value nan to dtype int32" on masked integer arrays.
    pytest.param(
        _masked([1, 2, 3, 4], [1, 0, 0, 0], np.int32),
        np.array([nan, 2.0, 3.0, 4.0]),
        None,
        id="masked-int",
    ),
    pytest.param(np.arange(8.0)[::2], np.array([0.0, 2.0, 4.0, 6.0]), "same", id="non-contiguous"),
    # livedoc sends these binary (big-endian with "order": "big"); bokeh as object lists.
    pytest.param(
        np.array([1.5, -2.0, nan, 4.0], dtype=">f8"),
        np.array([1.5, -2.0, nan, 4.0]),
        "values",
        id="big-endian-float64",
    ),
    pytest.param(
        np.array([1, -2, 3, 2**31 - 1], dtype=">i4"),
        np.array([1, -2, 3, 2**31 - 1], dtype=np.int32),
        "values",
        id="big-endian-int32",
    ),
    pytest.param(
        np.array([1.5, 2.0, -0.25, 65504.0], dtype=np.float16),
        np.array([1.5, 2.0, -0.25, 65504.0], dtype=np.float32),
        "values",
        id="float16-as-float32",
    ),
    pytest.param(
        np.array(["a", "ü", "", "✓ long text"]),
        np.array(["a", "ü", "", "✓ long text"], dtype=object),
        "same",
        id="numpy-strings",
    ),
    pytest.param(
        np.array([None, "x", 1.5, True], dtype=object),
        np.array([None, "x", 1.5, True], dtype=object),
        "same",
        id="object-array",
    ),
    pytest.param(["a", "ü", "", "✓"], ["a", "ü", "", "✓"], "same", id="string-list"),
    pytest.param([1.0, nan, inf, -inf], [1.0, nan, inf, -inf], "same", id="nan-inf-list"),
    pytest.param(
        [[1, 2], [], [3.5, [4, nan]], ["x", None]],
        [[1, 2], [], [3.5, [4, nan]], ["x", None]],
        "same",
        id="nested-lists",
    ),
    pytest.param(
        [{"a": 1}, {}, {1: "int key"}, {"n": [nan]}],
        [{"a": 1}, {}, {1: "int key"}, {"n": [nan]}],
        "same",
        id="dicts",
    ),
    pytest.param((1, 2, 3, 4), [1, 2, 3, 4], "same", id="tuple"),
    pytest.param(
        [dt.datetime(2024, 1, 2, 3, 4, 5), dt.date(2024, 1, 2), None, dt.timedelta(seconds=1.5)],
        [1704164645000.0, "2024-01-02", None, 1500.0],
        "same",
        id="datetime-list",
    ),
    pytest.param(
        [np.arange(2.0), np.arange(3, dtype=np.int32), np.array([]), np.array([nan])],
        [np.arange(2.0), np.arange(3, dtype=np.int32), np.array([]), np.array([nan])],
        "same",
        id="list-of-arrays",
    ),
    pytest.param(
        [np.arange(6.0).reshape(2, 3) + k for k in range(4)],
        [np.arange(6.0).reshape(2, 3) + k for k in range(4)],
        "same",
        id="image-list",
    ),
    pytest.param(
        np.arange(8.0).reshape(4, 2), np.arange(8.0).reshape(4, 2), "same", id="2-d-array"
    ),
    pytest.param(
        np.arange(8.0).reshape(2, 4).T,
        np.array([[0.0, 4.0], [1.0, 5.0], [2.0, 6.0], [3.0, 7.0]]),
        "same",
        id="2-d-transposed",
    ),
    pytest.param(
        np.arange(24, dtype=np.int32).reshape(4, 2, 3),
        np.arange(24, dtype=np.int32).reshape(4, 2, 3),
        "same",
        id="3-d-array",
    ),
    pytest.param(np.array([]), np.array([]), "same", id="empty-array"),
    pytest.param([], [], "same", id="empty-list"),
]


@pytest.mark.parametrize(("column", "expected", "bokeh_form"), COLUMNS)
def test_livedoc_column_loads_in_bokeh_with_the_same_values(
    column: Any, expected: Any, bokeh_form: str | None
) -> None:
    source = ColumnDataSource({"column": column, "other": [0] * len(column)})
    doc = Document()
    doc.add_root(source)
    wire = livedoc_doc_wire(doc)

    loaded = to_bokeh(wire)

    [root] = loaded.roots
    assert isinstance(root, BokehSource)
    assert root.id == source.id
    assert list(root.data) == ["column", "other"]
    assert_values_equal(root.data["column"], expected, "column")
    # What bokeh loaded, it encodes as livedoc did (dtype, shape, values).
    assert_same_documents(wire, bokeh_doc_wire(loaded))


@pytest.mark.parametrize(("column", "expected", "bokeh_form"), COLUMNS)
def test_livedoc_encodes_a_column_as_bokeh_does(
    column: Any, expected: Any, bokeh_form: str | None
) -> None:
    """livedoc's and bokeh's encodings of one source with one column: identical wire forms,
    or (where livedoc deliberately differs, see COLUMNS) the same values."""
    theirs = BokehSource(data={"column": column})
    ours = ColumnDataSource(  # the same model: bokeh's ids
        {"column": column},
        id=theirs.id,
        selected=Selection(id=theirs.selected.id),
        selection_policy=UnionRenderers(id=theirs.selection_policy.id),
    )
    serializer = Serializer()
    our_wire = livedoc_wire(serializer.encode(ours), serializer.buffers)
    bokeh_serializer = BokehSerializer()
    if bokeh_form is None:
        with pytest.raises(TypeError):
            bokeh_serializer.encode(theirs)
        return
    their_wire = bokeh_wire(bokeh_serializer.encode(theirs), bokeh_serializer.buffers)

    loose = bokeh_form == "values"
    mine = canonical(our_wire.content, our_wire.buffers, loose=loose)
    bokehs = canonical(their_wire.content, their_wire.buffers, loose=loose)
    assert_same(mine, bokehs)
    if not loose:  # the same wire form, not only the same values
        assert mine.value == bokehs.value
        assert mine.models == bokehs.models


def test_livedoc_document_loads_in_bokeh_with_the_same_models() -> None:
    policy = UnionRenderers()
    first = ColumnDataSource(
        {"x": np.array([1.0, 2.0]), "when": np.array(["2024-01-02", "NaT"], dtype="datetime64[D]")},
        name="first ✓",
        tags=[{"k": [1, {"n": nan}], 2: "int key"}, {1, 2}, [1.5, [inf, -inf]], "t", None],
        selection_policy=policy,
    )
    first.on_event("button_click", lambda event: None)  # subscribes: BokehJS sends the event
    second = ColumnDataSource(
        {"s": ["p", "q", "r"]}, selection_policy=policy, default_values={"s": "?"}
    )
    second.selected.indices = [0, 2]
    doc = Document(title="livedoc ✓", config=DocumentConfig(reconnect_session=False))
    doc.add_root(first)
    doc.add_root(second)
    wire = livedoc_doc_wire(doc)

    loaded = to_bokeh(wire)

    assert loaded.title == "livedoc ✓"
    assert [root.id for root in loaded.roots] == [first.id, second.id]
    # bokeh's `models` are those reachable from the roots; the config is kept apart.
    config_ids = {doc.config.id, doc.config.get("notifications").id}
    assert {model.id for model in loaded.models} == set(doc.models) - config_ids
    for model in loaded.models:
        assert model.__qualified_model__ == doc.models[model.id].model_type
    loaded_first, loaded_second = loaded.roots
    assert loaded_first.name == "first ✓"
    assert_values_equal(
        loaded_first.tags,
        [{"k": [1, {"n": nan}], 2: "int key"}, {1, 2}, [1.5, [inf, -inf]], "t", None],
    )
    assert set(loaded_first.subscribed_events) == {"button_click"}
    assert_values_equal(loaded_first.data["when"], np.array([1704153600000.0, nan]))
    # One model referenced from two places is one model in bokeh too.
    assert loaded_first.selection_policy is loaded_second.selection_policy
    assert loaded_first.selection_policy.id == policy.id
    assert loaded_second.selected.id == second.selected.id
    assert loaded_second.selected.indices == [0, 2]
    assert loaded_second.default_values == {"s": "?"}
    assert loaded.config.id == doc.config.id
    assert loaded.config.reconnect_session is False
    assert loaded.config.notifications is not None
    assert loaded.config.notifications.id == doc.config.get("notifications").id
    assert_same_documents(wire, bokeh_doc_wire(loaded))


def test_livedoc_inline_base64_document_loads_in_bokeh() -> None:
    """`to_json(binary=False)` (standalone HTML): gzip+base64 bytes that bokeh inflates."""
    doc = Document()
    doc.add_root(ColumnDataSource(start_columns()))
    content, buffers = doc.to_json(binary=False)
    assert buffers == {}

    loaded = BokehDocument.from_json(content)

    assert_values_equal(loaded.roots[0].data["x"], np.arange(5.0))
    assert_values_equal(loaded.roots[0].data["n"], np.arange(5, dtype=np.int32) * 10)
    assert_same_documents(livedoc_wire(content, {}), bokeh_doc_wire(loaded))


# -- documents built by bokeh ------------------------------------------------------------------


def test_bokeh_app_decodes_in_livedoc_and_reencodes_identically() -> None:
    original = bokeh_rich_doc()
    wire = bokeh_doc_wire(original)
    assert wire.buffers, "the app should carry binary buffers"

    doc = to_livedoc(wire)

    assert doc.title == "rich ✓"
    assert [root.id for root in doc.roots] == [root.id for root in original.roots]
    # livedoc's `models` also index the config and the document callbacks' models.
    outside_roots = {doc.config.id, doc.config.get("notifications").id}
    outside_roots |= {model.id for models in doc.js_event_callbacks.values() for model in models}
    assert set(doc.js_event_callbacks) == {"document_ready"}
    assert set(doc.models) - outside_roots == {model.id for model in original.models}
    for model in original.models:
        assert doc.models[model.id].model_type == model.__qualified_model__
    [source] = doc.select(name="source")
    assert isinstance(source, GenericModel)
    assert_values_equal(source.get("data")["x"], np.arange(5.0))
    assert_values_equal(
        source.get("data")["t"], np.array([1704067200000.0 + day * 86400000.0 for day in range(5)])
    )
    again = livedoc_doc_wire(doc)
    assert again.content["version"] == "3.9.2"
    assert_same_documents(wire, again)
    # Data model definitions and document callbacks go back unchanged.
    assert again.content["defs"] == wire.content["defs"]
    assert any(d["name"].endswith("Params") for d in again.content["defs"])
    assert "callbacks" in again.content


def test_livedoc_reencoding_of_a_bokeh_app_loads_back_into_bokeh() -> None:
    original = bokeh_rich_doc()
    wire = bokeh_doc_wire(original)

    reloaded = to_bokeh(livedoc_doc_wire(to_livedoc(wire)))

    # Equal to what bokeh makes of its own document.
    assert_same_documents(bokeh_doc_wire(to_bokeh(wire)), bokeh_doc_wire(reloaded))
    assert reloaded.title == "rich ✓"
    source = reloaded.select_one({"name": "source"})
    assert_values_equal(source.data["x"], np.arange(5.0))
    assert_values_equal(source.data["y"], np.arange(5, dtype=np.int32) ** 2)
    assert_values_equal(source.data["img"][4], np.arange(6.0).reshape(2, 3) + 4)
    assert reloaded.select_one({"name": "slider"}).value == 3
    assert tuple(reloaded.select_one({"name": "range"}).value) == (2, 4)
    assert reloaded.select_one({"name": "date"}).value == "2024-01-02"
    assert set(reloaded.select_one({"name": "button"}).subscribed_events) == {"button_click"}
    table = reloaded.select_one({"name": "table"})
    assert table.source is source
    params = reloaded.select_one({"name": "params"})
    assert isinstance(params, params_class())
    assert params.amplitude == 3


def test_bokeh_inline_base64_document_decodes_in_livedoc() -> None:
    """bokeh's `to_json(deferred=False)` inlines gzip+base64 bytes instead of buffers."""
    original = bokeh_rich_doc()
    inline = json.loads(json.dumps(original.to_json(deferred=False)))  # as embedded in HTML

    doc = Document.from_json(inline, generic=True)

    assert_same_documents(bokeh_doc_wire(original), livedoc_doc_wire(doc))


def test_typed_livedoc_decodes_a_bokeh_source_document() -> None:
    original = bokeh_source_doc()
    wire = bokeh_doc_wire(original)

    doc = to_livedoc(wire, generic=False)

    [source] = doc.roots
    assert isinstance(source, ColumnDataSource)
    assert source.id == original.roots[0].id
    assert isinstance(source.selected, Selection)
    assert source.selected.id == original.roots[0].selected.id
    assert isinstance(source.selection_policy, UnionRenderers)
    assert isinstance(doc.config, DocumentConfig)
    assert source.column_names == ["x", "n", "s", "img"]
    assert_values_equal(source.data["x"], np.arange(5.0))
    assert_values_equal(source.data["n"], np.arange(5, dtype=np.int32) * 10)
    assert_values_equal(source.data["s"], ["a", "b", "c", "d", "e"])
    assert_values_equal(source.data["img"], start_columns()["img"])
    assert_same_documents(wire, livedoc_doc_wire(doc))


def test_typed_livedoc_refuses_bokeh_models_it_does_not_have() -> None:
    """A bokeh DataModel subclass is the app's own class: typed decoding names it."""
    doc = BokehDocument()
    doc.add_root(params_class()(amplitude=3))
    with pytest.raises(DeserializationError, match=r"unknown model type '[\w.]*Params'"):
        to_livedoc(bokeh_doc_wire(doc), generic=False)


def test_typed_livedoc_decodes_bokeh_plots_and_widgets_into_catalog_models() -> None:
    """A bokeh figure, widgets and a layout decode into livedoc's typed catalog models."""
    from bokeh.layouts import column
    from bokeh.models import Slider as BokehSlider
    from bokeh.plotting import figure as bokeh_figure

    plot = bokeh_figure(title="typed", x_axis_type="datetime", tools="pan,wheel_zoom,hover")
    plot.line([1, 2, 3], [4, 5, 6], line_width=3)
    doc = BokehDocument()
    doc.add_root(column(plot, BokehSlider(start=0, end=5, value=2, title="s")))
    livedoc_doc = to_livedoc(bokeh_doc_wire(doc), generic=False)
    [layout] = livedoc_doc.roots
    figure_model, slider = layout.children
    assert not isinstance(figure_model, GenericModel)
    assert figure_model.model_type == "Figure"
    assert figure_model.title.text == "typed"
    assert figure_model.renderers[0].glyph.line_width == 3
    assert (slider.model_type, slider.value, slider.end) == ("Slider", 2, 5)


def test_typed_livedoc_decodes_bokehs_rich_document_except_the_apps_own_data_model() -> None:
    """Plots of many glyph kinds, tools, widgets, a DataTable, tabs, JS callbacks: every model
    bokeh 3.9.2 sends is in livedoc's generated catalog (only the app's DataModel is not)."""
    doc = bokeh_rich_doc()
    for root in list(doc.roots):
        if isinstance(root, params_class()):
            doc.remove_root(root)
    livedoc_doc = to_livedoc(bokeh_doc_wire(doc), generic=False)
    types = {model.model_type for model in livedoc_doc.models.values()}
    assert {"DataTable", "TableColumn", "HoverTool", "Tabs", "Figure"} <= types
    assert not any(isinstance(model, GenericModel) for model in livedoc_doc.models.values())
