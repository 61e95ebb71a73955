"""`publish()`: put a document on a server under a name, and keep it live.

    pub = publish(doc, "sensors", url="http://127.0.0.1:5006/", public=True)
    print(pub.url)                       # http://127.0.0.1:5006/docs/local/sensors
    source.stream(new_rows)              # every viewer sees the rows; the server stores them
    pub.flush()                          # ... acknowledged: durable on the server

Publishing again under the same name replaces the stored content. The document stays stored
after the script ends; viewers keep seeing it, and a later `pull_session(pub.url)` reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

from livedoc.client.background import BlockingSession, push_session
from livedoc.client.credentials import find_api_key
from livedoc.client.rest import post_json
from livedoc.client.urls import DEFAULT_URL

if TYPE_CHECKING:
    from collections.abc import Sequence

    from livedoc.document import Document

__all__ = ["LOCAL_OWNER", "Publication", "publish"]

#: The owner of documents on a single-user server (the default: local use needs no login).
LOCAL_OWNER = "local"


class Publication:
    """A published document: its page `url`, and the live `session` that keeps it in sync."""

    def __init__(self, url: str, session: BlockingSession, api_key: str | None = None) -> None:
        self.url = url
        self.session = session
        self.api_key = api_key

    @property
    def document(self) -> Document:
        return self.session.document

    def flush(self, timeout: float | None = 30) -> None:
        """Block until the server has stored every change made so far."""
        self.session.flush(timeout)

    def share(self) -> str:
        """A read-only link to this (private) document for anyone who has it, from a
        `--multi-user` server; needs this publication's API key (the owner's)."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        link: str = post_json(f"{self.url}/share", headers)["url"]
        return link

    def close(self) -> None:
        """Stop syncing (the document stays published)."""
        self.session.close()

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"<Publication {self.url}>"


def document_url(server: str, owner: str, name: str) -> str:
    """`http://host:port/<prefix>` + `/docs/<owner>/<name>`."""
    parts = urlsplit(server)
    path = parts.path.rstrip("/") + f"/docs/{owner}/{name}"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def publish(
    document: Document,
    name: str,
    *,
    url: str = DEFAULT_URL,
    owner: str = LOCAL_OWNER,
    public: bool | None = None,
    writers: Sequence[str] | None = None,
    api_key: str | None = None,
    timeout: float = 10.0,
) -> Publication:
    """Publish `document` on the server at `url` as `<owner>/<name>`; returns its Publication
    (`str(publication)` is the page URL). Changes to `document` keep reaching every viewer,
    and viewers' changes come back, until `close()`.

    `public=True` lets anyone read it; `writers` names the users besides the owner who may
    change it; None keeps what a document published before has (a new one is private, with no
    writers), and only the owner may choose either. On a `--multi-user` server, `api_key` is
    your key (default: what `livedoc login` stored); a writer publishes under the owner's name."""
    page = document_url(url, owner, name)
    query = {}
    if public is not None:
        query["public"] = "1" if public else "0"
    if writers is not None:
        query["writers"] = ",".join(writers)
    target = f"{page}/publish" + (f"?{urlencode(query)}" if query else "")
    session = push_session(document, target, api_key=api_key, timeout=timeout)
    return Publication(page, session, api_key or find_api_key(url))
