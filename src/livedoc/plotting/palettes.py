"""Color palettes: lists of hex colors for color mappers and categorical plots.

    from livedoc.plotting.palettes import Category10, Viridis256, viridis
    viridis(7)            # seven colors spread over the whole Viridis map

The continuous maps are interpolated from their published anchor colors (ten evenly spaced
samples each), which reproduces the originals to within a few units per channel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Blues256",
    "Category10",
    "Category20",
    "Greys256",
    "Inferno256",
    "Magma256",
    "Plasma256",
    "Viridis256",
    "blues",
    "greys",
    "inferno",
    "interpolate",
    "magma",
    "palette",
    "plasma",
    "viridis",
]

#: d3's ten categorical colors (Bokeh's and matplotlib's default cycle).
Category10: list[str] = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
#: d3's twenty categorical colors: each of Category10's, then a lighter shade of it.
Category20: list[str] = [
    "#1f77b4",
    "#aec7e8",
    "#ff7f0e",
    "#ffbb78",
    "#2ca02c",
    "#98df8a",
    "#d62728",
    "#ff9896",
    "#9467bd",
    "#c5b0d5",
    "#8c564b",
    "#c49c94",
    "#e377c2",
    "#f7b6d2",
    "#7f7f7f",
    "#c7c7c7",
    "#bcbd22",
    "#dbdb8d",
    "#17becf",
    "#9edae5",
]

_ANCHOR_TEXT = {
    "viridis": "#440154 #482878 #3e4989 #31688e #26828e #1f9e89 #35b779 #6ece58 #b5de2b #fde725",
    "plasma": "#0d0887 #46039f #7201a8 #9c179e #bd3786 #d8576b #ed7953 #fb9f3a #fdca26 #f0f921",
    "inferno": "#000004 #1b0c41 #4a0c6b #781c6d #a52c60 #cf4446 #ed6925 #fb9b06 #f7d13d #fcffa4",
    "magma": "#000004 #180f3d #440f76 #721f81 #9e2f7f #cd4071 #f1605d #fd9668 #feca8d #fcfdbf",
    "greys": "#000000 #ffffff",
    "blues": "#08306b #08519c #2171b5 #4292c6 #6baed6 #9ecae1 #c6dbef #deebf7 #f7fbff",
}
_ANCHORS: dict[str, list[str]] = {name: text.split() for name, text in _ANCHOR_TEXT.items()}


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def interpolate(anchors: Sequence[str], n: int) -> list[str]:
    """`n` colors evenly spread along the piecewise-linear path through `anchors` (#rrggbb)."""
    if n < 1:
        raise ValueError(f"a palette needs at least one color, not {n}")
    if len(anchors) < 2:
        return [anchors[0]] * n
    points = [_rgb(color) for color in anchors]
    result = []
    for i in range(n):
        position = (i / (n - 1) if n > 1 else 0.0) * (len(points) - 1)
        index = min(int(position), len(points) - 2)
        fraction = position - index
        channels = (
            round(a + (b - a) * fraction)
            for a, b in zip(points[index], points[index + 1], strict=True)
        )
        result.append("#{:02x}{:02x}{:02x}".format(*channels))
    return result


def palette(name: str, n: int = 256) -> list[str]:
    """`n` colors of a continuous map by name (viridis, plasma, inferno, magma, greys, blues)."""
    key = name.lower().rstrip("0123456789")
    if key not in _ANCHORS:
        raise ValueError(f"unknown palette {name!r}; known: {', '.join(sorted(_ANCHORS))}")
    return interpolate(_ANCHORS[key], n)


def viridis(n: int) -> list[str]:
    return palette("viridis", n)


def plasma(n: int) -> list[str]:
    return palette("plasma", n)


def inferno(n: int) -> list[str]:
    return palette("inferno", n)


def magma(n: int) -> list[str]:
    return palette("magma", n)


def greys(n: int) -> list[str]:
    return palette("greys", n)


def blues(n: int) -> list[str]:
    return palette("blues", n)


Viridis256 = viridis(256)
Plasma256 = plasma(256)
Inferno256 = inferno(256)
Magma256 = magma(256)
Greys256 = greys(256)
Blues256 = blues(256)
