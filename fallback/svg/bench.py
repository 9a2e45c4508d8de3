"""Benchmark charts (`bench.html` and its `.svg` files, which carry `xmlns` to open on their own):
line_chart      median per series against an x value, a p95 whisker on each point
log_bar_chart   milliseconds on a log scale; a bar cut short by a bound is hatched, shown as ">="
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from fallback.svg._base import SERIES_COLOURS, decades, nice_max, svg_doc


@dataclass(frozen=True)
class Point:
    x: float
    median: float
    p95: float


@dataclass(frozen=True)
class Series:
    name: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    """Milliseconds."""
    bounded: bool = False


def line_chart(series: Sequence[Series], title: str, x_label: str, y_label: str) -> str:
    width, height, left, right, top, bottom = 600, 340, 60, 150, 30, 45
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = sorted({p.x for s in series for p in s.points}) or [0.0]
    y_max = nice_max(max((p.p95 for s in series for p in s.points), default=1.0))
    x_min, x_max = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1

    def px(x: float) -> float:
        return left + (x - x_min) / (x_max - x_min) * plot_w

    def py(y: float) -> float:
        return top + plot_h - y / y_max * plot_h

    body = [f'<text x="{left}" y="18" font-weight="bold">{escape(title)}</text>']
    for i in range(5):
        y = y_max * i / 4
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
    for x in xs:
        body.append(f'<text x="{px(x):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{x:g}</text>')
    body.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>')
    body.append(
        f'<text x="14" y="{top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2})">{escape(y_label)}</text>'
    )
    for i, s in enumerate(series):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        points = sorted(s.points, key=lambda p: p.x)
        path = " ".join(f"{px(p.x):.1f},{py(p.median):.1f}" for p in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for p in points:
            body.append(
                f'<line x1="{px(p.x):.1f}" x2="{px(p.x):.1f}" y1="{py(p.median):.1f}" y2="{py(p.p95):.1f}" '
                f'stroke="{colour}"/>'
            )
            body.append(f'<circle cx="{px(p.x):.1f}" cy="{py(p.median):.1f}" r="3" fill="{colour}"/>')
        y = top + 10 + i * 16
        body.append(f'<rect x="{width - right + 12}" y="{y - 8}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{width - right + 28}" y="{y + 1}">{escape(s.name)}</text>')
    return svg_doc(width, height, body, title, standalone=True)


def log_bar_chart(bars: Sequence[Bar], title: str) -> str:
    """Horizontal bars on a log scale in milliseconds (times-to-failover span µs to tens of seconds)."""
    left, right, top, row = 300, 90, 30, 22
    width, height = 760, top + row * max(1, len(bars)) + 40
    plot_w = width - left - right
    positive = [b.value for b in bars if b.value > 0] or [1.0]
    ticks = decades(min(positive), max(positive))
    lo, hi = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] * 10

    def px(ms: float) -> float:
        return left + (math.log10(max(ms, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_w

    body = [
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#c44e52"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
        f'<text x="10" y="18" font-weight="bold">{escape(title)}</text>',
    ]
    for decade in decades(lo, hi):
        x = px(decade)
        tick = f"{decade:g} ms" if decade < 1000 else f"{decade / 1000:g} s"
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{height - 30}" stroke="#ddd"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 16}" text-anchor="middle">{tick}</text>')
    for i, bar in enumerate(bars):
        y = top + i * row
        fill = "url(#hatch)" if bar.bounded else ("#4c72b0" if bar.value < 1000 else "#dd8452")
        end = px(bar.value)
        shown = f"{bar.value:.3g} ms" if bar.value < 1000 else f"{bar.value / 1000:.3g} s"
        body.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(bar.label)}</text>')
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{max(1.0, end - left):.1f}" height="{row - 6}" fill="{fill}"/>'
        )
        body.append(f'<text x="{end + 4:.1f}" y="{y + 14}">{">= " if bar.bounded else ""}{shown}</text>')
    return svg_doc(width, height, body, title, standalone=True)
