"""Inline SVG charts for every report, drawn in Python: pages need no script, no network, no plotting library.

Run reports (`report.html`, drills):
    latency_plot    latency over time, one mark per operation, fault windows shaded
    bar_chart       one horizontal bar per key, a share 0..1 (success rate, fallback frequency)
    distribution    rows per source, one stacked bar per table
    availability    a drill's availability per second, fault windows shaded
Benchmark report (`bench.html` and its `.svg` files, which carry `xmlns` to open on their own):
    line_chart      median per series against an x value, a p95 whisker on each point
    log_bar_chart   milliseconds on a log scale; a bar cut short by a bound is hatched, shown as ">="

Hand-written rather than matplotlib & co: a dependency of tens of megabytes (and a font cache) for
seven small charts, and their SVG output embeds fonts and ids that bloat a self-contained page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: `fallback.report` imports this module
    from fallback.report.model import FaultSpan, FaultTiming, LatencyPoint, SecondBucket

__all__ = [
    "Bar",
    "Point",
    "Series",
    "availability",
    "bar_chart",
    "distribution",
    "latency_plot",
    "line_chart",
    "log_bar_chart",
]

OP_COLOURS = {"load": "#1f77b4", "create": "#2ca02c", "update": "#9467bd", "assign_mt5": "#ff7f0e"}
SOURCE_COLOURS = {"PRIMARY": "#1f77b4", "BOLT": "#ff7f0e", "OLD": "#7f7f7f"}
FAULT_COLOURS = ("#d62728", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#9467bd")
SERIES_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
XMLNS = 'xmlns="http://www.w3.org/2000/svg" '


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


def _svg(width: int, height: int, body: list[str], title: str, standalone: bool = False) -> str:
    """`standalone`: with the namespace, for a `.svg` file (inline in HTML it is not needed)."""
    return (
        f'<svg {XMLNS if standalone else ""}width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _colour(key: str, table: Mapping[str, str], index: int) -> str:
    return table.get(key, FAULT_COLOURS[index % len(FAULT_COLOURS)])


def _decades(low: float, high: float) -> list[float]:
    """Powers of ten from below `low` to above `high`: the ticks of a log axis."""
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def _time_ticks(end: float) -> list[float]:
    steps = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, math.inf)
    step = next(s for s in steps if end / s <= 10)
    return [i * step for i in range(int(end / step) + 1)] if math.isfinite(step) else [0.0]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(s * magnitude for s in (1.0, 2.0, 2.5, 5.0, 10.0) if value <= s * magnitude)


def latency_plot(
    points: Sequence[LatencyPoint], faults: Sequence[FaultSpan], title: str = "latency over time", width: int = 760
) -> str:
    """Latency (log scale) against time since the workload started. Failed operations are drawn as
    crosses, indeterminate ones as rings; each fault window is a shaded band labelled above the plot."""
    lanes = list(dict.fromkeys(f"{f.target} {f.toxic}" for f in faults))
    top = 18 + 14 * len(lanes)
    left, right, bottom, plot_h = 140, 12, 34, 200
    height = top + plot_h + bottom + 18
    plot_w = width - left - right
    end = max([p.t_offset_s for p in points] + [f.end_s or f.start_s for f in faults] + [1.0]) * 1.02
    low = max(0.1, min([p.latency_ms for p in points if p.latency_ms > 0] + [1.0]) / 1.5)
    high = max([p.latency_ms for p in points] + [10.0]) * 1.5

    def x(t: float) -> float:
        return left + plot_w * min(max(t, 0.0), end) / end

    def y(ms: float) -> float:
        share = (math.log10(max(ms, low)) - math.log10(low)) / (math.log10(high) - math.log10(low))
        return top + plot_h * (1 - share)

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa" stroke="#ccc"/>']
    for fault in faults:
        lane = lanes.index(f"{fault.target} {fault.toxic}")
        colour = FAULT_COLOURS[lane % len(FAULT_COLOURS)]
        x0, x1 = x(fault.start_s), x(fault.end_s if fault.end_s is not None else end)
        end_text = f"{fault.end_s:g}s" if fault.end_s is not None else "end"
        tip = escape(f"{fault.target} {fault.toxic} {fault.start_s:g}s–{end_text}")
        body.append(
            f'<rect class="fault" x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" height="{plot_h}" '
            f'fill="{colour}" fill-opacity="0.12"><title>{tip}</title></rect>'
        )
        body.append(
            f'<rect x="{x0:.1f}" y="{6 + 14 * lane}" width="{max(x1 - x0, 1):.1f}" height="10" fill="{colour}"/>'
        )
    for lane, label in enumerate(lanes):
        colour = FAULT_COLOURS[lane % len(FAULT_COLOURS)]
        body.append(
            f'<text x="{left - 4}" y="{15 + 14 * lane}" text-anchor="end" fill="{colour}">{escape(label)}</text>'
        )
    for tick in _decades(low, high):
        if low <= tick <= high:
            body.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e5e5"/>'
            )
            body.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g} ms</text>')
    for tick in _time_ticks(end):
        body.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 14}" text-anchor="middle">{tick:g}s</text>')
    body.append(
        f'<text x="{left + plot_w / 2}" y="{top + plot_h + 28}" text-anchor="middle">'
        "seconds since workload start</text>"
    )
    for p in points:
        colour = OP_COLOURS.get(p.op, "#333")
        cx, cy = x(p.t_offset_s), y(p.latency_ms)
        tip = f"<title>{escape(f'{p.op} {p.outcome} {p.latency_ms:.0f} ms at {p.t_offset_s:.2f}s')}</title>"
        if p.outcome == "ok":
            body.append(f'<circle class="op" cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{colour}">{tip}</circle>')
        elif p.outcome == "fail":
            a, b, c, e = cx - 3, cx + 3, cy - 3, cy + 3
            d = f"M{a:.1f},{c:.1f}L{b:.1f},{e:.1f}M{a:.1f},{e:.1f}L{b:.1f},{c:.1f}"
            body.append(f'<path class="op" d="{d}" stroke="{colour}" stroke-width="1.5">{tip}</path>')
        else:
            body.append(
                f'<circle class="op" cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="none" stroke="{colour}">{tip}</circle>'
            )
    legend_y = height - 6
    for i, op in enumerate(op for op in OP_COLOURS if any(p.op == op for p in points)):
        body.append(f'<circle cx="{left + i * 95}" cy="{legend_y - 4}" r="3" fill="{OP_COLOURS[op]}"/>')
        body.append(f'<text x="{left + i * 95 + 6}" y="{legend_y}">{escape(op)}</text>')
    body.append(
        f'<text x="{left + plot_w}" y="{legend_y}" text-anchor="end">dot ok · cross failed · ring indeterminate</text>'
    )
    return _svg(width, height, body, title)


def bar_chart(
    values: Mapping[str, float | None],
    title: str,
    width: int = 420,
    percent: bool = True,
    colours: Mapping[str, str] = SOURCE_COLOURS,
) -> str:
    """One bar per key, values in 0..1 (shown as percentages); None is drawn as `n/a`."""
    label_w, bar_h, gap = 150, 16, 6
    height = 22 + len(values) * (bar_h + gap) + 4
    bar_w = width - label_w - 60
    body = [f'<text x="0" y="12" font-weight="bold">{escape(title)}</text>']
    for i, (key, value) in enumerate(values.items()):
        y = 22 + i * (bar_h + gap)
        body.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(key)}</text>')
        body.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{bar_h}" fill="#f0f0f0"/>')
        if value is None:
            body.append(f'<text x="{label_w + 4}" y="{y + 12}" fill="#888">n/a</text>')
            continue
        colour = _colour(key, colours, i) if key in colours else "#4c78a8"
        share = min(max(value, 0.0), 1.0)
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{bar_w * share:.1f}" height="{bar_h}" fill="{colour}"/>'
        )
        text = f"{value:.1%}" if percent else f"{value:g}"
        body.append(f'<text x="{label_w + bar_w + 4}" y="{y + 12}">{text}</text>')
    return _svg(width, height, body, title)


def distribution(counts: Mapping[str, Mapping[str, int]], title: str = "rows per source", width: int = 420) -> str:
    """`counts[source][table]` as one stacked bar per table, each source its own colour."""
    tables = list(dict.fromkeys(t for per_table in counts.values() for t in per_table))
    sources = list(counts)
    label_w, bar_h, gap = 110, 18, 8
    height = 22 + len(tables) * (bar_h + gap) + 20
    bar_w = width - label_w - 50
    body = [f'<text x="0" y="12" font-weight="bold">{escape(title)}</text>']
    for i, table in enumerate(tables):
        y = 22 + i * (bar_h + gap)
        total = sum(counts[s].get(table, 0) for s in sources)
        body.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(table)}</text>')
        offset = 0.0
        for j, source in enumerate(sources):
            n = counts[source].get(table, 0)
            if not n or not total:
                continue
            w = bar_w * n / total
            colour = _colour(source, SOURCE_COLOURS, j)
            body.append(
                f'<rect class="bar" x="{label_w + offset:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{colour}"><title>{escape(f"{source}: {n}")}</title></rect>'
            )
            if w > 24:
                body.append(f'<text x="{label_w + offset + 3:.1f}" y="{y + 13}" fill="#fff">{n}</text>')
            offset += w
        body.append(f'<text x="{label_w + bar_w + 4}" y="{y + 13}">{total}</text>')
    legend_y = height - 6
    for j, source in enumerate(sources):
        body.append(
            f'<rect x="{label_w + j * 80}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{_colour(source, SOURCE_COLOURS, j)}"/>'
        )
        body.append(f'<text x="{label_w + j * 80 + 14}" y="{legend_y}">{escape(source)}</text>')
    return _svg(width, height, body, title)


def availability(
    seconds: Sequence[SecondBucket],
    faults: Sequence[FaultTiming],
    title: str = "availability per second",
    width: int = 760,
) -> str:
    """One column per second of a drill, its height the share of that second's operations that succeeded;
    each fault window is a labelled lane above the plot and a translucent band over the columns."""
    left, plot_h, bottom = 50, 120, 28
    top = 22 + 14 * len(faults)
    height = top + plot_h + bottom
    plot_w = width - left - 12
    end = max([b.t_s + 1 for b in seconds] + [f.end_s or f.start_s for f in faults] + [1.0])

    def x(t: float) -> float:
        return left + plot_w * t / end

    body = [f'<text x="0" y="12" font-weight="bold">{escape(title)}</text>']
    for share in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - share)
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{share:.0%}</text>')
    column = plot_w / end
    for bucket in seconds:
        share = bucket.ok / bucket.ops if bucket.ops else 0.0
        colour = "#2ca02c" if share >= 0.999 else ("#ff7f0e" if share >= 0.9 else "#d62728")
        bar_h = plot_h * share
        body.append(
            f'<rect class="bar" x="{x(bucket.t_s) + 0.5:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{max(column - 1, 1):.1f}" height="{bar_h:.1f}" fill="{colour}"/>'
        )
    for i, fault in enumerate(faults):
        stop = fault.end_s if fault.end_s is not None else end
        colour = FAULT_COLOURS[i % len(FAULT_COLOURS)]
        span = max(x(stop) - x(fault.start_s), 1)
        lane = 18 + 14 * i
        body.append(f'<rect x="{x(fault.start_s):.1f}" y="{lane}" width="{span:.1f}" height="10" fill="{colour}"/>')
        before = x(fault.start_s) - left > 150  # room for the label left of the lane, else right of it
        label_x, anchor = (x(fault.start_s) - 4, "end") if before else (x(fault.start_s) + span + 4, "start")
        body.append(
            f'<text x="{label_x:.1f}" y="{lane + 9}" text-anchor="{anchor}" fill="{colour}">'
            f"{escape(fault.target)} {escape(fault.toxic)}</text>"
        )
        body.append(
            f'<rect x="{x(fault.start_s):.1f}" y="{top}" width="{span:.1f}" height="{plot_h}" '
            f'fill="{colour}" fill-opacity="0.18"/>'
        )
    for tick in _time_ticks(end):
        body.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 14}" text-anchor="middle">{tick:g}s</text>')
    return _svg(width, height, body, title)


def line_chart(series: Sequence[Series], title: str, x_label: str, y_label: str) -> str:
    width, height, left, right, top, bottom = 600, 340, 60, 150, 30, 45
    plot_w, plot_h = width - left - right, height - top - bottom
    xs = sorted({p.x for s in series for p in s.points}) or [0.0]
    y_max = _nice_max(max((p.p95 for s in series for p in s.points), default=1.0))
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
    return _svg(width, height, body, title, standalone=True)


def log_bar_chart(bars: Sequence[Bar], title: str) -> str:
    """Horizontal bars on a log scale in milliseconds (times-to-failover span µs to tens of seconds)."""
    left, right, top, row = 300, 90, 30, 22
    width, height = 760, top + row * max(1, len(bars)) + 40
    plot_w = width - left - right
    positive = [b.value for b in bars if b.value > 0] or [1.0]
    ticks = _decades(min(positive), max(positive))
    lo, hi = ticks[0], ticks[-1] if ticks[-1] > ticks[0] else ticks[0] * 10

    def px(ms: float) -> float:
        return left + (math.log10(max(ms, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_w

    body = [
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#c44e52"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
        f'<text x="10" y="18" font-weight="bold">{escape(title)}</text>',
    ]
    for decade in _decades(lo, hi):
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
    return _svg(width, height, body, title, standalone=True)
