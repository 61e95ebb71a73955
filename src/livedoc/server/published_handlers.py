"""HTTP and websocket endpoints of published documents.

GET /docs                          the published documents, as a page
GET /docs/<owner>/<name>           the document's page (every viewer shares the document)
WS  /docs/<owner>/<name>/ws        its websocket; `?publish=1` to create it with a PUSH-DOC,
                                   `&public=1|0` to set its visibility at the same time
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from tornado.web import HTTPError

from livedoc.protocol import CloseCode, Limits
from livedoc.server.connection import ServerConnection
from livedoc.server.handlers import PageErrors, bundle_urls, send_autoload
from livedoc.server.identity import SHARE, Identities, Refusal, credentials_in_header
from livedoc.server.pages import app_page
from livedoc.server.tokens_http import RequestRefused, token_for_request
from livedoc.server.ws import SESSION_OPEN_TIMEOUT, WebsocketHandler, _Transport
from livedoc.storage import DocumentKey, StoreError

if TYPE_CHECKING:
    from livedoc.server.origins import OriginPolicy
    from livedoc.server.published import PublishedDocuments
    from livedoc.server.settings import ServerSettings

__all__ = [
    "PublishedAutoloadHandler",
    "PublishedIndexHandler",
    "PublishedPageHandler",
    "PublishedWebsocketHandler",
    "ShareHandler",
]

log = logging.getLogger("livedoc.published")


def _key(owner: str, name: str) -> DocumentKey:
    try:
        return DocumentKey(owner, name)
    except StoreError as exc:
        raise HTTPError(404, reason=str(exc)) from None


class _PublishedBase(PageErrors):
    def initialize(
        self, published: PublishedDocuments, settings: ServerSettings, identities: Identities
    ) -> None:
        self.published = published
        self.server_settings = settings
        self.identities = identities


class PublishedPageHandler(_PublishedBase):
    async def get(self, owner: str, name: str) -> None:
        key = _key(owner, name)
        share = self.identities.share_token(self)
        shared = self.identities.shared(share, key)
        try:
            user = self.identities.identify(self)
            info = await self.published.info(key)
            self.identities.check(user, key, info, write=False, shared=shared)
        except Refusal as refusal:
            if refusal.status == 401 and self.request.method == "GET":
                prefix = self.server_settings.url_prefix
                self.redirect(f"{prefix}/login?{urlencode({'next': self.request.uri or '/'})}")
                return
            raise HTTPError(refusal.status, reason=refusal.reason) from None
        session = await self.published.session_for(key, create=False)
        if session is None:
            raise HTTPError(404, reason=f"no published document {key.path!r}")
        grants = {SHARE: share} if shared and share else None
        try:
            token, _ = token_for_request(self.request, self.server_settings, grants)
        except RequestRefused as exc:
            raise HTTPError(exc.status, reason=str(exc)) from None
        page = app_page(
            title=session.document.title,
            bundle_urls=bundle_urls(self.server_settings.url_prefix),
            token=token,
            root_ids=[root.id for root in session.document.roots],
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


class PublishedAutoloadHandler(_PublishedBase):
    """`/docs/<owner>/<name>/autoload.js`: embeds the published document in another page."""

    def set_default_headers(self) -> None:
        self.set_header("Access-Control-Allow-Origin", "*")

    async def get(self, owner: str, name: str) -> None:
        key = _key(owner, name)
        element_id = self.get_query_argument("bokeh-autoload-element", None)
        if not element_id:
            raise HTTPError(400, reason="No bokeh-autoload-element query parameter")
        try:
            user = self.identities.identify(self)
            self.identities.check(user, key, await self.published.info(key), write=False)
        except Refusal as refusal:
            raise HTTPError(refusal.status, reason=refusal.reason) from None
        if await self.published.session_for(key, create=False) is None:
            raise HTTPError(404, reason=f"no published document {key.path!r}")
        path = f"{self.server_settings.url_prefix}/docs/{key.path}"
        absolute_url = self.get_query_argument(
            "bokeh-absolute-url", f"{self.request.protocol}://{self.request.host}{path}"
        )
        try:
            token, _ = token_for_request(self.request, self.server_settings)
        except RequestRefused as exc:
            raise HTTPError(exc.status, reason=str(exc)) from None
        send_autoload(self, self.server_settings, token, element_id, path, absolute_url)


class ShareHandler(_PublishedBase):
    """`POST /docs/<owner>/<name>/share`: the owner gets a read-only link for anyone."""

    def check_xsrf_cookie(self) -> None:
        if not credentials_in_header(self):
            super().check_xsrf_cookie()

    async def post(self, owner: str, name: str) -> None:
        key = _key(owner, name)
        info = await self.published.info(key)
        if info is None:
            raise HTTPError(404, reason=f"no published document {key.path!r}")
        try:
            user = self.identities.identify(self)
            self.identities.check(user, key, info, write=True)
        except Refusal as refusal:
            raise HTTPError(refusal.status, reason=refusal.reason) from None
        if not self.identities.policy.requires_login:
            raise HTTPError(400, reason="share links need --multi-user; here everyone may read")
        token = self.identities.users.create_share_token(key.owner, key.name)
        url = f"{self.request.protocol}://{self.request.host}"
        url += f"{self.server_settings.url_prefix}/docs/{key.path}?share={token}"
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"token": token, "url": url}))


class PublishedIndexHandler(_PublishedBase):
    async def get(self) -> None:
        prefix = self.server_settings.url_prefix
        try:
            user = self.identities.identify(self)
        except Refusal as refusal:
            raise HTTPError(refusal.status, reason=refusal.reason) from None
        policy = self.identities.policy
        items = "\n".join(
            f'<li><a href="{prefix}/docs/{html.escape(info.key.path)}">'
            f"{html.escape(info.key.path)}</a>{' (public)' if info.public else ''}</li>"
            for info in await self.published.store.list()
            if policy.can_read(user, info.key, info)
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>published documents</title></head>\n"
            f"<body><h1>published documents</h1>\n<ul>\n{items}\n</ul></body></html>\n"
        )


class PublishedWebsocketHandler(WebsocketHandler):
    """The Bokeh protocol on a published document's shared session."""

    def initialize(  # type: ignore[override]
        self,
        published: PublishedDocuments,
        settings: ServerSettings,
        identities: Identities,
        origins: OriginPolicy,
        publishing: bool = False,
    ) -> None:
        super().initialize(None, settings, origins)  # type: ignore[arg-type]
        self.published = published
        self.identities = identities
        self.publishing = publishing
        self.writable = False

    async def prepare(self) -> None:
        await super().prepare()  # origin and token checks
        if self._finished:
            return
        owner, name = self.path_args[:2]
        try:
            key = DocumentKey(owner, name)
        except StoreError as exc:
            self._refuse(404, str(exc))
            return
        info = await self.published.info(key)
        extra = self.token.extra if self.token is not None else None
        shared = self.identities.shared(self.identities.share_token(self, extra), key)
        try:
            user = self.identities.identify(self)
            self.identities.check(user, key, info, write=self.publishing, shared=shared)
        except Refusal as refusal:
            log.info(
                "refused %s of %s: %s", "publishing" if self.publishing else "viewing", key, refusal
            )
            self._refuse(refusal.status, refusal.reason)
            return
        self.writable = self.identities.policy.can_write(user, key, info)
        chooses = any(self.get_query_argument(q, None) is not None for q in ("public", "writers"))
        if (
            self.publishing
            and chooses
            and info is not None
            and user != key.owner
            and self.identities.policy.requires_login
        ):  # writers may change the content, not who sees or changes it
            self._refuse(403, f"only {key.owner} may choose who sees or changes {key}")
            return
        if not self.publishing and await self.published.session_for(key, create=False) is None:
            self._refuse(404, f"no published document {key.path!r}")

    async def open(self, owner: str, name: str) -> None:
        self.configure_socket()
        try:
            key = DocumentKey(owner, name)
        except StoreError as exc:
            self.close(CloseCode.BAD_TOKEN, str(exc)[:120])
            return
        publishing = self.publishing
        public = self.get_query_argument("public", None)
        writers = self.get_query_argument("writers", None)
        try:
            session = await asyncio.wait_for(
                self.published.session_for(key, create=publishing), SESSION_OPEN_TIMEOUT
            )
        except Exception:
            log.exception("published document %s could not be opened", key)
            self.close(
                CloseCode.SERVER_ERROR, "the document could not be opened; see the server log"
            )
            return
        if session is None:
            self.close(CloseCode.SERVER_ERROR, f"no published document {key.path!r}")
            return
        if publishing:
            self.published.request_settings(
                key,
                None if public is None else public == "1",
                None if writers is None else [w for w in writers.split(",") if w],
            )
        limits = Limits(max_message_size=self.server_settings.websocket_max_message_size)
        self.connection = ServerConnection(session, _Transport(self), limits)
        self.connection.read_only = not self.writable
        self.connection.open()
