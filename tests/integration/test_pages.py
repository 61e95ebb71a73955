"""The HTTP side: app pages, the index, metadata, autoload.js and embedding, directory apps."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from livedoc import server as livedoc_server
from livedoc.application import Application, FunctionHandler, build_application, cursession
from livedoc.models import Div
from livedoc.protocol import pull_doc_req
from livedoc.protocol.tokens import generate_session_id

from .http_client import get
from .ws_client import ProtocolClient, page_token, root_named, ws_url

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

    from livedoc.document import Document
    from tests.live_server import LiveServer

SECRET = "integration-secret-0123456789abcdef"


def hello_app(doc: Document) -> None:
    doc.title = "hello"
    doc.add_root(Div(text="hello", name="hello"))


def broken_app(doc: Document) -> None:
    raise RuntimeError("this app is broken on purpose")


def arguments_app(doc: Document) -> None:
    """Shows the query arguments its session was opened with."""
    session = cursession()
    assert session is not None
    seen = {
        name: [v.decode() for v in values] for name, values in session.request.arguments.items()
    }
    doc.add_root(Div(text=json.dumps(seen, sort_keys=True), name="arguments"))


async def pull_with(server: LiveServer, token: str, app: str = "/") -> dict[str, object]:
    client = await ProtocolClient.connect(ws_url(server, app), token)
    ack = await client.receive()
    assert ack is not None
    assert ack.msgtype == "ACK"
    reply = await client.request(pull_doc_req())
    client.close()
    doc: dict[str, object] = reply.content["doc"]
    return doc


def test_app_page_loads_versioned_bundles_and_embeds_a_session(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})
    status, headers, html = get(server.url())
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "<title>hello</title>" in html
    bundles = re.findall(r'<script type="text/javascript" src="([^"]+)"', html)
    names = [urlsplit(url).path.rsplit("/", 1)[1] for url in bundles]
    assert names[0] == "bokeh.min.js"  # the core first, then its plugins
    assert {"bokeh-widgets.min.js", "bokeh-tables.min.js", "bokeh-gl.min.js"} <= set(names)
    for url in bundles:
        assert parse_qs(urlsplit(url).query)["v"][0]  # cache-busted by content
        status, bundle_headers, _ = get(server.url() + url.lstrip("/"))
        assert status == 200
        assert "javascript" in bundle_headers["Content-Type"]
        assert "max-age=315360000" in bundle_headers["Cache-Control"]
    assert "Bokeh.embed.embed_items" in html
    assert len(server.sessions()) == 1  # the page opened the session it embeds
    assert get(server.url() + "favicon.ico")[0] == 200
    assert get(server.url() + "no/such/page")[0] == 404


def test_the_page_token_opens_the_session_the_page_was_built_for(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app})
    token = page_token(server.url())
    server.with_document("/", lambda doc: setattr(doc.get_model_by_name("hello"), "text", "mine"))
    doc = asyncio.run(pull_with(server, token))
    assert root_named(doc, "hello")["attributes"]["text"] == "mine"
    assert len(server.sessions()) == 1


def test_index_lists_apps_and_a_broken_app_shows_its_error(
    live_server: Callable[..., LiveServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = live_server({"/hello": hello_app, "/broken": broken_app, "/more": hello_app})
    status, _, index = get(server.url())
    assert status == 200
    for app in ("/hello", "/broken", "/more"):
        assert f'href="{app}"' in index
    status, _, page = get(server.url("/broken"))
    assert status == 200  # the page loads and says what went wrong, rather than a blank page
    assert "this app is broken on purpose" in page
    assert "Traceback" not in page  # no traceback for an unauthenticated visitor
    assert any("this app is broken on purpose" in r.getMessage() for r in caplog.records)
    assert get(server.url("/hello"))[0] == 200  # the other apps keep working
    assert get(server.url("/more"))[0] == 200


def test_one_app_redirects_and_the_prefix_applies_to_every_route(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/hello": hello_app}, prefix="apps")
    base = f"http://127.0.0.1:{server.server.port}/apps"
    assert server.url("/hello") == base + "/hello"
    status, headers, _ = get(base + "/")
    assert status in (301, 302)
    assert headers["Location"].endswith("/apps/hello")
    assert get(base + "/hello")[0] == 200
    assert json.loads(get(base + "/hello/metadata")[2]) == {"url": "/apps/hello", "data": {}}
    assert get(base + "/static/js/bokeh.min.js")[0] == 200
    assert get(f"http://127.0.0.1:{server.server.port}/hello")[0] == 404  # only under the prefix
    doc = asyncio.run(pull_with(server, page_token(base + "/hello"), "/hello"))
    assert root_named(doc, "hello")["attributes"]["text"] == "hello"


def test_metadata_carries_the_apps_metadata(live_server: Callable[..., LiveServer]) -> None:
    app = Application(FunctionHandler(hello_app), metadata={"owner": "ada", "tags": ["demo"]})
    server = live_server({"/meta": app, "/plain": hello_app})
    status, headers, body = get(server.url("/meta") + "/metadata")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"url": "/meta", "data": {"owner": "ada", "tags": ["demo"]}}
    assert json.loads(get(server.url("/plain") + "/metadata")[2]) == {"url": "/plain", "data": {}}


def autoload_url(server: LiveServer, element: str | None = "target-1", **extra: str) -> str:
    query = {"bokeh-absolute-url": server.url().rstrip("/"), **extra}
    if element is not None:
        query["bokeh-autoload-element"] = element
    return server.url() + "autoload.js?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_autoload_embeds_a_new_session_with_the_cors_rules_of_the_spec(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app}, allow_websocket_origin=("friend.example",))

    # Any site may fetch the script, anonymously.
    status, headers, script = get(autoload_url(server), {"Origin": "http://stranger.example"})
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Headers"] == "*"
    assert "Access-Control-Allow-Credentials" not in headers  # never with "*"
    assert '"elementid": "target-1"' in script
    assert f"{server.url().rstrip('/')}/static/js/bokeh.min.js?v=" in script  # absolute URLs

    # An allowed origin is echoed, may send credentials, and caches vary by origin.
    status, headers, _ = get(autoload_url(server), {"Origin": "http://friend.example"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "http://friend.example"
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in headers["Vary"]

    # The preflight.
    status, headers, _ = get(
        autoload_url(server), {"Origin": "http://friend.example"}, method="OPTIONS"
    )
    assert status in (200, 204)
    assert "GET" in headers["Access-Control-Allow-Methods"]

    # Without the element to fill there is nothing to embed.
    status, _, body = get(autoload_url(server, element=None))
    assert status == 400
    assert "bokeh-autoload-element" in body


def test_server_document_embeds_a_session_through_autoload(
    live_server: Callable[..., LiveServer],
) -> None:
    assert livedoc_server.server_document is not None  # the public helper
    server = live_server({"/embedded": arguments_app})
    tag = livedoc_server.server_document(server.url("/embedded"), arguments={"colour": "teal"})
    [(element_id, src)] = re.findall(r'<script id="([^"]+)" src="([^"]+)"></script>', tag)
    src = src.replace("&amp;", "&")
    assert src.startswith(server.url("/embedded") + "/autoload.js?")

    status, _, script = get(src, {"Origin": "http://some-blog.example"})
    assert status == 200
    assert f'"elementid": "{element_id}"' in script  # the script replaces the tag itself
    assert '"/embedded"' in script  # the app path BokehJS opens the websocket under
    [token] = re.findall(r'"token": "([^"]+)"', script)
    doc = asyncio.run(pull_with(server, token, "/embedded"))
    shown = json.loads(root_named(doc, "arguments")["attributes"]["text"])
    assert shown == {"colour": ["teal"]}  # the app saw the embedding's arguments
    assert len(server.sessions("/embedded")) == 1


def test_a_directory_app_serves_its_template_and_static_files(
    live_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    app_dir = tmp_path / "dashboard"
    (app_dir / "templates").mkdir(parents=True)
    (app_dir / "static").mkdir()
    (app_dir / "main.py").write_text(
        "from livedoc import curdoc\n"
        "from livedoc.models import Div\n"
        "curdoc().title = 'dashboard'\n"
        "curdoc().add_root(Div(text='from main.py', name='main'))\n"
    )
    (app_dir / "templates" / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>{{ title }}</title>{{ bokeh_js }}</head>"
        '<body><h1 id="custom-heading">Custom dashboard</h1>{{ plot_div }}{{ plot_script }}'
        "</body></html>"
    )
    (app_dir / "static" / "notes.txt").write_text("static notes\n")
    server = live_server({"/dashboard": build_application(app_dir)})

    status, _, page = get(server.url("/dashboard"))
    assert status == 200
    assert '<h1 id="custom-heading">Custom dashboard</h1>' in page
    assert "<title>dashboard</title>" in page
    assert "bokeh.min.js?v=" in page
    assert "Bokeh.embed.embed_items" in page
    assert "{{" not in page  # every placeholder filled
    status, _, notes = get(server.url("/dashboard") + "/static/notes.txt")
    assert (status, notes) == (200, "static notes\n")
    assert get(server.url("/dashboard") + "/static/missing.txt")[0] == 404
    doc = asyncio.run(pull_with(server, page_token(server.url("/dashboard")), "/dashboard"))
    assert root_named(doc, "main")["attributes"]["text"] == "from main.py"


def test_external_signed_mode_only_opens_pages_for_signed_ids_it_is_given(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server({"/": hello_app}, session_ids="external-signed", secret_key=SECRET)
    status, _, body = get(server.url())
    assert status == 403
    assert "session" in body
    signed_id = generate_session_id(signed=True, secret_key=SECRET.encode())
    assert get(server.url() + "?bokeh-session-id=" + signed_id)[0] == 200
    assert get(server.url(), {"Bokeh-Session-Id": signed_id})[0] == 200
    assert get(server.url() + "?bokeh-session-id=" + generate_session_id())[0] == 403
    assert [session.id for session in server.sessions()] == [signed_id]
