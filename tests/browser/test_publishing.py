"""A document published from a script, viewed in Chromium: rows streamed by the script appear
in the page, and a slider moved in the page fires the script's callback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from livedoc.client import publish
from livedoc.document import Document
from livedoc.models import Column, ColumnDataSource, Slider
from livedoc.plotting import figure
from tests.live_server import LiveServer

if TYPE_CHECKING:
    from .conftest import Tab

Start = Callable[..., LiveServer]


def no_app(doc: Document) -> None:
    """The server's one app; the test uses its published documents."""


def test_published_document_lives_in_the_browser(
    live_server: Start, new_tab: Callable[[], Tab]
) -> None:
    server = live_server({"/": no_app})
    doc = Document(title="published sensors")
    source = ColumnDataSource(
        data={"t": np.arange(5.0), "y": np.sin(np.arange(5.0))}, name="readings"
    )
    plot = figure(title="published", height=250, width=500)
    plot.line("t", "y", source=source)
    slider = Slider(start=0, end=10, value=5, step=1, title="threshold", name="threshold")
    moved: list[Any] = []
    slider.on_change("value", lambda attr, old, new: moved.append(new))
    doc.add_root(Column(children=[plot, slider]))

    with publish(doc, "sensors", url=server.url(), public=True) as publication:
        tab = new_tab().open(publication.url)
        assert tab.ink() > 0.005  # a plot and a slider, not a blank page
        source.stream({"t": [5.0, 6.0], "y": [0.5, 0.25]})
        tab.wait_for("() => Bokeh.documents[0].get_model_by_name('readings').get_length() === 7")
        tab.page.evaluate("Bokeh.documents[0].get_model_by_name('threshold').value = 8")
        deadline = time.monotonic() + 10
        while moved != [8]:
            assert time.monotonic() < deadline, f"the script saw {moved}"
            time.sleep(0.05)
        publication.flush()


def test_a_document_built_with_bokeh_renders_when_published(
    live_server: Start, new_tab: Callable[[], Tab]
) -> None:
    from bokeh.client import push_session as bokeh_push
    from bokeh.document import Document as BokehDocument
    from bokeh.models import ColumnDataSource as BokehSource
    from bokeh.plotting import figure as bokeh_figure

    server = live_server({"/": no_app})
    doc = BokehDocument()
    source = BokehSource(data={"x": [1, 2, 3], "y": [3, 1, 2]}, name="points")
    plot = bokeh_figure(title="built with bokeh", height=300, width=400)
    plot.scatter("x", "y", source=source, size=20)
    doc.add_root(plot)
    base = server.url().rstrip("/")
    # bokeh.client runs its own event loop: not on this thread, where Playwright's runs.
    pusher = threading.Thread(
        target=lambda: bokeh_push(doc, url=f"{base}/docs/local/from-bokeh/publish").close()
    )
    pusher.start()
    pusher.join(30)
    tab = new_tab().open(f"{base}/docs/local/from-bokeh")
    assert tab.page.evaluate("Bokeh.documents[0].get_model_by_name('points').get_length()") == 3
    assert tab.ink() > 0.005


def test_a_share_link_shows_a_private_document_in_the_browser(
    live_server: Start, new_tab: Callable[[], Tab]
) -> None:
    server = live_server({"/": no_app}, multi_user=True, users="memory://")
    users = server.server.identities.users
    users.add_user("ada", "correct horse battery")
    doc = Document(title="private")
    doc.add_root(Slider(start=0, end=10, value=4, name="threshold"))
    base = server.url().rstrip("/")
    publication = publish(
        doc, "private", url=base, owner="ada", api_key=users.create_api_key("ada")
    )
    link = publication.share()
    tab = new_tab().open(link)  # anonymous: the page's session token carries the grant
    assert tab.model("threshold", "value") == 4
    doc.get_model_by_name("threshold").value = 6  # the owner's change reaches the viewer
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('threshold').value === 6")
    publication.close()
