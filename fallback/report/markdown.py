"""`report.md`: a summary fit for `$GITHUB_STEP_SUMMARY`: one verdict table with the clients
side by side, then every failed expectation (expected vs observed) and checker violation.

Text that comes from a scenario, a client or an error is escaped (`_cell`: HTML, table pipes) or
fenced (`_fenced`: a fence longer than any run of backticks in it): GitHub renders raw HTML in
Markdown, and report.html and junit.xml escape the same text.
"""

from __future__ import annotations

import re
from html import escape

from fallback.report.drill_view import generator_line, saturation_line
from fallback.report.explore_view import explore_markdown
from fallback.report.model import ClientRun, RunRecord, ScenarioRun

ICONS = {"pass": "✅", "fail": "❌", "error": "⚠️"}
MAX_VIOLATIONS = 5


def _cell(text: str) -> str:
    """`text` as inline Markdown: HTML escaped, `|` escaped for tables, line breaks kept."""
    return escape(text, quote=False).replace("|", "\\|").replace("\n", "<br>")


def _fenced(lines: list[str]) -> list[str]:
    """`lines` in a code block whose fence no backtick run inside can close."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def verdict_cell(run: ClientRun | None) -> str:
    if run is None:
        return "–"
    held = sum(e.passed for e in run.expectations)
    counts = f" ({held}/{len(run.expectations)})" if run.expectations else ""
    return f"{ICONS[run.verdict]} {run.verdict}{counts}"


def _duration(run: RunRecord) -> str:
    seconds = (run.finished_at - run.started_at).total_seconds()
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f} min"


def _header(run: RunRecord) -> list[str]:
    verdict = run.verdict()
    commit = f" · commit `{run.git_commit[:12]}`" if run.git_commit else ""
    counts = {v: sum(s.verdict() == v for s in run.scenarios) for v in ("pass", "fail", "error")}
    tally = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "no scenarios"
    return [
        f"# {ICONS[verdict]} Fallback harness run `{run.run_id}`: {verdict}",
        "",
        f"{len(run.scenarios)} scenarios: {tally} · {run.started_at:%Y-%m-%d %H:%M:%S} UTC · {_duration(run)}"
        f"{commit} · {run.machine.hostname}",
        "",
    ]


def _table(run: RunRecord) -> list[str]:
    clients = run.client_names()
    lines = ["| scenario | " + " | ".join(_cell(c) for c in clients) + " |", "|---|" + "---|" * len(clients)]
    for scenario in run.scenarios:
        cells = [verdict_cell(scenario.client(name)) for name in clients]
        lines.append(f"| {_cell(scenario.name)} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _failures(scenario: ScenarioRun, client: ClientRun) -> list[str]:
    lines = [f"### {ICONS[client.verdict]} {_cell(scenario.name)} · {_cell(client.client)}", ""]
    if client.error:
        lines += ["The run itself failed:", "", *_fenced([client.error]), ""]
    failed = client.failed()
    if failed:
        lines += ["| check | expected | observed |", "|---|---|---|"]
        lines += [f"| {_cell(e.name)} | {_cell(e.expected)} | {_cell(e.observed)} |" for e in failed]
        lines.append("")
    checker = client.checker
    if checker is not None and not checker.valid:
        shown = checker.violations[:MAX_VIOLATIONS]
        more = len(checker.violations) - len(shown)
        lines += [f"<details><summary>{_cell(checker.summary())}</summary>", ""]
        replays = [v.replay() + "\n" for v in shown]
        if more:
            replays.append(f"... and {more} more (see report.json)")
        lines += [*_fenced(replays), "", "</details>", ""]
    return lines


def _claims(run: RunRecord) -> list[str]:
    """Which of the spec's promises (the scenarios' `expect`) each client judged by `spec_expect` breaks."""
    rows = [(s, c, e) for s in run.scenarios for c in s.clients for e in c.broken_claims()]
    if not rows:
        return []
    lines = [
        "## Promises broken by the spec-faithful client",
        "",
        "| scenario | client | promise | observed |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {_cell(s.name)} | {_cell(c.client)} | {_cell(e.name)}: {_cell(e.expected)} | {_cell(e.observed)} |"
        for s, c, e in rows
    ]
    return [*lines, ""]


def _drills(run: RunRecord) -> list[str]:
    """Each drill's availability and, per fault, the time to detect, fail over and recover."""
    lines: list[str] = []
    for scenario in run.scenarios:
        for client in scenario.clients:
            drill = client.drill
            if drill is None:
                continue
            share = "–" if drill.availability is None else f"{drill.availability:.2%}"
            lines += [
                f"## Drill: {_cell(scenario.name)} · {client.client}",
                "",
                f"{drill.operations} operations at {drill.rate_per_s:g}/s over {drill.duration_s:.1f} s; "
                f"availability **{share}**; lost {drill.lost}, duplicated {drill.duplicated}, "
                f"misrouted {drill.misrouted}",
                "",
                f"Generator: {generator_line(drill)}.",
                "",
                *([f"**{saturation_line(drill)}.**", ""] if drill.harness_saturated else []),
                "| fault | window | detect | fail over | recover |",
                "|---|---|---|---|---|",
            ]
            for f in drill.faults:
                end = "end" if f.end_s is None else f"{f.end_s:.2f}s"
                lines.append(
                    f"| {_cell(f.target)} {f.toxic} | {f.start_s:.2f}s–{end} | {_secs(f.time_to_detect_s)} "
                    f"| {_secs(f.time_to_fail_over_s)} | {_secs(f.time_to_recover_s)} |"
                )
            lines.append("")
    return lines


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f} s"


def render_markdown(run: RunRecord) -> str:
    lines = _header(run) + _table(run) + _drills(run) + _claims(run)
    if run.explore is not None:
        lines += explore_markdown(run.explore)
    broken = [(s, c) for s in run.scenarios for c in s.clients if c.verdict != "pass"]
    if broken:
        lines += ["## Failed expectations", ""]
        for scenario, client in broken:
            lines += _failures(scenario, client)
    else:
        lines += ["Every expectation held.", ""]
    return "\n".join(lines).rstrip() + "\n"
