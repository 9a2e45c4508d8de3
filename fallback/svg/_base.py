"""What every chart shares: colours, the font, the `<svg>` envelope and axis ticks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

OP_COLOURS = {"load": "#1f77b4", "create": "#2ca02c", "update": "#9467bd", "assign_mt5": "#ff7f0e"}
SOURCE_COLOURS = {"PRIMARY": "#1f77b4", "BOLT": "#ff7f0e", "OLD": "#7f7f7f"}
FAULT_COLOURS = ("#d62728", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#9467bd")
SERIES_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
XMLNS = 'xmlns="http://www.w3.org/2000/svg" '


def svg_doc(width: int, height: int, body: list[str], title: str, standalone: bool = False) -> str:
    """`standalone`: with the namespace, for a `.svg` file (inline in HTML it is not needed)."""
    return (
        f'<svg {XMLNS if standalone else ""}width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def colour_of(key: str, table: Mapping[str, str], index: int) -> str:
    return table.get(key, FAULT_COLOURS[index % len(FAULT_COLOURS)])


def decades(low: float, high: float) -> list[float]:
    """Powers of ten from below `low` to above `high`: the ticks of a log axis."""
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def time_ticks(end: float) -> list[float]:
    steps = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, math.inf)
    step = next(s for s in steps if end / s <= 10)
    return [i * step for i in range(int(end / step) + 1)] if math.isfinite(step) else [0.0]


def nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(s * magnitude for s in (1.0, 2.0, 2.5, 5.0, 10.0) if value <= s * magnitude)
