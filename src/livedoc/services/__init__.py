"""Jupyter-shaped services with no web framework in them: file contents with checkpoints and
the SQLite session records behind `/api/contents` and `/api/sessions`."""

from __future__ import annotations

__all__: list[str] = []
