"""Two servers on one store (an SQLite file, or Redis), as several processes or machines run:
a document published through one is live on the other, both ways, and after changes made
through both at once every replica and the store agree."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from livedoc.client import publish, pull_session
from livedoc.document import Document
from livedoc.models import Column, ColumnDataSource, Slider
from tests.live_server import LiveServer
from tests.redis_server import redis_url as redis_url  # the fixture

from .test_publishing import wait_until

if TYPE_CHECKING:
    from pathlib import Path

Start = Callable[..., LiveServer]


def no_app(doc: Document) -> None:
    """A server needs one app; these tests use only its published documents."""


@pytest.fixture(params=["sqlite", "redis"])
def two_servers(
    request: pytest.FixtureRequest, live_server: Start, tmp_path: Path
) -> tuple[LiveServer, LiveServer]:
    storage = (
        f"sqlite://{tmp_path}/documents.db"
        if request.param == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    return live_server({"/": no_app}, storage=storage), live_server({"/": no_app}, storage=storage)


def sensors() -> tuple[Document, ColumnDataSource, Slider]:
    doc = Document(title="shared")
    source = ColumnDataSource(data={"t": np.arange(3.0), "y": np.zeros(3)}, name="readings")
    slider = Slider(start=0, end=100, value=1, name="threshold")
    doc.add_root(Column(children=[slider]))
    doc.add_root(source)
    return doc, source, slider


def doc_url(server: LiveServer, name: str) -> str:
    return f"{server.url().rstrip('/')}/docs/local/{name}"


def test_a_document_published_through_one_server_is_live_on_the_other(
    two_servers: tuple[LiveServer, LiveServer],
) -> None:
    first, second = two_servers
    name = f"shared-{uuid.uuid4().hex[:8]}"
    doc, source, slider = sensors()
    moved: list[Any] = []
    slider.on_change("value", lambda attr, old, new: moved.append(new))
    with publish(doc, name, url=first.url(), public=True) as publication:
        reader = pull_session(doc_url(second, name))
        try:
            readings = reader.document.get_model_by_name("readings")
            assert list(readings.data["t"]) == [0, 1, 2]
            source.stream({"t": [3.0, 4.0], "y": [5.0, 6.0]})  # through the first server ...
            publication.flush()
            wait_until(lambda: len(readings.data["t"]) == 5)  # ... reaches the second's viewer
            assert list(readings.data["y"])[-2:] == [5.0, 6.0]
            reader.document.get_model_by_name("threshold").value = 42  # the other way
            reader.flush()
            wait_until(lambda: moved == [42])
        finally:
            reader.close()


def rows_at(server: LiveServer, name: str) -> list[float]:
    """The readings' `t` column as the server's replica has it now."""
    reader = pull_session(doc_url(server, name))
    try:
        return list(reader.document.get_model_by_name("readings").data["t"])
    finally:
        reader.close()


def test_changes_through_both_servers_at_once_leave_every_replica_equal(
    two_servers: tuple[LiveServer, LiveServer], live_server: Start
) -> None:
    first, second = two_servers
    name = f"race-{uuid.uuid4().hex[:8]}"
    doc, source, _ = sensors()
    with publish(doc, name, url=first.url()) as publication:
        other = pull_session(doc_url(second, name))
        try:
            theirs = other.document.get_model_by_name("readings")
            for n in range(20):  # interleaved, unacknowledged: the servers race for the log
                source.stream({"t": [100.0 + n], "y": [1.0]})
                theirs.stream({"t": [200.0 + n], "y": [2.0]})
            publication.flush()
            other.flush()
        finally:
            other.close()
    wait_until(lambda: len(rows_at(first, name)) == 43 and len(rows_at(second, name)) == 43)
    on_first, on_second = rows_at(first, name), rows_at(second, name)
    assert on_first == on_second  # both replicas applied the log in the same order
    assert sorted(on_first[3:]) == [100.0 + n for n in range(20)] + [200.0 + n for n in range(20)]
    storage = first.server.settings.storage
    assert rows_at(live_server({"/": no_app}, storage=storage), name) == on_first  # the store too
