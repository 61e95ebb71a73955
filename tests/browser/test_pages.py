"""What a person sees and does in the page: rendering, sliders, buttons, streaming, tabs, reloads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.models import Button, Column, ColumnDataSource, Div, Slider
from livedoc.plotting import figure
from tests.live_server import LiveServer

from .conftest import Tab

if TYPE_CHECKING:
    from livedoc.document import Document

ROOT = Path(__file__).resolve().parents[2]

Start = Callable[..., LiveServer]
NewTab = Callable[[], Tab]


def widgets_app(doc: Document) -> None:
    """A plot, a slider whose value Python mirrors into a Div, and a counting button."""
    source = ColumnDataSource(data={"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 4.0]}, name="source")
    plot = figure(title="browser", height=250, width=400, name="plot")
    plot.line("x", "y", source=source)
    slider = Slider(start=0, end=10, value=5, step=1, title="level", name="slider", width=300)
    echo = Div(text="5", name="echo")
    button = Button(label="count", name="button")
    clicks = Div(text="0", name="clicks")

    def on_slide(attr: str, old: Any, new: Any) -> None:
        echo.text = str(new)

    def on_click() -> None:
        clicks.text = str(int(clicks.text) + 1)

    slider.on_change("value", on_slide)
    button.on_click(on_click)
    doc.add_root(Column(children=[plot, slider, echo, button, clicks]))


def test_demo_app_renders_and_streams(live_server: Start, new_tab: NewTab) -> None:
    from livedoc.application import build_application

    server = live_server({"/demo": build_application(ROOT / "examples" / "streaming.py")})
    tab = new_tab().open(server.url("/demo"))
    assert tab.model("pause", "label") == "pause"
    # Points stream in every 100 ms: the page's source grows.
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('signal').get_length() > 20")
    png = tab.page.screenshot()
    assert len(set(png[1000:5000])) > 10  # not a blank page


def test_slider_drag_reaches_python(live_server: Start, new_tab: NewTab) -> None:
    server = live_server({"/": widgets_app})
    tab = new_tab().open(server.url())
    handle = tab.page.locator(".noUi-handle").first
    box = handle.bounding_box()
    assert box is not None
    tab.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tab.page.mouse.down()
    tab.page.mouse.move(box["x"] + 400, box["y"] + box["height"] / 2, steps=8)
    tab.page.mouse.up()
    # Python's on_change ran (the echo Div came back from the server) and Python holds the value.
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('echo').text === '10'")
    value = server.with_document("/", lambda doc: doc.get_model_by_name("slider").value)
    assert value == 10


def test_python_change_reaches_the_page(live_server: Start, new_tab: NewTab) -> None:
    server = live_server({"/": widgets_app})
    tab = new_tab().open(server.url())

    def change(doc: Document) -> None:
        doc.get_model_by_name("slider").value = 2
        doc.get_model_by_name("source").stream({"x": [3.0, 4.0], "y": [9.0, 16.0]})

    server.with_document("/", change)
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('slider').value === 2")
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('source').get_length() === 5")
    last_y = tab.page.evaluate(
        "Array.from(Bokeh.documents[0].get_model_by_name('source').get_column('y')).at(-1)"
    )
    assert last_y == 16


def test_button_click_runs_python(live_server: Start, new_tab: NewTab) -> None:
    server = live_server({"/": widgets_app})
    tab = new_tab().open(server.url())
    tab.page.get_by_role("button", name="count").click()
    tab.page.get_by_role("button", name="count").click()
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('clicks').text === '2'")
    assert server.with_document("/", lambda doc: doc.get_model_by_name("clicks").text) == "2"


def test_two_tabs_of_one_session_stay_in_sync(live_server: Start, new_tab: NewTab) -> None:
    server = live_server({"/": widgets_app})
    first = new_tab().open(server.url())
    [session] = server.sessions()
    second = new_tab().open(f"{server.url()}?bokeh-session-id={session.id}")
    assert len(server.sessions()) == 1
    first.page.evaluate("Bokeh.documents[0].get_model_by_name('slider').value = 7")
    second.wait_for("() => Bokeh.documents[0].get_model_by_name('echo').text === '7'")
    second.wait_for("() => Bokeh.documents[0].get_model_by_name('slider').value === 7")
    second.page.evaluate("Bokeh.documents[0].get_model_by_name('slider').value = 3")
    first.wait_for("() => Bokeh.documents[0].get_model_by_name('echo').text === '3'")


def test_reload_keeps_the_session(live_server: Start, new_tab: NewTab) -> None:
    server = live_server({"/": widgets_app})
    tab = new_tab().open(server.url())
    [session] = server.sessions()
    tab.page.evaluate("Bokeh.documents[0].get_model_by_name('slider').value = 8")
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('echo').text === '8'")
    tab.page.goto(f"{server.url()}?bokeh-session-id={session.id}")
    tab.wait_ready()
    assert tab.model("slider", "value") == 8
    assert [s.id for s in server.sessions()] == [session.id]


def test_directory_app_template_and_static(
    live_server: Start, new_tab: NewTab, tmp_path: Path
) -> None:
    from livedoc.application import build_application

    app_dir = tmp_path / "dirapp"
    (app_dir / "templates").mkdir(parents=True)
    (app_dir / "static").mkdir()
    (app_dir / "main.py").write_text(
        "from livedoc import curdoc\nfrom livedoc.models import Div\n"
        "curdoc().add_root(Div(text='from main.py', name='hello'))\n"
    )
    (app_dir / "static" / "style.css").write_text("body { background: rgb(1, 2, 3); }\n")
    (app_dir / "templates" / "index.html").write_text(
        "<!DOCTYPE html><html><head>{{ bokeh_css }}{{ bokeh_js }}"
        '<link rel="stylesheet" href="dirapp/static/style.css"></head>'
        '<body><h1 id="banner">custom template</h1>{{ plot_div }}{{ plot_script }}</body></html>\n'
    )
    server = live_server({"/dirapp": build_application(app_dir)})
    tab = new_tab().open(server.url("/dirapp"))
    assert tab.page.locator("#banner").inner_text() == "custom template"
    assert tab.model("hello", "text") == "from main.py"
    background = tab.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(1, 2, 3)"


def test_server_document_embeds_a_session_in_another_sites_page(
    live_server: Start, new_tab: NewTab, tmp_path: Path
) -> None:
    """A page served from another origin embeds the app with `server_document()`'s tag."""
    import functools
    import http.server
    import threading

    from livedoc.server import server_document

    site = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0),
        functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path)),
    )
    site_port = site.server_address[1]
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        server = live_server(
            {"/embedded": widgets_app}, allow_websocket_origin=(f"127.0.0.1:{site_port}",)
        )
        tag = server_document(server.url("/embedded"))
        (tmp_path / "host.html").write_text(
            '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
            f"<body><h1>someone else's page</h1>{tag}</body></html>"
        )
        tab = new_tab().open(f"http://127.0.0.1:{site_port}/host.html")
        assert tab.model("echo", "text") == "5"
        tab.page.get_by_role("button", name="count").click()
        tab.wait_for("() => Bokeh.documents[0].get_model_by_name('clicks').text === '1'")
    finally:
        site.shutdown()
        site.server_close()
        thread.join(5)


def test_bokehjs_reconnects_to_the_same_session_after_a_dropped_connection(
    live_server: Start, new_tab: NewTab
) -> None:
    server = live_server({"/": widgets_app})
    tab = new_tab().open(server.url())
    [session] = server.sessions()

    async def drop_connections() -> None:
        for connection in list(session.connections):
            connection.transport.handler.ws_connection.stream.close()  # as a network failure

    server.call(drop_connections())
    tab.page.wait_for_timeout(200)
    deadline = 100  # up to 20 s for BokehJS's reconnect (it backs off between attempts)
    while not session.connections and deadline:
        tab.page.wait_for_timeout(200)
        deadline -= 1
    assert session.connections, "BokehJS did not reconnect"
    assert [s.id for s in server.sessions()] == [session.id]
    server.with_document("/", lambda doc: setattr(doc.get_model_by_name("slider"), "value", 4))
    tab.wait_for("() => Bokeh.documents[0].get_model_by_name('slider').value === 4")


def test_bokeh_client_and_browser_share_a_session(live_server: Start, new_tab: NewTab) -> None:
    """The real bokeh.client and a browser tab on one session: changes cross both ways."""
    import concurrent.futures
    import time

    pytest.importorskip("bokeh")
    from bokeh.client import pull_session

    server = live_server({"/": widgets_app})
    tab = new_tab().open(server.url())
    [session] = server.sessions()

    def client_side() -> float:
        # bokeh.client runs its own IOLoop: a worker thread keeps it off Playwright's loop.
        with pull_session(session_id=session.id, url=server.url()) as client:
            client.document.select_one({"name": "slider"}).value = 9  # -> the browser
            client.force_roundtrip()
            connection = client._connection
            slider = client.document.select_one({"name": "slider"})
            deadline = time.monotonic() + 15
            stop = connection._loop.call_later(15, connection._loop.stop)
            # wait (bounded) for the browser's change to come back through the server
            connection._loop_until(lambda: slider.value == 1 or time.monotonic() > deadline)
            connection._loop.remove_timeout(stop)
            return float(slider.value)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        result = pool.submit(client_side)
        tab.wait_for("() => Bokeh.documents[0].get_model_by_name('slider').value === 9")
        tab.page.evaluate("Bokeh.documents[0].get_model_by_name('slider').value = 1")
        assert result.result(timeout=30) == 1
