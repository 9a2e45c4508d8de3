"""`trend.md` and `trend.html`: renderers of a `Trend` (fallback.report.trend), nothing more.

Both show the flags first (flaky verdicts, regressions), then per scenario and client the verdicts over
the runs, p50/p95 of each operation, availability and the spec's claims, then the runs read (file,
commit, schema version). The HTML page is self-contained (inline CSS and SVG, no script).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path

from fallback.report.markdown import ICONS
from fallback.report.trend import STATS, Cell, Regression, SeriesTrend, Stat, Trend
from fallback.report.write import write_atomic
from fallback.svg import sparkline, verdict_strip

__all__ = ["render_trend_html", "render_trend_markdown", "write_trend"]

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1600px;padding:16px 24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;
vertical-align:middle}th{background:#f4f4f4}.flag{color:#b3261e;font-weight:bold}.meta,.muted{color:#666}
td.num{text-align:right;font-variant-numeric:tabular-nums}
"""


def _cell(text: str) -> str:
    return escape(text, quote=False).replace("|", "\\|")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _count(value: int | None) -> str:
    return "–" if value is None else str(value)


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f} s"


def _promises(cell: Cell) -> str:
    c = cell.claims
    return "–" if c.broken_promises is None else f"{c.broken_promises}/{c.promises}"


CLAIMS: tuple[tuple[str, Callable[[Cell], str]], ...] = (
    ("availability (100 % uptime)", lambda c: _pct(c.claims.availability)),
    ("slowest failover (drills)", lambda c: _secs(c.claims.fail_over_s)),
    ("lost writes", lambda c: _count(c.claims.lost)),
    ("duplicated", lambda c: _count(c.claims.duplicated)),
    ("promises broken", _promises),
)


def _rule(trend: Trend) -> str:
    return (
        f"a run's p50 or p95 is at least {trend.ratio:g}× the median of the same figure over the earlier runs "
        f"(at least {trend.min_history} of them) and at least {trend.min_delta_ms:g} ms above it"
    )


def _span(trend: Trend) -> str:
    if not trend.runs:
        return "no runs"
    commits = len({r.commit for r in trend.runs if r.commit})
    first, last = trend.runs[0].started_at, trend.runs[-1].started_at
    return f"{len(trend.runs)} runs, {first:%Y-%m-%d %H:%M} → {last:%Y-%m-%d %H:%M} UTC, on {commits} commits"


def _flaky_text(series: SeriesTrend, commit: str) -> str:
    verdicts = Counter(c.verdict for c in series.cells if c and c.run.commit == commit)
    return ", ".join(f"{v} ×{n}" for v, n in sorted(verdicts.items()))


def _regression_text(regression: Regression) -> str:
    return (
        f"{regression.op} {regression.stat} {regression.value_ms:.0f} ms vs {regression.baseline_ms:.0f} ms "
        f"(median of {regression.earlier} earlier runs): {regression.ratio:.2f}× in run {regression.run.run_id}"
    )


def _flags(trend: Trend) -> list[tuple[str, SeriesTrend, str]]:
    """(kind, series, text) for every flaky commit and regression, flaky first."""
    flags = [("flaky", s, f"commit {c[:10]}: {_flaky_text(s, c)}") for s in trend.flaky for c in s.flaky_commits]
    flags += [("regression", s, _regression_text(r)) for s, r in trend.regressions]
    return flags


def _sequence(series: SeriesTrend, show: Callable[[Cell], str], marked: Sequence[int] = ()) -> str:
    parts = []
    for i, cell in enumerate(series.cells):
        text = "·" if cell is None else show(cell)
        parts.append(f"**{text}↑**" if i in marked else text)
    return " ".join(parts)


def _op_stat(op: str, stat: Stat) -> Callable[[Cell], str]:
    def show(cell: Cell) -> str:
        figures = cell.op(op)
        return _ms(figures.stat(stat) if figures else None)

    return show


def render_trend_markdown(trend: Trend) -> str:
    lines = [f"# Fallback harness trend: {_span(trend)}", "", f"Regression: {_rule(trend)}.", ""]
    flags = _flags(trend)
    lines += ["## Flags", ""]
    if flags:
        lines += [f"- **{kind}**: {_cell(s.scenario)} · {_cell(s.client)}: {_cell(text)}" for kind, s, text in flags]
    else:
        lines.append("No flaky verdicts and no regressions.")
    lines += [
        "",
        "## Verdicts (oldest → newest)",
        "",
        "| scenario | client | verdicts | flaky on |",
        "|---|---|---|---|",
    ]
    for s in trend.series:
        strip = _sequence(s, lambda c: ICONS[c.verdict])
        flaky = ", ".join(f"`{c[:10]}`" for c in s.flaky_commits) or ""
        lines.append(f"| {_cell(s.scenario)} | {_cell(s.client)} | {strip} | {flaky} |")
    lines += ["", "## Latency per operation, ms (oldest → newest; ↑ regression)", ""]
    lines += ["| scenario | client | op | stat | per run |", "|---|---|---|---|---|"]
    for s in trend.series:
        for op in s.ops:
            for stat in STATS:
                values = _sequence(s, _op_stat(op, stat), s.regressed_runs(op, stat))
                lines.append(f"| {_cell(s.scenario)} | {_cell(s.client)} | {op} | {stat} | {values} |")
    lines += ["", "## The spec's claims (oldest → newest)", ""]
    lines += [
        "| scenario | client | " + " | ".join(name for name, _ in CLAIMS) + " |",
        "|---|---|" + "---|" * len(CLAIMS),
    ]
    for s in trend.series:
        lines.append(
            f"| {_cell(s.scenario)} | {_cell(s.client)} | "
            + " | ".join(_sequence(s, show) for _, show in CLAIMS)
            + " |"
        )
    lines += ["", "## Runs", "", "| # | run | started (UTC) | commit | schema | file |", "|---|---|---|---|---|---|"]
    for i, r in enumerate(trend.runs, 1):
        commit = f"`{r.commit[:12]}`" if r.commit else "–"
        started = f"{r.started_at:%Y-%m-%d %H:%M:%S}"
        lines.append(f"| {i} | `{r.run_id}` | {started} | {commit} | {r.schema_version} | {_cell(r.source)} |")
    return "\n".join(lines).rstrip() + "\n"


def _e(text: object) -> str:
    return escape(str(text))


def _anchor(series: SeriesTrend) -> str:
    """One id per scenario and client (the same scenario has a row group per client)."""
    return _e(f"{series.scenario}--{series.client}")


def _labels(trend: Trend) -> list[str]:
    return [r.label for r in trend.runs]


def _html_flags(trend: Trend) -> str:
    flags = _flags(trend)
    if not flags:
        return "<p>No flaky verdicts and no regressions.</p>"
    items = "".join(
        f'<li><span class="flag">{kind}</span>: <a href="#{_anchor(s)}">{_e(s.scenario)} · {_e(s.client)}</a>: '
        f"{_e(text)}</li>"
        for kind, s, text in flags
    )
    return f"<ul>{items}</ul>"


def _html_series(trend: Trend, s: SeriesTrend) -> str:
    labels = _labels(trend)
    strip = verdict_strip(
        [c.verdict if c else None for c in s.cells], f"{s.scenario} · {s.client}: verdicts", labels, s.flaky_runs()
    )
    flaky = ", ".join(c[:10] for c in s.flaky_commits)
    newest = _newest(s)
    shown = f"{ICONS[newest.verdict]} {newest.verdict}" if newest else "–"
    rows = [
        f'<tr id="{_anchor(s)}"><td rowspan="ROWS">{_e(s.scenario)}</td><td rowspan="ROWS">{_e(s.client)}'
        f"</td><td>verdicts</td><td>{strip}</td><td>{_e(shown)}"
        f'</td><td class="flag">{"flaky on " + _e(flaky) if flaky else ""}</td></tr>'
    ]
    for op in s.ops:
        for stat in STATS:
            values = [f.stat(stat) if c and (f := c.op(op)) else None for c in s.cells]
            marked = s.regressed_runs(op, stat)
            chart = sparkline(values, f"{s.scenario} · {s.client}: {op} {stat}", labels, marked)
            latest = next((v for v in reversed(values) if v is not None), None)
            flag = f"regression in {len(marked)} run{'s' * (len(marked) != 1)}" if marked else ""
            rows.append(
                f'<tr><td>{_e(op)} {stat}</td><td>{chart}</td><td class="num">{_ms(latest)} ms</td>'
                f'<td class="flag">{flag}</td></tr>'
            )
    availability = [c.claims.availability if c else None for c in s.cells]
    if any(v is not None for v in availability):
        chart = sparkline([v * 100 if v is not None else None for v in availability], "availability", labels, unit="%")
        rows.append(
            f'<tr><td>availability</td><td>{chart}</td><td class="num">'
            f"{_pct(next((v for v in reversed(availability) if v is not None), None))}</td><td></td></tr>"
        )
    for name, show in CLAIMS[1:]:
        texts = [show(c) if c else "·" for c in s.cells]
        if all(v in ("–", "·") for v in texts):
            continue
        rows.append(f'<tr><td>{_e(name)}</td><td colspan="3">{_e(" ".join(texts))}</td></tr>')
    return "".join(rows).replace('rowspan="ROWS"', f'rowspan="{len(rows)}"')


def _newest(s: SeriesTrend) -> Cell | None:
    return next((c for c in reversed(s.cells) if c is not None), None)


def render_trend_html(trend: Trend) -> str:
    runs = "".join(
        f"<tr><td>{i}</td><td>{_e(r.run_id)}</td><td>{r.started_at:%Y-%m-%d %H:%M:%S}</td>"
        f"<td>{_e(r.commit[:12]) if r.commit else '–'}</td><td>{r.schema_version}</td><td>{_e(r.source)}</td></tr>"
        for i, r in enumerate(trend.runs, 1)
    )
    series = "".join(_html_series(trend, s) for s in trend.series)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Fallback harness trend: {_e(_span(trend))}</title><style>{CSS}</style></head><body>"
        f'<h1>Fallback harness trend</h1><p class="meta">{_e(_span(trend))}. Regression: {_e(_rule(trend))}. '
        "Flaky: runs on one commit with different verdicts. Sparklines run oldest → newest; a red ring marks a "
        "regression, a red outline a flaky run; hover for the run and value.</p>"
        f"<h2>Flags</h2>{_html_flags(trend)}"
        "<h2>Per scenario and client</h2><table><tr><th>scenario</th><th>client</th><th>figure</th>"
        f"<th>over runs</th><th>newest</th><th>flag</th></tr>{series}</table>"
        "<h2>Runs</h2><table><tr><th>#</th><th>run</th><th>started (UTC)</th><th>commit</th><th>schema</th>"
        f"<th>file</th></tr>{runs}</table></body></html>\n"
    )


def write_trend(trend: Trend, out_dir: Path) -> tuple[Path, Path]:
    """`trend.html` and `trend.md` in `out_dir` (created), each written atomically; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, md_path = out_dir / "trend.html", out_dir / "trend.md"
    write_atomic(html_path, render_trend_html(trend))
    write_atomic(md_path, render_trend_markdown(trend))
    return html_path, md_path
