"""Server settings: one frozen dataclass, each option typed, documented and validated.

The command line maps onto these fields one to one (`livedoc serve --help` prints the same
help texts). Environment variables override the defaults, command-line options override both:
`LIVEDOC_SECRET_KEY` (the key for signed session ids and tokens),
`LIVEDOC_ALLOW_WS_ORIGIN` (a comma-separated origin allowlist) and `LIVEDOC_TOKEN` (the
Jupyter API's token).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from livedoc.protocol.tokens import DEFAULT_TOKEN_LIFETIME

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ServerSettings", "SessionIds", "default_data_dir", "storage_url", "users_url"]

SessionIds = Literal["unsigned", "signed", "external-signed"]


def _option(default: Any, help: str, **kwargs: Any) -> Any:
    return field(default=default, metadata={"help": help, **kwargs})


@dataclass(frozen=True)
class ServerSettings:
    # Network
    address: str = _option("127.0.0.1", "Address to listen on (use 0.0.0.0 for every interface).")
    port: int = _option(5006, "Port to listen on (0 picks a free port).")
    prefix: str = _option("", "URL prefix for every route, e.g. 'apps' serves /apps/<app>.")
    num_procs: int = _option(
        1, "Worker processes sharing the port (0: one per CPU; any process serves any token)."
    )
    # Sessions
    session_ids: SessionIds = _option(
        "unsigned",
        "unsigned: any id; signed: ids are signed with LIVEDOC_SECRET_KEY; external-signed: as "
        "signed, but the server never makes ids (an external page must supply them).",
    )
    secret_key: str | None = _option(None, "Secret for signing (default: $LIVEDOC_SECRET_KEY).")
    session_token_expiration: float = _option(
        DEFAULT_TOKEN_LIFETIME,
        "Seconds a session token stays valid (page load to websocket, reconnects).",
    )
    unused_session_lifetime: float = _option(
        15.0, "Seconds a session with no connection is kept before it is discarded."
    )
    check_unused_sessions: float = _option(17.0, "Seconds between checks for unused sessions.")
    # Websocket
    allow_websocket_origin: tuple[str, ...] = _option(
        (),
        "Origins (host[:port], * wildcards) allowed to open websockets; default localhost:<port>.",
    )
    keep_alive: float = _option(37.0, "Seconds between websocket pings (0 disables them).")
    websocket_max_message_size: int = _option(
        20 * 1024 * 1024, "Largest incoming message, in bytes."
    )
    websocket_max_write_buffer: int = _option(
        64 * 1024 * 1024,
        "Bytes a connection may have waiting to be sent; a client that stops reading past this"
        " is disconnected instead of growing the server's memory.",
    )
    # Published documents
    storage: str = _option(
        "default",
        "Where published documents are kept: memory://, sqlite:///path/to/file.db, or default"
        " (sqlite: documents.db in $LIVEDOC_DATA_DIR, else ~/.local/share/livedoc; the file is"
        " made when the first document is published or viewed).",
    )
    multi_user: bool = _option(
        False,
        "Users log in (livedoc user add; a login page; API keys for scripts): owners write their"
        " documents, public ones are readable by anyone, private ones by their owner only."
        " Without it, local use needs no login and everyone may do everything.",
    )
    users: str = _option(
        "default",
        "Where users and API keys are kept (with --multi-user): sqlite:///path/users.db,"
        " memory://, or default (users.db in the data directory).",
    )
    # Where session code runs
    isolation: Literal["inline", "kernel"] = _option(
        "inline",
        "inline: every session's app code runs in the server process (fastest, as bokeh serve);"
        " kernel: each session runs in a kernel process of its own, so a blocking or crashing"
        " session stalls only itself (kernels come from --kernel-pool).",
    )
    callback_timeout: float = _option(
        0.0,
        "With --isolation kernel: interrupt a callback that runs longer than this many seconds"
        " and log it (0: never).",
    )
    # Kernels and the Jupyter API (/api/kernels, /api/sessions, /api/contents, ...)
    token: str | None = _option(
        None,
        "Token for the Jupyter API: clients send `Authorization: token <t>` or `?token=<t>`."
        " Default: $LIVEDOC_TOKEN, else a random one, printed at start-up with the URL. An"
        " empty token turns authentication off (only on a machine nobody else can reach).",
    )
    root_dir: str = _option(
        ".", "Directory that /api/contents serves and that kernels start in (by default)."
    )
    session_db: str = _option(
        ":memory:", "Where Jupyter session records are kept: :memory: or an SQLite file."
    )
    default_kernel_name: str = _option("python3", "Kernel spec used when none is named.")
    kernel_pool: int = _option(
        0, "Kernels started ahead of need (and refilled), so a session in a kernel opens fast."
    )
    shutdown_wait_time: float = _option(
        5.0,
        "Seconds a kernel gets to exit after shutdown_request: SIGTERM after half, SIGKILL to"
        " its process group after all of it.",
    )
    restart_limit: int = _option(
        5, "Times in a row a dead kernel is restarted before it is given up as dead."
    )
    time_to_dead: float = _option(3.0, "Seconds between checks that each kernel is alive.")
    kernel_info_timeout: float = _option(
        60.0, "Seconds a starting or restarting kernel has to answer kernel_info."
    )
    iopub_msg_rate_limit: float = _option(
        1000.0,
        "Kernel messages per second a Jupyter client gets at most (averaged over"
        " --rate-limit-window); past it, output is dropped for a moment and the client told"
        " (0: no limit).",
    )
    iopub_data_rate_limit: float = _option(
        1_000_000.0,
        "Bytes per second of kernel output a Jupyter client gets at most (0: no limit).",
    )
    rate_limit_window: float = _option(3.0, "Seconds over which the iopub rates are averaged.")
    cull_idle_timeout: float = _option(
        0.0, "Shut down kernels idle this many seconds (0: never), as Jupyter's option."
    )
    cull_interval: float = _option(300.0, "Seconds between checks for idle kernels.")
    cull_connected: bool = _option(False, "Also cull idle kernels that have clients connected.")
    cull_busy: bool = _option(False, "Also cull kernels that are busy.")
    # Requests exposed to app code through the token
    include_headers: tuple[str, ...] | None = _option(
        None, "Only these request headers go to the app."
    )
    exclude_headers: tuple[str, ...] = _option((), "Request headers not passed to the app.")
    include_cookies: tuple[str, ...] | None = _option(None, "Only these cookies go to the app.")
    exclude_cookies: tuple[str, ...] = _option((), "Cookies not passed to the app.")
    # Pages
    index_redirect: bool = _option(True, "With a single app, redirect / to it.")
    log_level: str = _option("info", "Log level: debug, info, warning, error.")

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be 0..65535, not {self.port}")
        if self.num_procs < 0:
            problems.append("num_procs must not be negative")
        if self.session_ids not in ("unsigned", "signed", "external-signed"):
            problems.append(
                f"session_ids must be unsigned, signed or external-signed, not {self.session_ids!r}"
            )
        if self.signed and not self.secret_key:
            problems.append(
                f"--session-ids {self.session_ids} needs a secret key: set LIVEDOC_SECRET_KEY"
            )
        for name in (
            "session_token_expiration",
            "unused_session_lifetime",
            "check_unused_sessions",
        ):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be above 0")
        if self.keep_alive < 0:
            problems.append("keep_alive must not be negative")
        if self.websocket_max_message_size < 1024:
            problems.append("websocket_max_message_size must be at least 1024 bytes")
        if self.websocket_max_write_buffer < 64 * 1024:
            problems.append("websocket_max_write_buffer must be at least 65536 bytes")
        if self.isolation not in ("inline", "kernel"):
            problems.append(f"isolation must be inline or kernel, not {self.isolation!r}")
        if self.callback_timeout < 0:
            problems.append("callback_timeout must not be negative")
        if self.kernel_pool < 0:
            problems.append("kernel_pool must not be negative")
        if self.rate_limit_window <= 0:
            problems.append("rate_limit_window must be above 0")
        if self.time_to_dead <= 0:
            problems.append("time_to_dead must be above 0")
        for name in (
            "shutdown_wait_time",
            "kernel_info_timeout",
            "cull_idle_timeout",
            "restart_limit",
        ):
            if getattr(self, name) < 0:
                problems.append(f"{name} must not be negative")
        if self.prefix.strip("/") != self.prefix.strip("/").strip():
            problems.append("prefix must not contain spaces at its ends")
        if problems:
            raise ValueError("invalid server settings: " + "; ".join(problems))

    @property
    def signed(self) -> bool:
        return self.session_ids != "unsigned"

    @property
    def secret_key_bytes(self) -> bytes | None:
        return self.secret_key.encode() if self.secret_key else None

    @property
    def url_prefix(self) -> str:
        """'' or '/prefix' (no trailing slash)."""
        stripped = self.prefix.strip("/")
        return f"/{stripped}" if stripped else ""

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, **options: Any
    ) -> ServerSettings:
        """Settings from `options`, falling back to the environment, then to the defaults."""
        env = os.environ if environ is None else environ
        if options.get("secret_key") is None and env.get("LIVEDOC_SECRET_KEY"):
            options["secret_key"] = env["LIVEDOC_SECRET_KEY"]
        if options.get("token") is None and "LIVEDOC_TOKEN" in env:
            options["token"] = env["LIVEDOC_TOKEN"]
        if not options.get("allow_websocket_origin") and env.get("LIVEDOC_ALLOW_WS_ORIGIN"):
            options["allow_websocket_origin"] = tuple(
                item.strip() for item in env["LIVEDOC_ALLOW_WS_ORIGIN"].split(",") if item.strip()
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown server settings {unknown}")
        return cls(
            **{
                key: value
                for key, value in options.items()
                if value is not None or key in ("secret_key", "token")
            }
        )

    @classmethod
    def help_for(cls, name: str) -> str:
        for item in fields(cls):
            if item.name == name:
                return str(item.metadata["help"])
        raise KeyError(name)


def default_data_dir(environ: Mapping[str, str] | None = None) -> str:
    """$LIVEDOC_DATA_DIR, else $XDG_DATA_HOME/livedoc, else ~/.local/share/livedoc."""
    env = os.environ if environ is None else environ
    if env.get("LIVEDOC_DATA_DIR"):
        return env["LIVEDOC_DATA_DIR"]
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "livedoc")


def storage_url(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The `storage` setting as a store URL ("default" becomes the data directory's file)."""
    if setting == "default":
        return "sqlite://" + os.path.join(default_data_dir(environ), "documents.db")
    return setting


def users_url(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The `users` setting as a user-store URL ("default": users.db in the data directory)."""
    if setting == "default":
        return "sqlite://" + os.path.join(default_data_dir(environ), "users.db")
    return setting
