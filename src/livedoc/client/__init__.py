"""The Python client: a local Document kept in sync with a server session, both ways.

from livedoc.client import pull_session, push_session
session = push_session(doc, "http://127.0.0.1:5006/")      # plain scripts: blocking API
session = await ClientSession.open(url, document=doc)       # notebooks, async code
"""

from __future__ import annotations

from livedoc.client.background import (
    BlockingSession as BlockingSession,
    pull_session as pull_session,
    push_session as push_session,
)
from livedoc.client.publishing import Publication as Publication, publish as publish
from livedoc.client.session import ClientSession as ClientSession
from livedoc.client.urls import DEFAULT_URL as DEFAULT_URL, websocket_url as websocket_url
from livedoc.errors import (
    ClientError as ClientError,
    ServerUnreachable as ServerUnreachable,
    SessionRefused as SessionRefused,
)

__all__ = [
    "DEFAULT_URL",
    "BlockingSession",
    "ClientError",
    "ClientSession",
    "Publication",
    "ServerUnreachable",
    "SessionRefused",
    "publish",
    "pull_session",
    "push_session",
    "websocket_url",
]
