"""`livedoc serve`: serve apps (scripts, notebooks, directories) over the Bokeh protocol."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from livedoc.application import Application

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Serve live documents. Each APP is a Python script, a Jupyter notebook, or a directory with
main.py (optionally app_hooks.py, static/, templates/index.html); each is served at
/<its name>. Every browser tab gets its own session: the app code runs for it, and the page
stays in sync with the Python document both ways. With no APP, an empty document is served at
/ for clients to push to (as `bokeh serve` does).

environment:
  LIVEDOC_SECRET_KEY       secret for --session-ids signed / external-signed
  LIVEDOC_ALLOW_WS_ORIGIN  comma-separated websocket origins (like --allow-websocket-origin)
  LIVEDOC_TOKEN            the Jupyter API's token (like --token)
"""


def add_parser(subparsers: Any) -> None:
    from livedoc.server.settings import ServerSettings

    help_for = ServerSettings.help_for
    parser = subparsers.add_parser(
        "serve",
        help="serve apps to browsers and Python clients",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "apps", nargs="*", metavar="APP", help="app scripts, notebooks or directories"
    )
    parser.add_argument(
        "--args",
        nargs=argparse.REMAINDER,
        default=[],
        help="arguments passed to the apps (sys.argv)",
    )
    network = parser.add_argument_group("network")
    network.add_argument("--address", default="127.0.0.1", help=help_for("address"))
    network.add_argument("--port", type=int, default=5006, help=help_for("port"))
    network.add_argument("--prefix", default="", help=help_for("prefix"))
    network.add_argument("--num-procs", type=int, default=1, help=help_for("num_procs"))
    sessions = parser.add_argument_group("sessions")
    sessions.add_argument(
        "--session-ids",
        choices=["unsigned", "signed", "external-signed"],
        default="unsigned",
        help=help_for("session_ids"),
    )
    sessions.add_argument(
        "--session-token-expiration",
        type=float,
        default=300.0,
        help=help_for("session_token_expiration"),
    )
    sessions.add_argument(
        "--unused-session-lifetime",
        type=float,
        default=15.0,
        help=help_for("unused_session_lifetime"),
    )
    sessions.add_argument(
        "--check-unused-sessions", type=float, default=17.0, help=help_for("check_unused_sessions")
    )
    websocket = parser.add_argument_group("websocket")
    websocket.add_argument(
        "--allow-websocket-origin",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help=help_for("allow_websocket_origin"),
    )
    websocket.add_argument("--keep-alive", type=float, default=37.0, help=help_for("keep_alive"))
    websocket.add_argument(
        "--websocket-max-message-size",
        type=int,
        default=20 * 1024 * 1024,
        help=help_for("websocket_max_message_size"),
    )
    websocket.add_argument(
        "--websocket-max-write-buffer",
        type=int,
        default=64 * 1024 * 1024,
        help=help_for("websocket_max_write_buffer"),
    )
    published = parser.add_argument_group("published documents (/docs/<owner>/<name>)")
    published.add_argument("--storage", default="default", help=help_for("storage"))
    published.add_argument("--multi-user", action="store_true", help=help_for("multi_user"))
    published.add_argument("--users", default="default", help=help_for("users"))
    isolation = parser.add_argument_group("where session code runs")
    isolation.add_argument(
        "--isolation", choices=["inline", "kernel"], default="inline", help=help_for("isolation")
    )
    isolation.add_argument(
        "--callback-timeout",
        type=float,
        metavar="SECONDS",
        default=0.0,
        help=help_for("callback_timeout"),
    )
    jupyter = parser.add_argument_group("kernels and the Jupyter API (/api/kernels, ...)")
    jupyter.add_argument("--token", default=None, help=help_for("token"))
    jupyter.add_argument("--root-dir", default=".", help=help_for("root_dir"))
    jupyter.add_argument("--session-db", default=":memory:", help=help_for("session_db"))
    jupyter.add_argument(
        "--default-kernel-name", default="python3", help=help_for("default_kernel_name")
    )
    jupyter.add_argument(
        "--kernel-pool",
        type=int,
        default=None,
        metavar="N",
        help=help_for("kernel_pool") + " Default: 2 with --isolation kernel, else 0.",
    )
    jupyter.add_argument(
        "--shutdown-wait-time",
        type=float,
        metavar="SECONDS",
        default=5.0,
        help=help_for("shutdown_wait_time"),
    )
    jupyter.add_argument("--restart-limit", type=int, default=5, help=help_for("restart_limit"))
    jupyter.add_argument(
        "--time-to-dead", type=float, metavar="SECONDS", default=3.0, help=help_for("time_to_dead")
    )
    jupyter.add_argument(
        "--kernel-info-timeout",
        type=float,
        metavar="SECONDS",
        default=60.0,
        help=help_for("kernel_info_timeout"),
    )
    jupyter.add_argument(
        "--iopub-msg-rate-limit", type=float, default=1000.0, help=help_for("iopub_msg_rate_limit")
    )
    jupyter.add_argument(
        "--iopub-data-rate-limit",
        type=float,
        default=1_000_000.0,
        help=help_for("iopub_data_rate_limit"),
    )
    jupyter.add_argument(
        "--rate-limit-window",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help=help_for("rate_limit_window"),
    )
    jupyter.add_argument(
        "--cull-idle-timeout",
        type=float,
        metavar="SECONDS",
        default=0.0,
        help=help_for("cull_idle_timeout"),
    )
    jupyter.add_argument(
        "--cull-interval",
        type=float,
        metavar="SECONDS",
        default=300.0,
        help=help_for("cull_interval"),
    )
    jupyter.add_argument("--cull-connected", action="store_true", help=help_for("cull_connected"))
    jupyter.add_argument("--cull-busy", action="store_true", help=help_for("cull_busy"))
    request = parser.add_argument_group("what app code sees of the page request")
    request.add_argument(
        "--include-headers", nargs="+", default=None, help=help_for("include_headers")
    )
    request.add_argument(
        "--exclude-headers", nargs="+", default=[], help=help_for("exclude_headers")
    )
    request.add_argument(
        "--include-cookies", nargs="+", default=None, help=help_for("include_cookies")
    )
    request.add_argument(
        "--exclude-cookies", nargs="+", default=[], help=help_for("exclude_cookies")
    )
    pages = parser.add_argument_group("pages and logs")
    pages.add_argument(
        "--disable-index-redirect",
        action="store_true",
        help="with a single app, list it at / instead of redirecting",
    )
    pages.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help=help_for("log_level"),
    )
    parser.set_defaults(command=run)


def _route_name(path: str) -> str:
    name = os.path.basename(os.path.normpath(path))
    stem, _ = os.path.splitext(name)
    return stem or "app"


def build_apps(paths: list[str], argv: list[str]) -> dict[str, Application]:
    from livedoc.application import build_application, empty_application

    if not paths:
        return {"/": empty_application()}
    apps: dict[str, Application] = {}
    for path in paths:
        route = "/" + _route_name(path)
        if route in apps:
            raise ValueError(f"two apps would both be served at {route}: rename one of them")
        apps[route] = build_application(path, argv)
    return apps


def run(args: argparse.Namespace, out: TextIO) -> int:
    from livedoc.errors import LivedocError
    from livedoc.server.server import Server
    from livedoc.server.settings import ServerSettings

    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    options = {
        field.name: getattr(args, field.name)
        for field in fields(ServerSettings)
        if hasattr(args, field.name)
    }
    options["allow_websocket_origin"] = tuple(args.allow_websocket_origin)
    for name in ("include_headers", "include_cookies"):
        options[name] = tuple(options[name]) if options[name] is not None else None
    for name in ("exclude_headers", "exclude_cookies"):
        options[name] = tuple(options[name])
    options["index_redirect"] = not args.disable_index_redirect
    if options.get("kernel_pool") is None:
        options["kernel_pool"] = 2 if args.isolation == "kernel" else 0
    try:
        settings = ServerSettings.from_environment(**options)
        apps = build_apps(list(args.apps), list(args.args))
        server = Server(apps, settings)
        server.bind()
    except (LivedocError, ValueError, OSError) as exc:
        print(f"livedoc serve: {exc}", file=sys.stderr)
        return 2
    for application in apps.values():
        for handler in application.handlers:
            if handler.failed:
                print(f"livedoc serve: warning: {handler.error}", file=sys.stderr)
    for url in apps:
        print(f"livedoc: open {server.url_for(url)}", file=out, flush=True)
    print(f"livedoc: Jupyter API at {server.jupyter_url(redact=True)}", file=out, flush=True)
    server.run()
    return 0
