"""HTTP endpoints: app pages, metadata, autoload.js, the index, static files.

Handlers are thin: they parse the request, ask the application context for a session, and
format the answer. A refused request gets a clear status and message; an internal failure is
logged with its traceback and the client sees only that it failed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from tornado.web import HTTPError, RequestHandler, StaticFileHandler

from livedoc.bokehjs import JS_DIR, bundle_paths
from livedoc.server.pages import app_page, autoload_script, error_page, index_page
from livedoc.server.tokens_http import RequestRefused, token_for_request

if TYPE_CHECKING:
    from pathlib import Path

    from livedoc.server.contexts import ApplicationContext
    from livedoc.server.settings import ServerSettings

__all__ = [
    "AutoloadHandler",
    "DocHandler",
    "FaviconHandler",
    "IndexHandler",
    "MetadataHandler",
    "PageErrors",
    "VersionedStaticHandler",
    "bundle_urls",
    "send_autoload",
]

log = logging.getLogger("livedoc.server")


@cache
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def bundle_urls(prefix: str, base: str = "") -> list[str]:
    """The bundle URLs in load order, cache-busted by content hash (`?v=`)."""
    return [
        f"{base}{prefix}/static/js/{path.name}?v={_digest(path)}"
        for path in bundle_paths().values()
    ]


class PageErrors(RequestHandler):
    """Errors as a small HTML page with the reason; never a traceback (the log has it)."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason if status_code != 500 else "the server failed; see its log"
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(error_page(status_code, reason))


class _Base(PageErrors):
    def initialize(self, app_context: ApplicationContext, settings: ServerSettings) -> None:
        self.app_context = app_context
        self.server_settings = settings

    async def _session(self) -> tuple[str, Any]:
        try:
            token, payload = token_for_request(self.request, self.server_settings)
        except RequestRefused as exc:
            raise HTTPError(exc.status, reason=str(exc)) from None
        session = await self.app_context.session_for(payload, self.request)
        return token, session


class DocHandler(_Base):
    """`<prefix>/<app>`: a new session (or the one named in the URL) rendered as a page."""

    async def get(self) -> None:
        token, session = await self._session()
        page = app_page(
            title=session.document.title,
            bundle_urls=bundle_urls(self.server_settings.url_prefix),
            token=token,
            root_ids=[root.id for root in session.document.roots],
            error=self.app_context.error_for(session),
            template=self.app_context.template(),
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


class MetadataHandler(_Base):
    """`<prefix>/<app>/metadata`: the app's URL and metadata as JSON."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"url": self.app_context.url, "data": self.app_context.metadata}))


class AutoloadHandler(_Base):
    """`<prefix>/<app>/autoload.js`: embeds a session into another site's page."""

    def set_default_headers(self) -> None:
        self.set_header("Access-Control-Allow-Headers", "*")
        self.set_header("Access-Control-Allow-Methods", "PUT, GET, OPTIONS")
        self.set_header("Access-Control-Allow-Origin", "*")

    def _cors(self) -> None:
        origin = self.request.headers.get("Origin")
        if origin and self.app_context.origins.origin_listed(origin):
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Access-Control-Allow-Credentials", "true")
            self.set_header("Vary", "Origin")

    def options(self) -> None:
        self._cors()
        self.set_status(204)
        self.finish()

    async def get(self) -> None:
        self._cors()
        element_id = self.get_query_argument("bokeh-autoload-element", None)
        if not element_id:
            raise HTTPError(400, reason="No bokeh-autoload-element query parameter")
        app_path = self.get_query_argument("bokeh-app-path", self.app_context.url)
        absolute_url = self.get_query_argument(
            "bokeh-absolute-url",
            f"{self.request.protocol}://{self.request.host}{self.app_context.url}",
        )
        token, _ = await self._session()
        send_autoload(self, self.server_settings, token, element_id, app_path, absolute_url)


def send_autoload(
    handler: RequestHandler,
    settings: ServerSettings,
    token: str,
    element_id: str,
    app_path: str,
    absolute_url: str,
) -> None:
    """Answer with the autoload script; bundles load from the embedding URL's origin."""
    from urllib.parse import urlsplit

    parts = urlsplit(absolute_url)
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    handler.set_header("Content-Type", "application/javascript")
    handler.finish(
        autoload_script(
            bundle_urls=bundle_urls(settings.url_prefix, base),
            token=token,
            element_id=element_id,
            app_path=app_path,
            absolute_url=absolute_url,
        )
    )


class IndexHandler(RequestHandler):
    """`<prefix>/`: a redirect to the only app, or a list of the apps."""

    def initialize(self, apps: list[tuple[str, str]], redirect: bool) -> None:
        self.apps = apps
        self.redirect_single = redirect

    def get(self) -> None:
        if self.redirect_single and len(self.apps) == 1:
            self.redirect(self.apps[0][1])
            return
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(index_page(self.apps))


# A 16x16 SVG dot in livedoc blue, so browsers get no 404 for /favicon.ico.
FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<circle cx="8" cy="8" r="7" fill="#1f77b4"/></svg>'
)


class FaviconHandler(RequestHandler):
    """The site icon (browsers ask for it on every app page)."""

    def get(self) -> None:
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "max-age=86400")
        self.finish(FAVICON)


class VersionedStaticHandler(StaticFileHandler):
    """BokehJS bundles: immutable for a given `?v=` hash, so cached for a long time."""

    def set_extra_headers(self, path: str) -> None:
        if self.get_query_argument("v", None):
            self.set_header("Cache-Control", "max-age=315360000, public, immutable")


STATIC_ROOT = JS_DIR.parent
