"""Plotting: `figure()` and its glyph methods, the familiar way to build plots."""

from __future__ import annotations

from livedoc.plotting.figure import DEFAULT_TOOLS as DEFAULT_TOOLS, figure as figure

__all__ = ["DEFAULT_TOOLS", "figure"]
