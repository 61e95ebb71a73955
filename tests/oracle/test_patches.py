"""PATCH-DOC events cross between livedoc and bokeh 3.9.2 and leave identical documents.

For each kind of change (the seven column operations, ModelChanged, RootAdded with a new model
in full, RootRemoved, TitleChanged, MessageSent) and for a typed livedoc document as well as a
schema-agnostic one hosting a bokeh app:

(a) the change made in livedoc, sent as `create_json_patch`, applies in bokeh's
    `Document.apply_json_patch`, and bokeh's document then equals livedoc's;
(b) the change made in bokeh, sent as the bokeh server sends it (one PATCH-DOC per event),
    applies in livedoc's `apply_json_patch`, and livedoc's document then equals bokeh's; the
    events livedoc emits while applying it, relayed to a second bokeh peer, bring that peer to
    the same document too (a server forwarding one client's change to the others).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from bokeh.events import ButtonClick as BokehButtonClick, DocumentReady as BokehDocumentReady
from bokeh.models import (
    ColumnDataSource as BokehSource,
    Div as BokehDiv,
    HoverTool as BokehHoverTool,
    IntersectRenderers as BokehIntersect,
    Range1d as BokehRange1d,
)

from livedoc.document import BaseModel, Document, GenericModel, column_source
from livedoc.document.ui_events import ButtonClick, DocumentReady
from livedoc.models import ColumnDataSource, IntersectRenderers

from ._bridge import (
    BokehPatches,
    Canonical,
    LivedocPatches,
    Wire,
    apply_to_bokeh,
    apply_to_livedoc,
    assert_patch_well_formed,
    assert_same,
    assert_same_documents,
    bokeh_doc_wire,
    canonical,
    livedoc_doc_wire,
    to_bokeh,
    to_livedoc,
)
from ._scenes import bokeh_app_doc, bokeh_source_doc, livedoc_source_doc

if TYPE_CHECKING:
    from collections.abc import Callable

    from bokeh.document import Document as BokehDocument

pytestmark = pytest.mark.oracle

nan = math.nan


class Client:
    """Stands for the connection a patch came from (the `setter` of the changes it causes)."""


# -- the changes, made the livedoc way and the bokeh way ----------------------------------------


def _named(doc: Document, name: str) -> BaseModel:
    [model] = doc.select(name=name)
    return model


def _bokeh_named(doc: BokehDocument, name: str) -> Any:
    return doc.select_one({"name": name})


def _length(doc: Document) -> int:
    source = _named(doc, "source")
    return len(source.get("data")["x"])


def _columns(doc: Document, operation: str, *args: Any) -> None:
    """A column operation on the source: the typed model's method, or on a generic model the
    `column_source` function that the method calls."""
    source = _named(doc, "source")
    if isinstance(source, ColumnDataSource):
        if operation == "replace_all":
            source.data = args[0]
        else:
            getattr(source, operation)(*args)
    else:
        function = {"update_columns": "replace_columns", "remove_columns": "delete_columns"}
        getattr(column_source, function.get(operation, operation))(source, *args)


@dataclass(frozen=True)
class Change:
    name: str
    livedoc: Callable[[Document], None]
    bokeh: Callable[[BokehDocument], None]
    #: A ColumnDataChanged listing `cols`. BokehJS and livedoc merge those columns into the
    #: data; Python bokeh's `apply_json_patch` replaces all data with them (even for bokeh's own
    #: patches), so a Python bokeh receiver is compared with one that got bokeh's own patch.
    partial: bool = False

    def __str__(self) -> str:
        return self.name


def _new_columns(length: int) -> dict[str, Any]:
    return {"z": np.linspace(0.5, 9.5, length), "w": [f"w{i}" for i in range(length)]}


def _some_columns(length: int) -> dict[str, Any]:
    return {"x": np.arange(length) * 1.5, "s": [f"s{i}" for i in range(length)]}


# Fresh values for every use: sources keep the arrays they are given, and patches write into them.
def _replacement() -> dict[str, Any]:
    return {"a": np.array([1.0, nan]), "b": ["p", "q"]}


def _row() -> dict[str, Any]:
    return {
        "x": np.array([5.0]),
        "n": np.array([50]),
        "s": np.array(["f"]),  # NumPy strings: an "object" ndarray on the wire
        "img": [np.full((2, 3), 7.0)],
    }


def _rows() -> dict[str, Any]:
    return {
        "x": [5.5, -math.inf, nan],
        "n": [60, 70, 80],
        "s": ["g", "h", "i"],
        "img": [np.zeros((2, 3)) for _ in range(3)],
    }


def _patches() -> dict[str, Any]:
    return {
        "x": [(0, 100.0), (slice(1, 3), [20.0, 30.0])],
        "n": [(slice(0, 5, 2), [1, 2, 3])],
        "s": [(4, "Z"), (slice(0, 2), ["P", "Q"])],
        "img": [
            (0, np.ones((2, 3))),  # a whole image
            ((1, slice(0, 2), 1), [70.0, 80.0]),  # 2-D index with a slice
            ((2, 1, 2), 99.0),  # 2-D index, one pixel
        ],
    }


COLUMN_CHANGES = [
    Change(
        "create-columns",
        lambda doc: _columns(doc, "add_columns", _new_columns(_length(doc))),
        lambda doc: _bokeh_named(doc, "source").data.update(
            _new_columns(len(_bokeh_named(doc, "source").data["x"]))
        ),
        partial=True,
    ),
    Change(
        "replace-all-columns",
        lambda doc: _columns(doc, "replace_all", _replacement()),
        lambda doc: setattr(_bokeh_named(doc, "source"), "data", _replacement()),
    ),
    Change(
        "replace-some-columns",
        lambda doc: _columns(doc, "update_columns", _some_columns(_length(doc))),
        lambda doc: _bokeh_named(doc, "source").data.update(
            _some_columns(len(_bokeh_named(doc, "source").data["x"]))
        ),
        partial=True,
    ),
    Change(
        "stream",
        lambda doc: _columns(doc, "stream", _row()),
        lambda doc: _bokeh_named(doc, "source").stream(_row()),
    ),
    Change(
        "stream-rollover",
        lambda doc: _columns(doc, "stream", _rows(), 6),
        lambda doc: _bokeh_named(doc, "source").stream(_rows(), 6),
    ),
    Change(  # more rows than the rollover keeps: only the newest of them stay
        "stream-beyond-rollover",
        lambda doc: _columns(doc, "stream", _rows(), 2),
        lambda doc: _bokeh_named(doc, "source").stream(_rows(), 2),
    ),
    Change(
        "patch",
        lambda doc: _columns(doc, "patch", _patches()),
        lambda doc: _bokeh_named(doc, "source").patch(_patches()),
    ),
    Change(
        "delete-columns",
        lambda doc: _columns(doc, "remove_columns", ["s"]),
        lambda doc: _bokeh_named(doc, "source").remove("s"),
    ),
]


def _set_source(doc: Document, **values: Any) -> None:
    for attr, value in values.items():
        setattr(_named(doc, "source"), attr, value)


TAGS = ["t", {"k": 1.5, 2: [nan, math.inf, -math.inf]}, [1, [2]]]

TYPED_MODEL_CHANGES = [
    Change(
        "model-changed",
        lambda doc: (
            _set_source(doc, tags=TAGS),
            setattr(_named(doc, "source").selected, "indices", [0, 2]),
        ),
        lambda doc: (
            setattr(_bokeh_named(doc, "source"), "tags", TAGS),
            setattr(_bokeh_named(doc, "source").selected, "indices", [0, 2]),
        ),
    ),
    Change(
        "model-changed-to-a-new-model",
        lambda doc: _set_source(doc, selection_policy=IntersectRenderers()),
        lambda doc: setattr(_bokeh_named(doc, "source"), "selection_policy", BokehIntersect()),
    ),
    Change(
        "root-added",
        lambda doc: doc.add_root(ColumnDataSource({"v": np.array([1.0, nan])}, name="late")),
        lambda doc: doc.add_root(BokehSource(data={"v": np.array([1.0, nan])}, name="late")),
    ),
    Change(
        "root-removed",
        lambda doc: doc.remove_root(_named(doc, "source")),
        lambda doc: doc.remove_root(_bokeh_named(doc, "source")),
    ),
    Change(
        "title-changed",
        lambda doc: setattr(doc, "title", "new title ✓"),
        lambda doc: setattr(doc, "title", "new title ✓"),
    ),
]


def _generic_late_roots(doc: Document) -> None:
    doc.add_root(GenericModel("Div", attributes={"text": "late ✓", "name": "late"}))
    source = GenericModel(
        "ColumnDataSource",
        attributes={
            "data": {"v": np.array([1.0, nan]), "w": ["p", "q"]},
            "selected": GenericModel("Selection"),
            "selection_policy": GenericModel("UnionRenderers"),
        },
    )
    doc.add_root(source)


def _bokeh_late_roots(doc: BokehDocument) -> None:
    doc.add_root(BokehDiv(text="late ✓", name="late"))
    doc.add_root(BokehSource(data={"v": np.array([1.0, nan]), "w": ["p", "q"]}))


GENERIC_MODEL_CHANGES = [
    Change(
        "model-changed",
        lambda doc: (
            _named(doc, "div").set("text", "changed ✓"),
            _named(doc, "slider").set("value", 7.5),
        ),
        lambda doc: (
            setattr(_bokeh_named(doc, "div"), "text", "changed ✓"),
            setattr(_bokeh_named(doc, "slider"), "value", 7.5),
        ),
    ),
    Change(
        "model-changed-to-a-new-model",
        lambda doc: _named(doc, "plot").set(
            "x_range", GenericModel("Range1d", attributes={"start": 0, "end": 5})
        ),
        lambda doc: setattr(_bokeh_named(doc, "plot"), "x_range", BokehRange1d(start=0, end=5)),
    ),
    Change("root-added", _generic_late_roots, _bokeh_late_roots),
    Change(
        "root-removed",
        lambda doc: doc.remove_root(_named(doc, "extra")),
        lambda doc: doc.remove_root(_bokeh_named(doc, "extra")),
    ),
    Change(
        "title-changed",
        lambda doc: setattr(doc, "title", "new title ✓"),
        lambda doc: setattr(doc, "title", "new title ✓"),
    ),
]

SCENES = [
    *(pytest.param("typed", change, id=f"typed-{change}") for change in COLUMN_CHANGES),
    *(pytest.param("typed", change, id=f"typed-{change}") for change in TYPED_MODEL_CHANGES),
    *(pytest.param("generic", change, id=f"generic-{change}") for change in COLUMN_CHANGES),
    *(pytest.param("generic", change, id=f"generic-{change}") for change in GENERIC_MODEL_CHANGES),
]


def _livedoc_scene(scene: str) -> Document:
    if scene == "typed":
        return livedoc_source_doc()
    return to_livedoc(bokeh_doc_wire(bokeh_app_doc()), generic=True)


def _bokeh_scene(scene: str) -> BokehDocument:
    return bokeh_source_doc() if scene == "typed" else bokeh_app_doc()


def _ids(doc: BokehDocument) -> set[str]:
    return {model.id for model in doc.models}


def _bokeh_applying_its_own_patch(start: Wire, change: Change) -> BokehDocument:
    """A bokeh peer that received bokeh's own PATCH-DOCs for `change`, made by another bokeh
    peer; both started from the document `start`."""
    origin, receiver = to_bokeh(start), to_bokeh(start)
    patches = BokehPatches(origin)
    change.bokeh(origin)
    for patch in patches.take():
        apply_to_bokeh(receiver, patch)
    return receiver


# -- (a) livedoc -> bokeh ---------------------------------------------------------------------


@pytest.mark.parametrize(("scene", "change"), SCENES)
def test_livedoc_change_applies_in_bokeh(scene: str, change: Change) -> None:
    doc = _livedoc_scene(scene)
    start = livedoc_doc_wire(doc)
    peer = to_bokeh(start)
    patches = LivedocPatches(doc)

    change.livedoc(doc)
    patch = patches.take()
    assert_patch_well_formed(patch, _ids(peer))
    apply_to_bokeh(peer, patch)

    if change.partial:
        assert_same_documents(
            bokeh_doc_wire(_bokeh_applying_its_own_patch(start, change)), bokeh_doc_wire(peer)
        )
        # and the change itself is the one bokeh makes:
        native = to_bokeh(start)
        change.bokeh(native)
        assert_same_documents(bokeh_doc_wire(native), livedoc_doc_wire(doc))
    else:
        assert_same_documents(livedoc_doc_wire(doc), bokeh_doc_wire(peer))


@pytest.mark.parametrize(
    "change", [change for change in COLUMN_CHANGES if change.name != "delete-columns"], ids=str
)
def test_livedoc_sends_the_column_event_bokeh_sends(change: Change) -> None:
    """Beyond what Python bokeh checks on receipt (it ignores `cols`, for one): the event is the
    one bokeh's server sends for the same change, up to the form of the numbers (livedoc sends
    patch values as arrays of the column's dtype) and the order of `cols`.

    (Deleting columns differs by design: bokeh sends a ModelChanged of all the data, livedoc a
    ColumnDataChanged of it.)"""
    doc = livedoc_source_doc()
    start = livedoc_doc_wire(doc)
    patches = LivedocPatches(doc)
    change.livedoc(doc)
    ours = patches.take()
    origin = to_bokeh(start)
    bokeh_patches = BokehPatches(origin)
    change.bokeh(origin)
    [theirs] = bokeh_patches.take()

    def events(patch: Wire) -> Canonical:
        content = patch.content
        for event in content["events"]:
            if isinstance(event.get("cols"), list):
                event["cols"].sort()
        return canonical(content, patch.buffers, known=_ids(origin), loose=True)

    assert_same(events(ours), events(theirs))


# -- (b) bokeh -> livedoc (-> another bokeh peer) ---------------------------------------------


@pytest.mark.parametrize(("scene", "change"), SCENES)
def test_bokeh_change_applies_in_livedoc(scene: str, change: Change) -> None:
    origin = _bokeh_scene(scene)
    start = bokeh_doc_wire(origin)
    doc = to_livedoc(start, generic=scene == "generic")
    other_peer = to_bokeh(livedoc_doc_wire(doc))  # another client of the livedoc server
    relayed = LivedocPatches(doc)
    patches = BokehPatches(origin)

    change.bokeh(origin)
    client = Client()
    apply_to_livedoc(doc, patches.take(), setter=client)

    assert relayed.events, "applying a patch must emit events, for the server to relay"
    assert all(event.setter is client for event in relayed.events)
    # Before `to_json` below: it counts as a pull, after which every model is known to peers.
    relay = relayed.take()
    assert_same_documents(bokeh_doc_wire(origin), livedoc_doc_wire(doc))
    assert_patch_well_formed(relay, _ids(other_peer))
    apply_to_bokeh(other_peer, relay)
    if change.partial:
        expected = bokeh_doc_wire(_bokeh_applying_its_own_patch(start, change))
    else:
        expected = bokeh_doc_wire(origin)
    assert_same_documents(expected, bokeh_doc_wire(other_peer))


def test_bokeh_plot_edits_apply_in_livedoc_and_relay_to_bokeh() -> None:
    """New renderers, data sources and tools arrive in full (with binary buffers) inside
    ModelChanged events of lists that also refer to existing models."""
    origin = bokeh_app_doc()
    doc = to_livedoc(bokeh_doc_wire(origin))
    other_peer = to_bokeh(livedoc_doc_wire(doc))
    relayed = LivedocPatches(doc)
    patches = BokehPatches(origin)

    plot = origin.select_one({"name": "plot"})
    plot.scatter(np.arange(3.0), np.array([nan, 1.0, math.inf]), size=np.arange(3) + 3)
    plot.add_tools(BokehHoverTool(tooltips=[("x", "@x")]))
    plot.title.text = "edited ✓"
    plot.renderers[0].visible = False
    messages = patches.take()
    apply_to_livedoc(doc, messages)
    apply_to_bokeh(other_peer, relayed.take())

    assert len(messages) >= 4
    assert len(_named(doc, "plot").get("renderers")) == 3
    assert_same_documents(bokeh_doc_wire(origin), livedoc_doc_wire(doc))
    assert_same_documents(bokeh_doc_wire(origin), bokeh_doc_wire(other_peer))


def test_bokeh_pushed_document_replaces_livedoc_and_relays_to_bokeh() -> None:
    """PUSH-DOC: `replace_with_json` with a document a bokeh client pushes; the other peers get
    RootRemoved, RootAdded (in full) and TitleChanged."""
    doc = to_livedoc(bokeh_doc_wire(bokeh_source_doc()))
    other_peer = to_bokeh(livedoc_doc_wire(doc))
    relayed = LivedocPatches(doc)
    pushed = bokeh_app_doc()
    pushed.title = "pushed ✓"
    wire = bokeh_doc_wire(pushed)

    doc.replace_with_json(wire.content, wire.buffers)
    relay = relayed.take()
    apply_to_bokeh(other_peer, relay)

    kinds = [event["kind"] for event in relay.content["events"]]
    assert kinds == ["RootRemoved", "RootAdded", "RootAdded", "TitleChanged"]
    assert_same_documents(wire, livedoc_doc_wire(doc))
    # Neither livedoc nor bokeh (`_destructively_move`) sends the pushed config to peers.
    assert_same_documents(wire, bokeh_doc_wire(other_peer), without=("config",))


# -- several changes in a row -----------------------------------------------------------------


def _change(name: str, changes: list[Change] = COLUMN_CHANGES) -> Change:
    [change] = [change for change in changes if change.name == name]
    return change


SEQUENCE = [
    "stream",
    "patch",
    "stream-rollover",
    "replace-some-columns",
    "patch",
    "stream",
    "stream-rollover",
    "patch",
    "stream-beyond-rollover",
    "stream",
    "stream-rollover",
    "create-columns",
    "delete-columns",
    "replace-all-columns",
]


@pytest.mark.parametrize("scene", ["typed", "generic"])
def test_livedoc_changes_in_a_row_keep_bokeh_in_step(scene: str) -> None:
    """Each patch builds on the state the previous ones left (read-only wire arrays patched,
    lists grown by arrays, ...)."""
    doc = _livedoc_scene(scene)
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)
    for name in SEQUENCE:
        change = _change(name)
        if change.partial:  # Python bokeh would drop the other columns (see Change.partial)
            continue
        change.livedoc(doc)
        apply_to_bokeh(peer, patches.take())
        assert_same_documents(livedoc_doc_wire(doc), bokeh_doc_wire(peer))
    assert len(peer.select_one({"name": "source"}).data["a"]) == 2


@pytest.mark.parametrize("scene", ["typed", "generic"])
def test_bokeh_changes_in_a_row_keep_livedoc_in_step(scene: str) -> None:
    origin = _bokeh_scene(scene)
    doc = to_livedoc(bokeh_doc_wire(origin), generic=scene == "generic")
    patches = BokehPatches(origin)
    for name in SEQUENCE:
        _change(name).bokeh(origin)
        apply_to_livedoc(doc, patches.take())
        assert_same_documents(bokeh_doc_wire(origin), livedoc_doc_wire(doc))
    assert list(_named(doc, "source").get("data")) == ["a", "b"]


def test_held_livedoc_streams_merge_into_one_event_bokeh_applies() -> None:
    doc = livedoc_source_doc()
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)
    source = _named(doc, "source")
    assert isinstance(source, ColumnDataSource)

    with doc.held():
        source.stream(_rows(), 6)
        source.stream(_row(), 6)
        source.patch({"s": [(0, "F")]})
        doc.title = "one"
        doc.title = "two"
    patch = patches.take()
    apply_to_bokeh(peer, patch)

    kinds = [event["kind"] for event in patch.content["events"]]
    assert kinds == ["ColumnsStreamed", "ColumnsPatched", "TitleChanged"]
    assert peer.title == "two"
    assert list(peer.roots[0].data["s"]) == ["F", "e", "g", "h", "i", "f"]
    assert_same_documents(livedoc_doc_wire(doc), bokeh_doc_wire(peer))


def test_held_new_source_then_stream_reaches_bokeh_once() -> None:
    doc = livedoc_source_doc()
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)

    with doc.held():
        late = ColumnDataSource({"v": [1.0, 2.0]}, name="late")
        doc.add_root(late)
        late.stream({"v": [3.0]})
    apply_to_bokeh(peer, patches.take())

    assert peer.select_one({"name": "late"}).data["v"] == [1.0, 2.0, 3.0]


def test_a_new_model_goes_in_full_once_then_by_reference() -> None:
    doc = livedoc_source_doc()
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)

    late = ColumnDataSource({"v": np.array([1.0, 2.0])}, name="late")
    doc.add_root(late)
    first = patches.take()
    apply_to_bokeh(peer, first)
    late.stream({"v": np.array([3.0])})
    late.selection_policy = IntersectRenderers()
    second = patches.take()
    apply_to_bokeh(peer, second)

    def full_reps(patch: Wire) -> set[str]:
        return set(canonical(patch.content, patch.buffers, known=set(doc.models)).models)

    assert late.id in full_reps(first)
    assert full_reps(second) == {late.selection_policy.id}
    assert list(peer.select_one({"name": "late"}).data["v"]) == [1.0, 2.0, 3.0]
    assert_same_documents(livedoc_doc_wire(doc), bokeh_doc_wire(peer))


def test_sources_sharing_a_streamed_column_stream_independently() -> None:
    """livedoc grows streamed columns in place; a second source holding the same column must
    not see (or overwrite) rows streamed into the first, as bokeh's copying append guarantees."""
    doc = livedoc_source_doc()
    first = _named(doc, "source")
    assert isinstance(first, ColumnDataSource)
    first.stream(_row())
    second = ColumnDataSource(dict(first.data), name="second")
    doc.add_root(second)
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)

    first.stream(_rows())
    second.stream(_row())
    second.stream(_rows(), 8)
    first.stream(_row())
    apply_to_bokeh(peer, patches.take())

    assert list(first.data["s"]) == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "f"]
    assert list(second.data["s"]) == ["c", "d", "e", "f", "f", "g", "h", "i"]
    assert list(second.data["n"]) == [20, 30, 40, 50, 50, 60, 70, 80]
    assert_same_documents(livedoc_doc_wire(doc), bokeh_doc_wire(peer))


def test_patching_one_source_leaves_a_source_sharing_its_array_as_the_peer_has_it() -> None:
    shared = np.arange(4.0)
    first = ColumnDataSource({"x": shared}, name="first")
    second = ColumnDataSource({"x": shared}, name="second")
    doc = Document()
    doc.add_root(first)
    doc.add_root(second)
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)

    first.patch({"x": [(0, 9.0)]})
    apply_to_bokeh(peer, patches.take())

    assert peer.select_one({"name": "first"}).data["x"][0] == 9.0
    assert_same_documents(livedoc_doc_wire(doc), bokeh_doc_wire(peer))


def test_a_longer_string_patched_into_a_numpy_string_column_stays_whole() -> None:
    source = ColumnDataSource({"s": np.array(["a", "b"])})
    doc = Document()
    doc.add_root(source)
    peer = to_bokeh(livedoc_doc_wire(doc))
    patches = LivedocPatches(doc)

    source.patch({"s": [(0, "longer")]})
    apply_to_bokeh(peer, patches.take())

    assert list(peer.roots[0].data["s"]) == ["longer", "b"]
    assert list(source.data["s"]) == ["longer", "b"]


# -- MessageSent: UI events -------------------------------------------------------------------


def test_livedoc_button_click_reaches_bokeh_callbacks() -> None:
    doc = to_livedoc(bokeh_doc_wire(bokeh_app_doc()))
    peer = to_bokeh(livedoc_doc_wire(doc))
    clicks: list[Any] = []
    ready: list[Any] = []
    peer_button = peer.select_one({"name": "button"})
    peer_button.on_event("button_click", clicks.append)
    # bokeh subscribes a model's event callbacks when it joins a document; this one already has.
    peer_button._update_event_callbacks()
    peer.on_event("document_ready", ready.append)
    patches = LivedocPatches(doc)

    doc.send_event(ButtonClick({"model": _named(doc, "button")}))
    doc.send_event(DocumentReady())
    patch = patches.take()
    assert [event["kind"] for event in patch.content["events"]] == ["MessageSent"] * 2
    apply_to_bokeh(peer, patch)

    assert len(clicks) == 1
    assert isinstance(clicks[0], BokehButtonClick)
    assert clicks[0].model is peer_button
    assert len(ready) == 1
    assert isinstance(ready[0], BokehDocumentReady)


def test_bokeh_button_click_reaches_livedoc_callbacks() -> None:
    origin = bokeh_app_doc()
    doc = to_livedoc(bokeh_doc_wire(origin))
    button = _named(doc, "button")
    clicks: list[Any] = []
    ready: list[Any] = []
    button.on_event("button_click", clicks.append)
    doc.on_event("document_ready", ready.append)
    patches = BokehPatches(origin)

    origin.callbacks.send_event(BokehButtonClick(origin.select_one({"name": "button"})))
    origin.callbacks.send_event(BokehDocumentReady())
    apply_to_livedoc(doc, patches.take())

    assert len(clicks) == 1
    assert clicks[0].event_name == "button_click"
    assert clicks[0].model is button
    assert len(ready) == 1
    assert ready[0].event_name == "document_ready"


# -- the comparison itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda source: source.patch({"img": [((2, 1, 2), 0.5)]}), id="one-pixel"),
        pytest.param(lambda source: source.patch({"x": [(3, nan)]}), id="a-nan"),
        pytest.param(lambda source: source.patch({"s": [(0, "A")]}), id="one-string"),
        pytest.param(lambda source: setattr(source, "name", None), id="the-name"),
        pytest.param(lambda source: source.selected.set("indices", [1]), id="a-nested-model"),
    ],
)
def test_the_comparison_sees_a_single_difference(edit: Callable[[Any], None]) -> None:
    """The oracle is not vacuous: one changed value anywhere makes documents differ."""
    doc = livedoc_source_doc()
    before = livedoc_doc_wire(doc)
    edit(doc.roots[0])
    with pytest.raises(AssertionError, match="documents differ"):
        assert_same_documents(before, livedoc_doc_wire(doc))
