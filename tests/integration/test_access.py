"""Users and access with --multi-user: anonymous visitors, the wrong user, a read-only viewer
and a revoked key are each refused clearly (401/403, or ERROR for a read-only change) and the
document stays unchanged; the login page (with XSRF), API keys from /api/keys and
`livedoc login` let the right people in."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any

import pytest

from livedoc.auth import MultiUser
from livedoc.cli import main as livedoc_main
from livedoc.client import SessionRefused, publish, pull_session
from livedoc.document import Document
from livedoc.models import Slider
from livedoc.protocol import patch_doc
from tests.live_server import LiveServer

from . import http_client
from .ws_client import ProtocolClient, pulled, token_for, value_change

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

Start = Callable[..., LiveServer]
PASSWORD = "correct horse battery"


def no_app(doc: Document) -> None:
    """The server's one app; these tests use its published documents."""


class Site:
    """A --multi-user server with users ada and bob, and their API keys."""

    def __init__(self, live_server: Start) -> None:
        self.server = live_server({"/": no_app}, multi_user=True, users="memory://")
        users = self.server.server.identities.users
        for name in ("ada", "bob"):
            users.add_user(name, PASSWORD)
        self.keys = {name: users.create_api_key(name) for name in ("ada", "bob")}
        self.users = users
        self.base = self.server.url().rstrip("/")

    def doc_url(self, owner: str, name: str) -> str:
        return f"{self.base}/docs/{owner}/{name}"

    def publish(self, name: str, *, public: bool, value: int = 1) -> None:
        doc = Document(title=name)
        doc.add_root(Slider(start=0, end=10, value=value, name="slider"))
        publish(
            doc, name, url=self.base, owner="ada", public=public, api_key=self.keys["ada"]
        ).close()

    def stored_value(self, owner: str, name: str) -> Any:
        reader = pull_session(self.doc_url(owner, name), api_key=self.keys[owner])
        value = reader.document.get_model_by_name("slider").value
        reader.close()
        return value


@pytest.fixture
def site(live_server: Start) -> Site:
    return Site(live_server)


def http(url: str, **kwargs: Any) -> tuple[int, str, dict[str, str]]:
    """(status, body, headers); redirects are returned, not followed."""
    status, headers, body = http_client.get(url, **kwargs)
    return status, body, headers


def test_anonymous_visitors_are_sent_to_log_in_or_refused(site: Site) -> None:
    site.publish("notes", public=False)
    status, _, headers = http(site.doc_url("ada", "notes"))
    assert status == 302
    assert headers["Location"].startswith("/login?next=")
    with pytest.raises(SessionRefused, match="401"):
        pull_session(site.doc_url("ada", "notes"), api_key="")
    doc = Document()
    doc.add_root(Slider(start=0, end=10, value=9, name="slider"))
    with pytest.raises(SessionRefused, match="401"):
        publish(doc, "notes", url=site.base, owner="ada", api_key="")
    assert site.stored_value("ada", "notes") == 1


def test_the_wrong_user_is_refused_and_cannot_overwrite(site: Site) -> None:
    site.publish("notes", public=False)
    with pytest.raises(SessionRefused, match=r"403.*bob may not see ada/notes"):
        pull_session(site.doc_url("ada", "notes"), api_key=site.keys["bob"])
    doc = Document()
    doc.add_root(Slider(start=0, end=10, value=9, name="slider"))
    with pytest.raises(SessionRefused, match=r"403.*bob may not change ada/notes"):
        publish(doc, "notes", url=site.base, owner="ada", api_key=site.keys["bob"])
    status, _, _ = http(
        site.doc_url("ada", "notes"), headers={"Authorization": f"Bearer {site.keys['bob']}"}
    )
    assert status == 403
    assert site.stored_value("ada", "notes") == 1


def test_a_public_document_is_read_only_for_others(site: Site) -> None:
    site.publish("board", public=True)
    status, page, _ = http(site.doc_url("ada", "board"))
    assert status == 200  # no login needed to look
    assert "<title>board</title>" in page

    async def change_as_viewer() -> str:
        client = await ProtocolClient.connect(
            site.doc_url("ada", "board").replace("http://", "ws://") + "/ws", token_for()
        )
        ack = await client.receive()
        assert ack is not None
        doc_json = await pulled(client)
        # What BokehJS sends once a page is ready: a UI event, no change; it is not refused.
        ready = {"type": "event", "name": "document_ready", "values": {"type": "map"}}
        event = {"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": ready}
        assert (await client.request(patch_doc([event], {}))).msgtype == "OK"
        slider_id = doc_json["roots"][0]["id"]
        reply = await client.request(patch_doc([value_change(slider_id, "value", 7)], {}))
        client.close()
        assert reply.msgtype == "ERROR"
        text: str = reply.content["text"]
        return text

    assert "read-only" in asyncio.run(change_as_viewer())
    assert site.stored_value("ada", "board") == 1


def test_a_revoked_key_is_refused(site: Site) -> None:
    site.publish("notes", public=False)
    assert site.users.revoke_api_key(site.keys["ada"])
    with pytest.raises(SessionRefused, match=r"401.*not valid"):
        pull_session(site.doc_url("ada", "notes"), api_key=site.keys["ada"])


def test_the_login_page_sets_a_cookie_with_xsrf_protection(site: Site) -> None:
    site.publish("notes", public=False)
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{site.base}/login?next=/docs/ada/notes", timeout=10) as response:
        form = response.read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form)
    assert xsrf is not None
    # Without the XSRF token: refused.
    forged = urllib.parse.urlencode({"user": "ada", "password": PASSWORD}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{site.base}/login", data=forged, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
    # A wrong password: the form again, 401.
    wrong = urllib.parse.urlencode({"user": "ada", "password": "nope", "_xsrf": xsrf.group(1)})
    with pytest.raises(urllib.error.HTTPError) as denied:
        opener.open(f"{site.base}/login", data=wrong.encode(), timeout=10)
    assert denied.value.code == 401
    denied.value.close()
    good = urllib.parse.urlencode(
        {"user": "ada", "password": PASSWORD, "_xsrf": xsrf.group(1), "next": "/docs/ada/notes"}
    )
    with opener.open(f"{site.base}/login", data=good.encode(), timeout=10) as response:
        assert response.status == 200
        assert "<title>notes</title>" in response.read().decode()  # redirected to the document
    cookie = next(c for c in jar if c.name == "livedoc_user")
    assert (
        cookie.has_nonstandard_attr("HttpOnly")
        or cookie.get_nonstandard_attr("httponly") is not None
    )


def test_api_keys_from_the_server_and_livedoc_login(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    basic = base64.b64encode(f"ada:{PASSWORD}".encode()).decode()
    status, body, _ = http(
        f"{site.base}/api/keys",
        data=b"",
        method="POST",
        headers={"Authorization": f"Basic {basic}"},
    )
    assert status == 200
    assert site.users.user_for_key(json.loads(body)["key"]) == "ada"
    wrong = base64.b64encode(b"ada:nope").decode()
    assert http(f"{site.base}/api/keys", data=b"", method="POST",
                headers={"Authorization": f"Basic {wrong}"})[0] == 401  # fmt: skip

    monkeypatch.setenv("LIVEDOC_HOME", str(tmp_path))
    monkeypatch.delenv("LIVEDOC_API_KEY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    assert livedoc_main(["login", site.base, "--user", "ada", "--password-stdin"]) == 0
    credentials = tmp_path / "credentials.json"
    assert credentials.stat().st_mode & 0o777 == 0o600
    doc = Document(title="with the stored key")
    doc.add_root(Slider(start=0, end=10, value=3, name="slider"))
    publish(doc, "diary", url=site.base, owner="ada").close()  # no api_key: the stored one
    assert site.stored_value("ada", "diary") == 3


class HeaderLogin(MultiUser):
    """An organisation's login: its proxy puts the user in a header."""

    def identify(self, headers: Mapping[str, str]) -> str | None:
        return headers.get("X-Org-User")


def test_an_organisations_login_plugs_in(live_server: Start) -> None:
    server = live_server(
        {"/": no_app}, multi_user=True, users="memory://", access_policy=HeaderLogin()
    )
    base = server.url().rstrip("/")
    users = server.server.identities.users
    users.add_user("ada", PASSWORD)
    doc = Document(title="org notes")
    doc.add_root(Slider(start=0, end=10, value=1, name="slider"))
    publish(doc, "notes", url=base, owner="ada", api_key=users.create_api_key("ada")).close()
    assert http(f"{base}/docs/ada/notes", headers={"X-Org-User": "ada"})[0] == 200
    assert http(f"{base}/docs/ada/notes", headers={"X-Org-User": "eve"})[0] == 403


def test_autoload_embeds_a_public_document(site: Site) -> None:
    site.publish("board", public=True)
    status, script, headers = http(
        site.doc_url("ada", "board") + "/autoload.js?bokeh-autoload-element=x"
    )
    assert status == 200
    assert headers["Content-Type"].startswith("application/javascript")
    assert "/docs/ada/board" in script
    site.publish("notes", public=False)
    assert http(site.doc_url("ada", "notes") + "/autoload.js?bokeh-autoload-element=x")[0] == 401


def test_a_share_link_opens_a_private_document_read_only(site: Site) -> None:
    doc = Document(title="notes")
    doc.add_root(Slider(start=0, end=10, value=1, name="slider"))
    publication = publish(doc, "notes", url=site.base, owner="ada", api_key=site.keys["ada"])
    link = publication.share()
    publication.close()
    assert "?share=" in link
    status, page, _ = http(link)  # anonymous, with the link
    assert status == 200
    assert "<title>notes</title>" in page
    reader = pull_session(link, api_key="")  # a script with the link reads it ...
    assert reader.document.get_model_by_name("slider").value == 1
    reader.close()
    changed = Document()
    changed.add_root(Slider(start=0, end=10, value=9, name="slider"))
    with pytest.raises(SessionRefused, match="401"):  # ... but cannot publish over it
        publish(changed, "notes", url=site.base, owner="ada", api_key="")
    forged = link.rsplit("=", 1)[0] + "=not-the-token"
    assert http(forged)[0] == 302  # to the login page
    assert http(link.replace("/notes?", "/other?"))[0] in (302, 404)  # only that document
    assert site.users.revoke_share_token(link.rsplit("=", 1)[1])
    assert http(link)[0] == 302
    assert site.stored_value("ada", "notes") == 1


def test_writers_the_owner_names_may_change_the_document_but_not_its_access(site: Site) -> None:
    doc = Document(title="notes")
    doc.add_root(Slider(start=0, end=10, value=1, name="slider"))
    publish(
        doc, "notes", url=site.base, owner="ada", writers=["bob"], api_key=site.keys["ada"]
    ).close()
    editor = pull_session(site.doc_url("ada", "notes"), api_key=site.keys["bob"])
    editor.document.get_model_by_name("slider").value = 5  # bob writes ...
    editor.flush()
    editor.close()
    assert site.stored_value("ada", "notes") == 5
    again = Document(title="notes, by bob")
    again.add_root(Slider(start=0, end=10, value=6, name="slider"))
    publish(again, "notes", url=site.base, owner="ada", api_key=site.keys["bob"]).close()
    assert site.stored_value("ada", "notes") == 6  # ... and may republish the content
    with pytest.raises(SessionRefused, match=r"403.*only ada may choose"):
        publish(again, "notes", url=site.base, owner="ada", public=True, api_key=site.keys["bob"])
    with pytest.raises(SessionRefused, match=r"403.*only ada may choose"):
        publish(
            again,
            "notes",
            url=site.base,
            owner="ada",
            writers=["bob", "eve"],
            api_key=site.keys["bob"],
        )
    site.users.add_user("carol", PASSWORD)
    carol = site.users.create_api_key("carol")
    with pytest.raises(SessionRefused, match="403"):
        pull_session(site.doc_url("ada", "notes"), api_key=carol)
    publish(
        again, "notes", url=site.base, owner="ada", writers=[], api_key=site.keys["ada"]
    ).close()
    with pytest.raises(SessionRefused, match="403"):  # the owner took bob's right away
        pull_session(site.doc_url("ada", "notes"), api_key=site.keys["bob"])
    assert site.stored_value("ada", "notes") == 6
