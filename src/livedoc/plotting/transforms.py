"""Column specs with a transform: color a glyph by a column, or shift categorical positions.

p.scatter("x", "y", source=src, color=linear_cmap("z", Viridis256, 0, 1))
p.vbar(x=dodge("fruit", -0.2, range=p.x_range), top="2015", source=src, width=0.2)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from livedoc.document.values import Field
from livedoc.models import (
    CategoricalColorMapper,
    CategoricalMarkerMapper,
    Dodge,
    Jitter,
    LinearColorMapper,
    LogColorMapper,
    Range,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["dodge", "factor_cmap", "factor_mark", "jitter", "linear_cmap", "log_cmap"]


def linear_cmap(
    field_name: str,
    palette: Sequence[str],
    low: float | None = None,
    high: float | None = None,
    *,
    low_color: str | None = None,
    high_color: str | None = None,
    nan_color: str = "gray",
) -> Field:
    """Color by the column `field_name`, spread linearly over `palette` from `low` to `high`
    (both default to the data's range, computed in the browser)."""
    mapper = LinearColorMapper(
        palette=list(palette),
        low=low,
        high=high,
        low_color=low_color,
        high_color=high_color,
        nan_color=nan_color,
    )
    return Field(field_name, mapper)


def log_cmap(
    field_name: str,
    palette: Sequence[str],
    low: float | None = None,
    high: float | None = None,
    *,
    nan_color: str = "gray",
) -> Field:
    """Like `linear_cmap`, on a logarithmic scale."""
    mapper = LogColorMapper(palette=list(palette), low=low, high=high, nan_color=nan_color)
    return Field(field_name, mapper)


def factor_cmap(
    field_name: str,
    palette: Sequence[str],
    factors: Sequence[str],
    *,
    nan_color: str = "gray",
) -> Field:
    """One palette color per factor of the categorical column `field_name`."""
    mapper = CategoricalColorMapper(
        palette=list(palette), factors=list(factors), nan_color=nan_color
    )
    return Field(field_name, mapper)


def factor_mark(field_name: str, markers: Sequence[str], factors: Sequence[str]) -> Field:
    """One marker type per factor (for `scatter(marker=...)`)."""
    mapper = CategoricalMarkerMapper(markers=list(markers), factors=list(factors))
    return Field(field_name, mapper)


def dodge(field_name: str, value: float, range: Range | None = None) -> Field:
    """The column's positions shifted by `value` (side-by-side bars on a categorical axis)."""
    return Field(field_name, Dodge(value=value, range=range))


def jitter(field_name: str, width: float, mean: float = 0, distribution: str = "uniform") -> Field:
    """The column's positions with random noise added (spread overlapping points)."""
    return Field(field_name, Jitter(width=width, mean=mean, distribution=distribution))
