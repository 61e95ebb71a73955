"""Kernels: child processes managed the Jupyter way, and the kernel websocket's wire formats."""

from __future__ import annotations

__all__: list[str] = []
