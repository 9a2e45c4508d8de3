"""`report.html`: one self-contained page (inline CSS and SVG, no script, no network): the verdict
table, then per scenario and client every check (expected vs observed), latency over time with
the fault windows shaded, success rate per source, fallback frequency, data distribution,
checker findings and the client's console lines."""

from __future__ import annotations

from html import escape

from fallback.report.drill_view import generator_line, saturation_line
from fallback.report.explore_view import explore_html
from fallback.report.markdown import ICONS, verdict_cell
from fallback.report.model import ClientRun, Expectation, RunRecord, ScenarioRun
from fallback.svg import availability, bar_chart, distribution, latency_plot

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1600px;padding:16px 24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:0 0 8px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
.pass{color:#1b7a1b}.fail{color:#b3261e}.error{color:#a05a00}tr.fail td{background:#fdecea}
.clients{display:grid;grid-template-columns:repeat(auto-fit,minmax(640px,1fr));gap:16px}
.client{border:1px solid #ddd;border-radius:6px;padding:12px;overflow-x:auto}
.plots{display:flex;flex-wrap:wrap;gap:16px;margin:8px 0}
pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px;white-space:pre-wrap}
.meta{color:#555}.muted{color:#888}
"""


def _e(text: object) -> str:
    return escape(str(text))


def _state(passed: bool) -> str:
    return "pass" if passed else "fail"


def _summary(run: RunRecord) -> str:
    clients = run.client_names()
    head = "".join(f"<th>{_e(c)}</th>" for c in clients)
    rows = []
    for scenario in run.scenarios:
        cells = "".join(
            f'<td class="{c.verdict if (c := scenario.client(name)) else ""}">{_e(verdict_cell(c))}</td>'
            for name in clients
        )
        rows.append(f'<tr><td><a href="#{_e(scenario.name)}">{_e(scenario.name)}</a></td>{cells}</tr>')
    return f"<table><tr><th>scenario</th>{head}</tr>{''.join(rows)}</table>"


def _expectation_rows(expectations: tuple[Expectation, ...]) -> str:
    rows = "".join(
        f'<tr class="{_state(e.passed)}"><td>{_e(e.name)}</td><td>{_e(e.expected)}</td><td>{_e(e.observed)}</td>'
        f'<td class="{_state(e.passed)}">{"pass" if e.passed else "FAIL"}</td></tr>'
        for e in expectations
    )
    return f"<table><tr><th>check</th><th>expected</th><th>observed</th><th></th></tr>{rows}</table>"


def _expectations(client: ClientRun) -> str:
    if not client.expectations:
        return '<p class="muted">No expectations given.</p>'
    table = _expectation_rows(client.expectations)
    broken = client.broken_claims()
    if broken:
        table += (
            f"<h4>The spec's promises (the reference client's expectations) it breaks: {len(broken)}"
            f" of {len(client.claims)}</h4>" + _expectation_rows(broken)
        )
    return table


def _checker(client: ClientRun) -> str:
    checker = client.checker
    if checker is None:
        return ""
    parts = [f'<p class="{"pass" if checker.valid else "fail"}">{_e(checker.summary())}</p>']
    if checker.violations:
        parts.append("<pre>" + _e("\n\n".join(v.replay() for v in checker.violations)) + "</pre>")
    if checker.indeterminate:
        rows = "".join(
            f"<tr><td>{w.op_id}</td><td>{_e(w.pending_source or '?')}</td><td>{_e(w.verdict)}</td>"
            f"<td>{_e(', '.join(w.found_in) or '–')}</td><td>{_e(w.client_resolution or '–')}</td></tr>"
            for w in checker.indeterminate
        )
        parts.append(
            "<table><tr><th>op</th><th>pending on</th><th>verdict</th><th>found in</th><th>client said</th></tr>"
            f"{rows}</table>"
        )
    return "<h4>History checker</h4>" + "".join(parts)


def _plots(scenario: ScenarioRun, client: ClientRun) -> str:
    plots = []
    if client.latency or client.faults:
        plots.append(
            latency_plot(client.latency, client.faults, f"{scenario.name} · {client.client}: latency over time")
        )
    small = []
    if client.success_rate:
        small.append(bar_chart(client.success_rate, "success rate per source"))
    if client.fallback_frequency:
        small.append(bar_chart(client.fallback_frequency, "fallback frequency"))
    if client.distribution:
        small.append(distribution(client.distribution, "data distribution (rows at the end)"))
    return "".join(f'<div class="plots">{"".join(group)}</div>' for group in (plots, small) if group)


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f} s"


def _drill(client: ClientRun) -> str:
    """A drill's figures: availability, per fault the time to detect, fail over and recover, and per second."""
    drill = client.drill
    if drill is None:
        return ""
    share = "–" if drill.availability is None else f"{drill.availability:.2%}"
    rows = "".join(
        f"<tr><td>{_e(f.target)} {_e(f.toxic)}</td><td>{f.start_s:.2f}s–"
        f"{'end' if f.end_s is None else f'{f.end_s:.2f}s'}</td><td>{_e(f.origin)}</td>"
        f"<td>{_seconds(f.time_to_detect_s)}</td><td>{_seconds(f.time_to_fail_over_s)}</td>"
        f"<td>{_seconds(f.time_to_recover_s)}</td></tr>"
        for f in drill.faults
    )
    errors = ", ".join(f"{_e(kind)} ×{n}" for kind, n in sorted(drill.errors_by_kind.items())) or "none"
    return (
        f"<h4>Drill: {drill.operations} operations at {drill.rate_per_s:g}/s over {drill.duration_s:.1f} s · "
        f"availability {share} · lost {drill.lost}, duplicated {drill.duplicated}, misrouted {drill.misrouted}"
        f"{' · interrupted' if drill.interrupted else ''}</h4>"
        "<table><tr><th>fault</th><th>window</th><th>origin</th><th>time to detect</th><th>time to fail over</th>"
        f"<th>time to recover</th></tr>{rows}</table><p>errors by kind: {errors}</p>"
        f"<p>generator: {_e(generator_line(drill))}</p>"
        + (
            f'<p class="fail"><strong>{_e(saturation_line(drill))}.</strong> Saturated seconds: '
            f"{', '.join(f'{t}s' for t in drill.saturated_seconds)}.</p>"
            if drill.harness_saturated
            else ""
        )
        + f'<div class="plot">{availability(drill.per_second, drill.faults)}</div>'
    )


def _client(scenario: ScenarioRun, client: ClientRun) -> str:
    parts = [
        f'<div class="client"><h3 class="{client.verdict}">{ICONS[client.verdict]} {_e(client.client)}: '
        f'{client.verdict}</h3><p class="meta">ran {client.duration_s:.1f}s · '
        f"{len(client.latency)} operations · {len(client.faults)} fault windows</p>"
    ]
    if client.error:
        parts.append(f'<pre class="error">{_e(client.error)}</pre>')
    parts += [_drill(client), _expectations(client), _plots(scenario, client), _checker(client)]
    if client.logs:
        parts.append(
            f"<details><summary>console ({len(client.logs)} lines)</summary><pre>{_e(chr(10).join(client.logs))}</pre>"
            "</details>"
        )
    parts.append("</div>")
    return "".join(parts)


def _scenario(scenario: ScenarioRun) -> str:
    verdict = scenario.verdict()
    file = f' · <span class="meta">{_e(scenario.file)}</span>' if scenario.file else ""
    clients = "".join(_client(scenario, c) for c in scenario.clients)
    return (
        f'<section id="{_e(scenario.name)}"><h2 class="{verdict}">{ICONS[verdict]} {_e(scenario.name)}{file}</h2>'
        f"<p>{_e(scenario.description)}</p><div class='clients'>{clients}</div></section>"
    )


def render_html(run: RunRecord) -> str:
    verdict = run.verdict()
    commit = f" · commit {_e(run.git_commit[:12])}" if run.git_commit else ""
    meta = (
        f"{run.started_at:%Y-%m-%d %H:%M:%S} → {run.finished_at:%H:%M:%S} UTC{commit} · {_e(run.machine.hostname)} · "
        f"{_e(run.machine.platform)} · Python {_e(run.machine.python)}"
    )
    body = (explore_html(run.explore) if run.explore is not None else "") + "".join(_scenario(s) for s in run.scenarios)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Fallback harness {_e(run.run_id)}: {verdict}</title><style>{CSS}</style></head><body>"
        f'<h1 class="{verdict}">{ICONS[verdict]} Fallback harness run {_e(run.run_id)}: {verdict}</h1>'
        f'<p class="meta">{meta}</p>{_summary(run)}{body}</body></html>\n'
    )
