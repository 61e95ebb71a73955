from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from livedoc.document import (
    Document,
    DocumentChangedEvent,
    GenericModel,
    ModelChangedEvent,
    RootAddedEvent,
    RootRemovedEvent,
    SessionCallbackAdded,
    SessionCallbackRemoved,
    TitleChangedEvent,
    unlocked,
)
from livedoc.document.events import ColumnsStreamedEvent
from livedoc.document.ui_events import ButtonClick, DocumentReady
from livedoc.errors import DeserializationError, ValidationError
from livedoc.models import ColumnDataSource, Selection


def recorder(doc: Document) -> list[DocumentChangedEvent]:
    events: list[DocumentChangedEvent] = []
    doc.on_change(events.append)
    return events


def test_roots_index_every_reachable_model() -> None:
    doc = Document()
    source = ColumnDataSource(data={"x": [1]})
    doc.add_root(source)
    assert doc.roots == (source,)
    assert doc.get_model_by_id(source.id) is source
    assert doc.get_model_by_id(source.selected.id) is source.selected
    assert doc.get_model_by_id(doc.config.id) is doc.config
    assert source.document is doc
    assert source.selected.document is doc
    doc.remove_root(source)
    assert doc.get_model_by_id(source.id) is None
    assert source.document is None
    assert source.selected.document is None


def test_models_enter_and_leave_with_attribute_changes() -> None:
    doc = Document()
    holder = GenericModel("Holder", "h")
    doc.add_root(holder)
    child = GenericModel("Child", "c")
    holder.set("children", [child])
    assert doc.get_model_by_id("c") is child
    holder.set("children", [])
    assert doc.get_model_by_id("c") is None
    assert child.document is None


def test_add_and_remove_root_emit_events_with_setter() -> None:
    doc = Document()
    events = recorder(doc)
    div = GenericModel("Div", "d")
    doc.add_root(div, setter="client-1")
    doc.add_root(div)  # already a root: nothing happens
    doc.remove_root(div)
    assert [type(e) for e in events] == [RootAddedEvent, RootRemovedEvent]
    assert events[0].setter == "client-1"
    with pytest.raises(ValueError, match="not a root"):
        doc.remove_root(div)
    with pytest.raises(ValidationError, match="must be a model"):
        doc.add_root("not a model")  # type: ignore[arg-type]


def test_title_changes() -> None:
    doc = Document()
    events = recorder(doc)
    assert doc.title == "Bokeh Application"
    doc.title = "new"
    doc.title = "new"
    assert [e.title for e in events if isinstance(e, TitleChangedEvent)] == ["new"]
    with pytest.raises(ValidationError):
        doc.title = 5  # type: ignore[assignment]


def test_attribute_changes_reach_listeners_then_model_callbacks() -> None:
    doc = Document()
    source = ColumnDataSource()
    doc.add_root(source)
    order: list[str] = []
    doc.on_change(lambda event: order.append(f"listener:{type(event).__name__}"))
    source.selected.on_change(
        "indices", lambda attr, old, new: order.append(f"callback:{old}->{new}")
    )
    source.selected.indices = [1, 2]
    assert order == ["listener:ModelChangedEvent", "callback:[]->[1, 2]"]


def test_hold_batches_and_merges_consecutive_events() -> None:
    doc = Document()
    source = ColumnDataSource(data={"x": np.arange(3.0)})
    doc.add_root(source)
    events = recorder(doc)
    with doc.held():
        source.selected.indices = [1]
        source.selected.indices = [2]
        source.stream({"x": [3.0]})
        source.stream({"x": [4.0, 5.0]})
        assert events == []
    kinds = [type(e) for e in events]
    assert kinds == [ModelChangedEvent, ColumnsStreamedEvent]
    changed, streamed = events
    assert isinstance(changed, ModelChangedEvent)
    assert changed.new == [2]
    assert isinstance(streamed, ColumnsStreamedEvent)
    assert list(streamed.data["x"]) == [3.0, 4.0, 5.0]
    with pytest.raises(RuntimeError, match="without a matching hold"):
        doc.unhold()


def test_held_stream_with_rollover_merges_to_the_same_result() -> None:
    doc = Document()
    source = ColumnDataSource(data={"x": [0, 1]})
    doc.add_root(source)
    replica = Document.from_json(*doc.to_json(), generic=True)
    events = recorder(doc)
    with doc.held():
        source.stream({"x": [2, 3]}, rollover=3)
        source.stream({"x": [4, 5, 6, 7]}, rollover=3)
    assert len(events) == 1
    replica.apply_json_patch(*doc.create_json_patch(events))  # type: ignore[arg-type]
    assert replica.roots[0].get("data")["x"] == [5, 6, 7] == source.data["x"]


def test_model_changed_events_snapshot_dict_values() -> None:
    doc = Document()
    holder = GenericModel("Holder", "h")
    doc.add_root(holder)
    events = recorder(doc)
    value = {"a": 1}
    holder.set("mapping", value)
    value["a"] = 2  # a later in-place edit must not rewrite what the event carries
    assert isinstance(events[0], ModelChangedEvent)
    assert events[0].new == {"a": 1}


def test_listener_failures_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    doc = Document()
    doc.on_change(lambda event: 1 / 0)
    doc.title = "still works"
    assert doc.title == "still works"
    assert "ZeroDivisionError" in caplog.text


def test_session_callbacks_are_registered_and_announced() -> None:
    doc = Document()
    events = recorder(doc)

    def tick() -> None:
        pass

    @unlocked
    def slow_work() -> None:
        pass

    periodic = doc.add_periodic_callback(tick, 100)
    once = doc.add_timeout_callback(tick, 50)
    soon = doc.add_next_tick_callback(slow_work)
    assert doc.session_callbacks == (periodic, once, soon)
    assert (periodic.kind, periodic.period_ms, once.period_ms, soon.kind) == (
        "periodic",
        100,
        50,
        "next_tick",
    )
    assert periodic.needs_lock
    assert not soon.needs_lock
    doc.remove_periodic_callback(periodic)
    doc.callback_done(once)
    assert doc.session_callbacks == (soon,)
    assert [type(e) for e in events] == [SessionCallbackAdded] * 3 + [SessionCallbackRemoved]
    with pytest.raises(ValueError, match="not registered"):
        doc.remove_callback(periodic)
    with pytest.raises(ValueError, match="period above 0"):
        doc.add_periodic_callback(tick, 0)
    with pytest.raises(TypeError, match="callable"):
        doc.add_next_tick_callback(5)  # type: ignore[arg-type]


def test_callbacks_added_while_held_are_announced_at_once() -> None:
    doc = Document()
    events = recorder(doc)
    with doc.held():
        doc.add_next_tick_callback(lambda: None)
        assert [type(e) for e in events] == [SessionCallbackAdded]


def test_ui_events_reach_model_and_document_callbacks() -> None:
    doc = Document()
    button = GenericModel("Button", "b")
    doc.add_root(button)
    clicks: list[Any] = []
    ready: list[Any] = []
    button.on_event("button_click", clicks.append)
    doc.on_event(DocumentReady, lambda: ready.append(True))  # zero-argument callbacks work too
    doc.trigger_event(ButtonClick({"model": button}))
    doc.trigger_event(DocumentReady())
    assert len(clicks) == 1
    assert clicks[0].model is button
    assert ready == [True]
    assert button.get("subscribed_events") == {"button_click"}


def test_to_json_has_what_bokeh_clients_require() -> None:
    doc = Document(title="t")
    doc.add_root(ColumnDataSource(data={"x": [1.0]}))
    doc_json, buffers = doc.to_json()
    assert doc_json["version"] == "3.9.2"
    assert doc_json["title"] == "t"
    assert doc_json["config"]["name"] == "DocumentConfig"
    assert doc_json["roots"][0]["name"] == "ColumnDataSource"
    assert buffers == {}


def test_from_json_generic_keeps_unknown_model_types() -> None:
    doc_json = {
        "title": "x",
        "roots": [
            {
                "type": "object",
                "name": "ThirdPartyKnob",
                "id": "s",
                "attributes": {"value": 3, "start": 0},
            }
        ],
    }
    doc = Document.from_json(doc_json, generic=True)
    [slider] = doc.roots
    assert (slider.model_type, slider.get("value")) == ("ThirdPartyKnob", 3)
    again, _ = doc.to_json()
    assert again["roots"] == doc_json["roots"]
    with pytest.raises(DeserializationError, match="unknown model type 'ThirdPartyKnob'"):
        Document.from_json(doc_json)


@pytest.mark.parametrize(
    ("doc_json", "message"),
    [
        ([], "JSON object"),
        ({"roots": {}}, "'roots', a list"),
        ({"roots": [1]}, "root 0 must be a model"),
        ({"roots": [], "title": 1}, "title"),
        ({"roots": [], "defs": {}}, "defs"),
        ({"roots": [], "config": 1}, "'config' must be a model"),
        ({"roots": [], "callbacks": [1]}, "callbacks"),
        ({"roots": [], "callbacks": {"type": "map", "entries": [["x", 1]]}}, "callbacks"),
        (
            {"roots": [{"type": "object", "name": "A", "id": "a"}, {"id": "a"}]},
            "same root twice",
        ),
    ],
)
def test_malformed_documents_are_refused(doc_json: Any, message: str) -> None:
    with pytest.raises(DeserializationError, match=message):
        Document.from_json(doc_json, generic=True)


def test_replace_with_json_validates_then_swaps_everything() -> None:
    doc = Document(title="old", generic=True)
    old_root = GenericModel("Div", "old")
    doc.add_root(old_root)
    events = recorder(doc)
    pushed = {
        "title": "new",
        "roots": [{"type": "object", "name": "Div", "id": "new", "attributes": {"text": "hi"}}],
    }
    with pytest.raises(DeserializationError):
        doc.replace_with_json({"roots": {}})
    assert doc.roots == (old_root,)
    doc.replace_with_json(pushed, setter="pusher")
    assert [root.id for root in doc.roots] == ["new"]
    assert doc.title == "new"
    assert old_root.document is None
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["RootRemovedEvent", "RootAddedEvent", "TitleChangedEvent"]
    assert all(e.setter == "pusher" for e in events)


def test_patches_send_new_models_in_full_once() -> None:
    doc = Document()
    holder = GenericModel("Holder", "h")
    doc.add_root(holder)
    doc.to_json()  # a peer pulled the document: it knows every model so far
    events = recorder(doc)
    child = GenericModel("Child", "c", {"v": 1})
    holder.set("child", child)
    holder.set("again", child)
    content, _ = doc.create_json_patch(events)  # type: ignore[arg-type]
    first, second = content["events"]
    assert first["new"] == {"type": "object", "name": "Child", "id": "c", "attributes": {"v": 1}}
    assert second["new"] == {"id": "c"}
    later, _ = doc.create_json_patch([RootAddedEvent(model=child)])
    assert later["events"][0]["model"] == {"id": "c"}


def test_select_by_name_and_type() -> None:
    doc = Document()
    source = ColumnDataSource(name="prices")
    doc.add_root(source)
    assert doc.select(name="prices") == [source]
    assert doc.select(model_type="Selection") == [source.selected]
    assert isinstance(doc.select(model_type="Selection")[0], Selection)
    assert "1 roots" in repr(doc)


def test_clear_models_view_and_listener_removal() -> None:
    doc = Document()
    events = recorder(doc)
    doc.add_root(GenericModel("A", "a"))
    doc.add_root(GenericModel("B", "b"))
    assert set(doc.models) >= {"a", "b"}
    with pytest.raises(TypeError):
        doc.models["c"] = GenericModel("C", "c")  # type: ignore[index]
    doc.remove_on_change(events.append)
    doc.clear()
    assert doc.roots == ()
    assert len(events) == 2  # the clear happened after the listener left


def test_document_level_js_callbacks_and_defs_are_kept_and_resent() -> None:
    doc_json = {
        "title": "x",
        "roots": [],
        "defs": [
            {
                "type": "model",
                "name": "my.Params",
                "properties": [{"name": "a", "kind": "Any", "default": 1}],
            }
        ],
        "callbacks": {
            "type": "map",
            "entries": [
                [
                    "document_ready",
                    [
                        {
                            "type": "object",
                            "name": "CustomJS",
                            "id": "js",
                            "attributes": {"code": "1"},
                        }
                    ],
                ]
            ],
        },
    }
    doc = Document.from_json(doc_json, generic=True)
    assert doc.get_model_by_id("js") is not None
    again, _ = doc.to_json()
    assert again["defs"] == doc_json["defs"]
    assert again["callbacks"] == doc_json["callbacks"]


def test_send_event_goes_to_the_browser_as_a_message() -> None:
    doc = Document()
    events = recorder(doc)
    doc.send_event(DocumentReady())
    content, _ = doc.create_json_patch(events)  # type: ignore[arg-type]
    assert content["events"] == [
        {
            "kind": "MessageSent",
            "msg_type": "bokeh_event",
            "msg_data": {"type": "event", "name": "document_ready", "values": {"type": "map"}},
        }
    ]
    with pytest.raises(ValueError, match="at least one callback"):
        doc.on_event("document_ready")


def test_negative_delays_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Document().add_timeout_callback(lambda: None, -1)


def test_changes_to_a_model_the_peer_does_not_know_yet_ride_in_its_full_rep() -> None:
    doc = Document()
    doc.to_json()
    events = recorder(doc)
    with doc.held():
        source = ColumnDataSource(data={"x": [1]})
        doc.add_root(source)
        source.stream({"x": [2]})
        source.selected.indices = [0]
    content, _ = doc.create_json_patch(events)  # type: ignore[arg-type]
    [added] = content["events"]
    assert added["kind"] == "RootAdded"
    assert added["model"]["attributes"]["data"] == {"type": "map", "entries": [["x", [1, 2]]]}
    source.stream({"x": [3]})  # now known: changes travel as events again
    later, _ = doc.create_json_patch(events[-1:])  # type: ignore[arg-type]
    assert [event["kind"] for event in later["events"]] == ["ColumnsStreamed"]


def test_get_model_by_name_finds_one_model_or_none() -> None:
    doc = Document()
    doc.add_root(ColumnDataSource(name="a"))
    doc.add_root(ColumnDataSource(name="b"))
    doc.add_root(ColumnDataSource(name="b"))
    assert doc.get_model_by_name("a").name == "a"
    assert doc.get_model_by_name("missing") is None
    with pytest.raises(ValueError, match="2 models are named 'b'"):
        doc.get_model_by_name("b")
