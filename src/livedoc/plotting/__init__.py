"""Plotting: `figure()` and its glyph methods, layouts, palettes and column transforms.

from livedoc.plotting import column, figure, linear_cmap
"""

from __future__ import annotations

from livedoc.document.values import field as field, value as value
from livedoc.plotting.figure import (
    DEFAULT_TOOLS as DEFAULT_TOOLS,
    TOOLS as TOOLS,
    PlottingFigure as PlottingFigure,
    figure as figure,
)
from livedoc.plotting.layouts import column as column, gridplot as gridplot, row as row
from livedoc.plotting.transforms import (
    dodge as dodge,
    factor_cmap as factor_cmap,
    factor_mark as factor_mark,
    jitter as jitter,
    linear_cmap as linear_cmap,
    log_cmap as log_cmap,
)

__all__ = [
    "DEFAULT_TOOLS",
    "TOOLS",
    "PlottingFigure",
    "column",
    "dodge",
    "factor_cmap",
    "factor_mark",
    "field",
    "figure",
    "gridplot",
    "jitter",
    "linear_cmap",
    "log_cmap",
    "row",
    "value",
]
