"""Run report charts (`report.html`, drills):
latency_plot    latency over time, one mark per operation, fault windows shaded
bar_chart       one horizontal bar per key, a share 0..1 (success rate, fallback frequency)
distribution    rows per source, one stacked bar per table
availability    a drill's availability per second, fault windows shaded
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING

from fallback.svg._base import FAULT_COLOURS, OP_COLOURS, SOURCE_COLOURS, colour_of, decades, svg_doc, time_ticks

if TYPE_CHECKING:  # annotations only: `fallback.report` imports this module
    from fallback.report.model import FaultSpan, FaultTiming, LatencyPoint, SecondBucket


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
    for tick in decades(low, high):
        if low <= tick <= high:
            body.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e5e5e5"/>'
            )
            body.append(f'<text x="{left - 4}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g} ms</text>')
    for tick in time_ticks(end):
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
    return svg_doc(width, height, body, title)


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
        colour = colour_of(key, colours, i) if key in colours else "#4c78a8"
        share = min(max(value, 0.0), 1.0)
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y}" width="{bar_w * share:.1f}" height="{bar_h}" fill="{colour}"/>'
        )
        text = f"{value:.1%}" if percent else f"{value:g}"
        body.append(f'<text x="{label_w + bar_w + 4}" y="{y + 12}">{text}</text>')
    return svg_doc(width, height, body, title)


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
            colour = colour_of(source, SOURCE_COLOURS, j)
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
            f'fill="{colour_of(source, SOURCE_COLOURS, j)}"/>'
        )
        body.append(f'<text x="{label_w + j * 80 + 14}" y="{legend_y}">{escape(source)}</text>')
    return svg_doc(width, height, body, title)


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
    for tick in time_ticks(end):
        body.append(f'<text x="{x(tick):.1f}" y="{top + plot_h + 14}" text-anchor="middle">{tick:g}s</text>')
    return svg_doc(width, height, body, title)
