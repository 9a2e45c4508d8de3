"""A drill's figures as Markdown: printed at the end and written as `drill.md` beside the report."""

from __future__ import annotations

from fallback.report.drill_view import cpu_text, generator_line, ms_text, saturation_line
from fallback.report.model import ClientRun, DrillFigures


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.3f} s"


def availability_strip(figures: DrillFigures) -> str:
    """One character per second: `█` all ok, `▓` ≥ 90%, `▒` ≥ 50%, `░` some ok, `·` none ok."""
    marks = []
    for bucket in figures.per_second:
        share = bucket.ok / bucket.ops if bucket.ops else 1.0
        marks.append("█" if share == 1 else "▓" if share >= 0.9 else "▒" if share >= 0.5 else "░" if share else "·")
    return "".join(marks)


def drill_markdown(run: ClientRun) -> str:
    figures = run.drill
    if figures is None:
        return f"# Drill: {run.client}\n\nno drill figures\n"
    lines = [
        f"# Drill: {run.client} client",
        "",
        *([f"- **error**: {run.error}"] if run.error else []),
        f"- operations: {figures.operations} at {figures.rate_per_s:g}/s asked, over {figures.duration_s:.1f} s"
        + (" (ended early by Ctrl-C)" if figures.interrupted else ""),
        f"- availability: **{_pct(figures.availability)}**"
        + (
            f" (of {figures.operations - figures.excluded} operations counted)"
            if figures.excluded and figures.availability is not None
            else ""
        )
        + (
            " (not measured: no operation was sent while the harness kept up)"
            if figures.availability is None and figures.operations
            else ""
        ),
        f"- per second: `{availability_strip(figures)}`",
        f"- generator: {generator_line(figures)}",
        *([f"- **{saturation_line(figures)}**"] if figures.harness_saturated else []),
        f"- lost: {figures.lost}, duplicated: {figures.duplicated}, misrouted: {figures.misrouted}"
        + ("" if run.checker is not None else " (not checked: no database access)"),
        "",
        "| fault | window | origin | time to detect | time to fail over | time to recover |",
        "|---|---|---|---|---|---|",
    ]
    for fault in figures.faults:
        end = "end" if fault.end_s is None else f"{fault.end_s:.2f}s"
        lines.append(
            f"| {fault.target} {fault.toxic} | {fault.start_s:.2f}s–{end} | {fault.origin} | "
            f"{_s(fault.time_to_detect_s)} | {_s(fault.time_to_fail_over_s)} | {_s(fault.time_to_recover_s)} |"
        )
    if not figures.faults:
        lines.append("| (no fault seen) | | | | | |")
    lines += [
        "",
        "| second | ops | ok | availability | shed | excluded | lag p99 | loop stall | CPU | CPU pressure | harness |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {b.t_s} | {b.ops} | {b.ok} | {_pct(b.ok / b.ops if b.ops else None)} | {b.shed} | {b.excluded} | "
        f"{ms_text(b.lag_p99_ms)} | {ms_text(b.stall_max_ms)} | {cpu_text(b.cpu_pct)} | "
        f"{cpu_text(b.cpu_pressure_pct)} | {'saturated' if b.saturated else 'kept up'} |"
        for b in figures.per_second
    ]
    lines += ["", "Errors by kind:", ""]
    lines += [f"- {kind}: {n}" for kind, n in figures.errors_by_kind.items()] or ["- none"]
    lines += [
        "",
        "Times are from the fault's edge to the completion of the first operation that showed it: detect = a call "
        "to the source failed; fail over = an operation succeeded without it; recover = a call to it succeeded "
        "after the fault cleared. `observed` windows were seen by polling Toxiproxy (±0.1 s). Generator lag is "
        "each operation's actual minus scheduled send time; an operation that could not be sent within 250 ms "
        "of its time is shed (never sent); operations sent in a second in which it shed, or whose life overlaps a "
        "stall of the harness's own event loop (> 250 ms), are left out of the availability, whatever their "
        "outcome (`excluded`). CPU pressure: share of the second some task on this machine waited for a CPU.",
        "",
    ]
    return "\n".join(lines)
