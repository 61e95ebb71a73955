"""Applying PATCH-DOC content: every event kind, echo tagging, and all-or-nothing application."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from livedoc.document import Document, DocumentChangedEvent, DocumentPatchedEvent, GenericModel
from livedoc.errors import PatchError
from livedoc.models import ColumnDataSource
from livedoc.protocol import wirejson

SESSION = object()


def make_doc() -> tuple[Document, ColumnDataSource, GenericModel]:
    doc = Document()
    source = ColumnDataSource(data={"x": np.arange(4.0), "name": list("abcd")})
    button = GenericModel("Button", "btn", {"label": "go"})
    doc.add_root(source)
    doc.add_root(button)
    return doc, source, button


def state(doc: Document) -> str:
    """The whole document as canonical text, buffers included."""
    doc_json, buffers = doc.to_json()
    return wirejson.dumps(doc_json) + "".join(
        f"|{key}:{bytes(value).hex()}" for key, value in buffers.items()
    )


def recorder(doc: Document) -> list[DocumentChangedEvent]:
    events: list[DocumentChangedEvent] = []
    doc.on_change(events.append)
    return events


def ref(model: Any) -> dict[str, str]:
    return {"id": model.id}


def test_model_changed_is_validated_applied_and_tagged_with_the_setter() -> None:
    doc, source, button = make_doc()
    events = recorder(doc)
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "ModelChanged",
                    "model": ref(source.selected),
                    "attr": "indices",
                    "new": [1, 2],
                },
                {"kind": "ModelChanged", "model": ref(button), "attr": "label", "new": "stop"},
            ]
        },
        setter=SESSION,
    )
    assert source.selected.indices == [1, 2]
    assert button.get("label") == "stop"
    assert [event.setter for event in events] == [SESSION, SESSION]


def test_column_events_apply_like_local_operations() -> None:
    doc, source, _ = make_doc()
    x = np.array([4.0, 5.0])
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "ColumnsStreamed",
                    "model": ref(source),
                    "attr": "data",
                    "data": {
                        "type": "map",
                        "entries": [
                            [
                                "x",
                                {
                                    "type": "ndarray",
                                    "array": {"type": "bytes", "data": {"id": "0"}},
                                    "shape": [2],
                                    "dtype": "float64",
                                    "order": "little",
                                },
                            ],
                            ["name", ["e", "f"]],
                        ],
                    },
                    "rollover": 5,
                },
                {
                    "kind": "ColumnsPatched",
                    "model": ref(source),
                    "attr": "data",
                    "patches": {
                        "type": "map",
                        "entries": [
                            [
                                "x",
                                [
                                    [0, 100.0],
                                    [
                                        {"type": "slice", "start": 1, "stop": 3, "step": None},
                                        [7.0, 8.0],
                                    ],
                                ],
                            ]
                        ],
                    },
                },
                {
                    "kind": "ColumnDataChanged",
                    "model": ref(source),
                    "attr": "data",
                    "data": {"type": "map", "entries": [["name", ["p", "q", "r", "s", "t"]]]},
                    "cols": ["name"],
                },
            ]
        },
        {"0": x.tobytes()},
    )
    assert source.data["x"].tolist() == [100.0, 7.0, 8.0, 4.0, 5.0]
    assert source.data["name"] == ["p", "q", "r", "s", "t"]


def test_roots_title_and_messages() -> None:
    doc, source, button = make_doc()
    clicks: list[Any] = []
    button.on_event("button_click", clicks.append)
    doc.apply_json_patch(
        {
            "events": [
                {"kind": "RootRemoved", "model": ref(source)},
                {
                    "kind": "RootAdded",
                    "model": {
                        "type": "object",
                        "name": "ColumnDataSource",
                        "id": "new",
                        "attributes": {"data": {"type": "map", "entries": [["v", [1]]]}},
                    },
                },
                {"kind": "TitleChanged", "title": "patched"},
                {
                    "kind": "MessageSent",
                    "msg_type": "bokeh_event",
                    "msg_data": {
                        "type": "event",
                        "name": "button_click",
                        "values": {"type": "map", "entries": [["model", ref(button)]]},
                    },
                },
            ]
        }
    )
    assert [root.id for root in doc.roots] == ["btn", "new"]
    assert isinstance(doc.roots[1], ColumnDataSource)
    assert doc.roots[1].data == {"v": [1]}
    assert doc.title == "patched"
    assert len(clicks) == 1
    assert clicks[0].model is button


def test_other_messages_go_to_message_callbacks() -> None:
    doc, _, _ = make_doc()
    received: list[Any] = []
    doc.on_message("custom", received.append)
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "MessageSent",
                    "msg_type": "custom",
                    "msg_data": {"type": "map", "entries": [["a", 1]]},
                }
            ]
        }
    )
    assert received == [{"a": 1}]


def test_later_events_see_what_earlier_events_of_the_same_patch_did() -> None:
    doc, source, _ = make_doc()
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "ColumnsPatched",
                    "model": ref(source),
                    "attr": "data",
                    "patches": {"type": "map", "entries": [["x", [[0, -1.0]]]]},
                },
                {
                    "kind": "ColumnsStreamed",
                    "model": ref(source),
                    "attr": "data",
                    "data": {"type": "map", "entries": [["x", [4.0]], ["name", ["e"]]]},
                    "rollover": None,
                },
                {
                    "kind": "ColumnsPatched",
                    "model": ref(source),
                    "attr": "data",
                    "patches": {"type": "map", "entries": [["x", [[4, 40.0]]]]},
                },
            ]
        }
    )
    assert source.data["x"].tolist() == [-1.0, 1.0, 2.0, 3.0, 40.0]


def test_a_new_data_value_then_a_stream_in_one_patch() -> None:
    doc, source, _ = make_doc()
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "ModelChanged",
                    "model": ref(source),
                    "attr": "data",
                    "new": {"type": "map", "entries": [["k", [1]]]},
                },
                {
                    "kind": "ColumnsStreamed",
                    "model": ref(source),
                    "attr": "data",
                    "data": {"type": "map", "entries": [["k", [2]]]},
                    "rollover": None,
                },
            ]
        }
    )
    assert source.data == {"k": [1, 2]}


def test_new_models_are_usable_by_later_events_of_the_same_patch() -> None:
    doc, _, _ = make_doc()
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "RootAdded",
                    "model": {"type": "object", "name": "ColumnDataSource", "id": "fresh"},
                },
                {
                    "kind": "ColumnsStreamed",
                    "model": {"id": "fresh"},
                    "attr": "data",
                    "data": {"type": "map", "entries": [["v", [1, 2]]]},
                    "rollover": None,
                },
            ]
        }
    )
    fresh = doc.get_model_by_id("fresh")
    assert isinstance(fresh, ColumnDataSource)
    assert fresh.data == {"v": [1, 2]}


BAD_EVENTS = [
    ({"kind": "Bogus"}, "unknown patch event kind 'Bogus'"),
    ("not an event", "unknown patch event kind None"),
    (
        {"kind": "ModelChanged", "model": {"id": "ghost"}, "attr": "x", "new": 1},
        "unknown model 'ghost'",
    ),
    ({"kind": "ModelChanged", "model": "btn", "attr": "x", "new": 1}, "reference"),
    (
        {"kind": "ModelChanged", "model": {"id": "btn"}, "attr": 5, "new": 1},
        "'attr' must be a string",
    ),
    ({"kind": "ModelChanged", "model": {"id": "btn"}, "attr": "label"}, "needs 'new'"),
    (
        {"kind": "ModelChanged", "model": {"id": "SRC"}, "attr": "nosuch", "new": 1},
        "has no property 'nosuch'",
    ),
    (
        {"kind": "ModelChanged", "model": {"id": "SEL"}, "attr": "indices", "new": ["a"]},
        "Selection.indices",
    ),
    (
        {
            "kind": "ColumnsStreamed",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": {"type": "map", "entries": [["x", [1.0]]]},
            "rollover": None,
        },
        "missing",
    ),
    (
        {
            "kind": "ColumnsStreamed",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": {"type": "map", "entries": [["x", [1.0]], ["name", ["z"]]]},
            "rollover": -5,
        },
        "at least 1",
    ),
    (
        {
            "kind": "ColumnsStreamed",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": [1],
            "rollover": None,
        },
        "map of column names",
    ),
    (
        {
            "kind": "ColumnsStreamed",
            "model": {"id": "btn"},
            "attr": "label",
            "data": {"type": "map"},
            "rollover": None,
        },
        "not column data",
    ),
    (
        {
            "kind": "ColumnsPatched",
            "model": {"id": "SRC"},
            "attr": "data",
            "patches": {"type": "map", "entries": [["x", [[5, 1.0]]]]},
        },
        "index 5 is outside 0..4",
    ),  # the stream before made 5 rows
    (
        {
            "kind": "ColumnsPatched",
            "model": {"id": "SRC"},
            "attr": "data",
            "patches": {
                "type": "map",
                "entries": [
                    ["x", [[{"type": "slice", "start": 0, "stop": 2, "step": None}, [1.0]]]]
                ],
            },
        },
        "selects 2 rows",
    ),
    (
        {
            "kind": "ColumnDataChanged",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": {"type": "map", "entries": [["x", [1]]]},
            "cols": ["x", "y"],
        },
        "does not carry",
    ),
    (
        {
            "kind": "ColumnDataChanged",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": {"type": "map", "entries": [["x", [1]]]},
            "cols": ["x"],
        },
        "same length",
    ),
    (
        {
            "kind": "ColumnDataChanged",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": {"type": "map", "entries": [["x", [1]], ["y", [1, 2]]]},
            "cols": None,
        },
        "same length",
    ),
    (
        {
            "kind": "ColumnDataChanged",
            "model": {"id": "SRC"},
            "attr": "data",
            "data": {"type": "map"},
            "cols": "x",
        },
        "'cols'",
    ),
    ({"kind": "RootAdded", "model": 5}, "must be a model"),
    ({"kind": "RootRemoved", "model": {"id": "SEL"}}, "not a root"),
    ({"kind": "TitleChanged", "title": None}, "'title' must be a string"),
    ({"kind": "MessageSent", "msg_type": 1}, "'msg_type'"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_EVENTS)
def test_a_bad_event_anywhere_leaves_the_document_unchanged(bad: Any, message: str) -> None:
    doc, source, button = make_doc()
    text = (
        json.dumps(bad)
        .replace('"SRC"', json.dumps(source.id))
        .replace('"SEL"', json.dumps(source.selected.id))
    )
    good_first = [
        {"kind": "ModelChanged", "model": ref(button), "attr": "label", "new": "changed"},
        {
            "kind": "ColumnsStreamed",
            "model": ref(source),
            "attr": "data",
            "data": {"type": "map", "entries": [["x", [9.0]], ["name", ["z"]]]},
            "rollover": None,
        },
        {
            "kind": "ColumnsPatched",
            "model": ref(source),
            "attr": "data",
            "patches": {"type": "map", "entries": [["x", [[0, 5.0]]]]},
        },
        {
            "kind": "RootAdded",
            "model": {"type": "object", "name": "ColumnDataSource", "id": "extra"},
        },
        {"kind": "TitleChanged", "title": "changed"},
    ]
    before = state(doc)
    events = recorder(doc)
    calls: list[Any] = []
    source.on_change("data", lambda *args: calls.append(args))
    with pytest.raises(PatchError, match=message) as caught:
        doc.apply_json_patch({"events": [*good_first, json.loads(text)]})
    assert "event 5" in str(caught.value)
    assert state(doc) == before
    assert events == []
    assert calls == []
    assert source.data["x"].tolist() == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("content", [None, [], {}, {"events": {}}])
def test_patch_content_must_have_an_events_list(content: Any) -> None:
    doc, _, _ = make_doc()
    with pytest.raises(PatchError, match="'events', a list"):
        doc.apply_json_patch(content)


def test_a_patch_produced_by_one_document_applies_to_its_replica() -> None:
    doc, source, button = make_doc()
    replica = Document.from_json(*doc.to_json(), generic=True)
    events: list[DocumentPatchedEvent] = []
    doc.on_change(
        lambda event: events.append(event) if isinstance(event, DocumentPatchedEvent) else None
    )
    source.stream({"x": np.array([4.0]), "name": ["e"]}, rollover=4)
    source.patch({"x": [(0, -1.0)]})
    button.set("label", "stop")
    doc.add_root(GenericModel("Div", "late", {"text": "hi"}))
    doc.remove_root(button)
    doc.title = "synced"
    content, buffers = doc.create_json_patch(events)
    wire = json.loads(wirejson.dumps(content))
    replica.apply_json_patch(wire, {key: bytes(value) for key, value in buffers.items()})
    assert state(replica) == state(doc)


def test_patches_copy_the_callers_array_once_then_write_in_place() -> None:
    doc = Document()
    column = np.arange(4.0)
    source = ColumnDataSource(data={"x": column})
    doc.add_root(source)
    seen: list[tuple[Any, Any]] = []
    source.on_change("data", lambda attr, old, new: seen.append((old["x"], new["x"])))
    patch = {"type": "map", "entries": [["x", [[0, 7.0]]]]}
    doc.apply_json_patch(
        {
            "events": [
                {"kind": "ColumnsPatched", "model": ref(source), "attr": "data", "patches": patch}
            ]
        }
    )
    assert column.tolist() == [0.0, 1.0, 2.0, 3.0]  # the caller's array is never written
    private = source.data["x"]
    assert private.tolist() == [7.0, 1.0, 2.0, 3.0]
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "ColumnsPatched",
                    "model": ref(source),
                    "attr": "data",
                    "patches": {"type": "map", "entries": [["x", [[1, 8.0]]]]},
                },
                {
                    "kind": "ColumnsPatched",
                    "model": ref(source),
                    "attr": "data",
                    "patches": {"type": "map", "entries": [["x", [[2, 9.0]]]]},
                },
            ]
        }
    )
    assert source.data["x"] is private  # livedoc's own copy is patched where it lies
    assert private.tolist() == [7.0, 8.0, 9.0, 3.0]
    assert len(seen) == 3
    assert seen[0][0] is column


def test_patching_a_received_read_only_column_copies_it_once() -> None:
    doc = Document.from_json(
        {
            "roots": [
                {
                    "type": "object",
                    "name": "ColumnDataSource",
                    "id": "s",
                    "attributes": {
                        "data": {
                            "type": "map",
                            "entries": [
                                [
                                    "x",
                                    {
                                        "type": "ndarray",
                                        "array": {"type": "bytes", "data": {"id": "0"}},
                                        "shape": [3],
                                        "dtype": "float64",
                                        "order": "little",
                                    },
                                ]
                            ],
                        }
                    },
                }
            ]
        },
        {"0": np.zeros(3).tobytes()},
    )
    [source] = doc.roots
    assert isinstance(source, ColumnDataSource)
    assert not source.data["x"].flags.writeable
    doc.apply_json_patch(
        {
            "events": [
                {
                    "kind": "ColumnsPatched",
                    "model": {"id": "s"},
                    "attr": "data",
                    "patches": {"type": "map", "entries": [["x", [[2, 5.0]]]]},
                }
            ]
        }
    )
    assert source.data["x"].tolist() == [0.0, 0.0, 5.0]
