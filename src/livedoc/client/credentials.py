"""API keys for servers with `--multi-user`, as `livedoc login` stores them.

`~/.livedoc/credentials.json` maps a server's base URL (`http://host:port`) to its key; the
file is readable by its owner only. `LIVEDOC_API_KEY` overrides it for every server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["credentials_path", "find_api_key", "save_api_key", "server_base"]


def credentials_path() -> Path:
    return Path(os.environ.get("LIVEDOC_HOME") or Path.home() / ".livedoc") / "credentials.json"


def server_base(url: str) -> str:
    """`ws://host:port/docs/...` and `http://host:port/x` both give `http://host:port`."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


def _load() -> dict[str, str]:
    path = credentials_path()
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in stored.items()} if isinstance(stored, dict) else {}


def find_api_key(url: str) -> str | None:
    return os.environ.get("LIVEDOC_API_KEY") or _load().get(server_base(url))


def save_api_key(url: str, key: str) -> Path:
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = _load()
    stored[server_base(url)] = key
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stored, indent=2))
    temporary.chmod(0o600)
    temporary.replace(path)
    return path
