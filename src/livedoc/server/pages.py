"""The HTML and JavaScript the server sends: app pages, autoload scripts, the index, embeds.

An app page needs only three things (spec §5.2-5.3): the BokehJS bundles of one build, in order,
one element per document root, and a call to `Bokeh.embed.embed_items('{}', [item])` where the
item carries the session token. BokehJS then opens `<page path>/ws` itself.

Everything interpolated into HTML is escaped; everything put into a script is JSON with `</`
broken up, so no value can end the script element early.
"""

from __future__ import annotations

import html
import json
import secrets
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "app_page",
    "autoload_script",
    "error_page",
    "index_page",
    "script_json",
    "server_document",
]


def script_json(value: Any) -> str:
    """JSON safe to place inside a `<script>` element."""
    return json.dumps(value).replace("</", "<\\/").replace("<!--", "<\\!--")


def _element_id() -> str:
    return "ld-" + secrets.token_hex(8)


_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>$title</title>
<style>html, body { box-sizing: border-box; display: flow-root; height: 100%; margin: 0; padding: 0; }
.livedoc-error { margin: 1em; padding: 1em; border: 2px solid #c0392b; background: #fdecea;
  font-family: sans-serif; white-space: pre-wrap; }</style>
$scripts
</head>
<body>
$error$roots
<script type="text/javascript">
(function () {
  function embed() {
    Bokeh.set_log_level("info");
    Bokeh.embed.embed_items("{}", [$item]);
  }
  if (document.readyState !== "loading") { embed(); } else { document.addEventListener("DOMContentLoaded", embed); }
})();
</script>
</body>
</html>
""")


def _scripts(bundle_urls: Sequence[str]) -> str:
    return "\n".join(
        f'<script type="text/javascript" src="{html.escape(url)}"></script>' for url in bundle_urls
    )


def _error_box(error: str | None) -> str:
    if not error:
        return ""
    return f'<div class="livedoc-error" role="alert">This app failed: {html.escape(error)}</div>\n'


def app_page(
    *,
    title: str,
    bundle_urls: Sequence[str],
    token: str,
    root_ids: Sequence[str],
    error: str | None = None,
    template: str | None = None,
    template_variables: Mapping[str, str] | None = None,
) -> str:
    """The page of one session. `template` is a directory app's `templates/index.html`.

    In a template, `{{ bokeh_js }}` becomes the script tags, `{{ plot_div }}` the root elements,
    `{{ plot_script }}` the embedding script and `{{ title }}` the escaped title; any other
    `{{ name }}` comes from `template_variables` (escaped). Without `{{ plot_script }}` the
    embedding script is added before `</body>`.
    """
    element_ids = [_element_id() for _ in root_ids]
    roots = "".join(
        f'<div id="{element}" data-root-id="{html.escape(root)}" style="display: contents;"></div>\n'
        for element, root in zip(element_ids, root_ids, strict=True)
    )
    item = {
        "token": token,
        "roots": dict(zip(root_ids, element_ids, strict=True)),
        "root_ids": list(root_ids),
        "use_for_title": True,
    }
    page = _PAGE.substitute(
        title=html.escape(title),
        scripts=_scripts(bundle_urls),
        error=_error_box(error),
        roots=roots,
        item=script_json(item),
    )
    if template is None:
        return page
    script = page[page.index('<script type="text/javascript">\n(function') : page.index("</body>")]
    values = {key: html.escape(value) for key, value in (template_variables or {}).items()}
    values.update(
        bokeh_js=_scripts(bundle_urls),
        plot_div=_error_box(error) + roots,
        plot_script=script,
        title=html.escape(title),
    )
    rendered = _render_template(template, values)
    if "{{ plot_script }}" not in template.replace("{{plot_script}}", "{{ plot_script }}"):
        rendered = (
            rendered.replace("</body>", script + "</body>")
            if "</body>" in rendered
            else rendered + script
        )
    return rendered


def _render_template(template: str, values: Mapping[str, str]) -> str:
    out = template
    for name, value in values.items():
        out = out.replace("{{ " + name + " }}", value).replace("{{" + name + "}}", value)
    return out


_AUTOLOAD = Template("""(function (root) {
  var js_urls = $js_urls;
  var item = $item;
  var app_path = $app_path;
  var absolute_url = $absolute_url;
  function embed() { root.Bokeh.embed.embed_items("{}", [item], app_path, absolute_url); }
  function load(urls, done) {
    if (urls.length === 0) { done(); return; }
    var script = document.createElement("script");
    script.src = urls[0];
    script.async = false;
    script.onload = function () { load(urls.slice(1), done); };
    script.onerror = function () { console.error("livedoc: failed to load " + urls[0]); };
    document.head.appendChild(script);
  }
  if (root.Bokeh !== undefined && root.Bokeh.embed !== undefined) { embed(); } else { load(js_urls, embed); }
})(window);
""")


def autoload_script(
    *, bundle_urls: Sequence[str], token: str, element_id: str, app_path: str, absolute_url: str
) -> str:
    """The script `<app>/autoload.js` returns: loads the bundles if needed, embeds the session."""
    item = {"token": token, "elementid": element_id, "use_for_title": False}
    return _AUTOLOAD.substitute(
        js_urls=script_json(list(bundle_urls)),
        item=script_json(item),
        app_path=script_json(app_path),
        absolute_url=script_json(absolute_url),
    )


def server_document(url: str, arguments: Mapping[str, str] | None = None) -> str:
    """A `<script>` tag that embeds a new session of the app at `url` into any page.

    `url` is the app's full URL (`http://host:5006/app`); `arguments` become query arguments the
    app sees in `session_context.request.arguments`.
    """
    base = url.rstrip("/")
    element_id = _element_id()
    query = {
        "bokeh-autoload-element": element_id,
        "bokeh-app-path": urlsplit(base).path or "/",
        "bokeh-absolute-url": base,
        **(arguments or {}),
    }
    src = f"{base}/autoload.js?{urlencode(query)}"
    return f'<script id="{element_id}" src="{html.escape(src)}"></script>'


def index_page(apps: Sequence[tuple[str, str]], *, title: str = "livedoc") -> str:
    """A page listing the apps as links: (name, url) pairs."""
    items = "\n".join(
        f'<li><a href="{html.escape(url)}">{html.escape(name)}</a></li>' for name, url in apps
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>\n'
        f"<body><h1>{html.escape(title)}</h1>\n<ul>\n{items}\n</ul></body></html>\n"
    )


def error_page(status: int, message: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{status}</title></head>\n'
        f'<body><div class="livedoc-error" role="alert">{html.escape(message)}</div></body></html>\n'
    )
