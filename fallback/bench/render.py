"""Renderers of a `BenchReport`: a plain-text summary for the terminal, Markdown, self-contained HTML."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from fallback.bench.claims import Claim
from fallback.bench.figures import fmt_figure, fmt_ratio, fmt_time
from fallback.bench.labels import CLIENTS
from fallback.bench.report import BenchReport, charts
from fallback.bench.speed import SPEED_HEADER, SPEED_NOTE, speed_rows

RATIO_HEADER = ("group", "variant", "median", "p95", "x floor", "x floor p95", "rounds", "IQR", "min..max", "outcome")
NOTE = (
    "Ratios (variant / the group's floor, same injected latency) are the verdicts; absolute times hold for this "
    "machine only. Every figure gives its rounds and spread. `>=` marks a call the harness cut at its bound "
    "(the client itself would have waited longer). Timing never fails the suite."
)

METHOD = (
    "Injected latency: a Toxiproxy `latency` toxic (downstream) on every source's API link, the same for every "
    "variant of a group; 0 ms still adds the toxic, so every variant takes the same path.",
    "Floors: a read is one supabase-py `select('*')` of one source; a write is one insert straight to BOLT; a merge "
    "is plain concatenation; the client-overhead floor is raw httpx GETs to the same gateways.",
    "Refused: the `PRIMARY.api` proxy disabled (ECONNREFUSED). Hung: a Toxiproxy `timeout` toxic with 0 ms on "
    "`PRIMARY.api` (replies dropped). The gateway closes an idle connection after its keep-alive timeout "
    "(30 s, like PostgREST's HTTP server) and that close crosses Toxiproxy, so a client willing to wait 120 s "
    "sees a disconnect after about 30 s instead; the spec-faithful calls are cut at the bound before that.",
    "Reference 'deadline' rounds use a new client each (breakers closed): the first calls after the fault began. "
    "'breaker open' rounds open PRIMARY's breaker through its public API first, as four failed calls would.",
)


def ratio_rows(report: BenchReport) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for r in report.ratios:
        f = r.figure
        rows.append(
            (
                f.label.group,
                f.label.variant + (" (floor)" if f.is_floor else ""),
                fmt_figure(f),
                fmt_figure(f, f.p95_s, short=True),
                fmt_ratio(r.median_ratio, r.lower_bound),
                fmt_ratio(r.p95_ratio, r.lower_bound),
                str(f.rounds),
                fmt_time(f.iqr_s),
                f"{fmt_time(f.min_s)}..{fmt_time(f.max_s)}",
                f.outcome_text(),
            )
        )
    return rows


def claim_groups(claims: Sequence[Claim]) -> list[tuple[str, str, dict[str, Claim]]]:
    """(spec words, rule, client -> claim), in the order judged."""
    groups: dict[str, dict[str, Claim]] = {}
    for claim in claims:
        groups.setdefault(claim.spec, {})[claim.client] = claim
    return [(spec, next(iter(by.values())).rule, by) for spec, by in groups.items()]


def clients_of(by: dict[str, Claim]) -> list[str]:
    """The clients a claim judges, in order: the two clients, or (issue 16's pairs) the variants it compares,
    e.g. the reference client with its adaptive cut and with the static deadline alone."""
    return [c for c in CLIENTS if c in by] or list(by)


def cost_lines(report: BenchReport) -> list[str]:
    c = report.cost
    rps = "n/a" if c.rps_via_toxiproxy is None else f"{c.rps_via_toxiproxy:,.0f} req/s"
    direct = "n/a" if c.rps_direct is None else f"{c.rps_direct:,.0f} req/s"
    return [
        f"reference client / raw httpx (3 parallel GETs + concat): {fmt_ratio(c.reference_vs_raw)}",
        f"supabase-py (defaults) / one raw httpx GET: {fmt_ratio(c.supabase_vs_raw)}",
        f"gateway throughput through Toxiproxy: {rps} (direct: {direct}; slowdown {fmt_ratio(c.toxiproxy_slowdown)})",
        f"supabase-py defaults / tuned options, GET to a refusing source: {fmt_ratio(c.default_refused_vs_tuned)}",
    ]


def _header(report: BenchReport) -> list[str]:
    return [
        f"profile: {report.profile}; measured {report.created}; commit {report.commit}",
        f"machine: {report.machine}; load average before {report.load_before}, after {report.load_after}",
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)) for row in rows]
    return lines


def text(report: BenchReport) -> str:
    lines = ["Latency ratios (variant / floor)", *_header(report), ""]
    lines += _table(RATIO_HEADER, ratio_rows(report))
    lines += ["", "Claims of the spec's Performance section"]
    for spec, rule, by in claim_groups(report.claims):
        lines.append(f"  {spec}   [{rule}]")
        for client in clients_of(by):
            lines.append(f"    {client:<14} {by[client].verdict:<14} {by[client].measured}")
    lines += ["", "Harness cost", *(f"  {line}" for line in cost_lines(report))]
    if report.speed:
        lines += [
            "",
            "Gateway vs bare Starlette + asyncpg endpoint (wrk)",
            *_table(SPEED_HEADER, speed_rows(report.speed)),
        ]
        lines += [SPEED_NOTE]
    lines += ["", NOTE]
    return "\n".join(lines)


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(x) for x in row) + " |" for row in rows]
    return lines


def _claim_rows(report: BenchReport) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for spec, rule, by in claim_groups(report.claims):
        cells: list[str] = [spec, rule]
        if any(c in by for c in CLIENTS):
            for client in CLIENTS:
                claim = by.get(client)
                cells += [claim.verdict, claim.measured] if claim else ["not measured", "-"]
        else:  # a pair of variants of one client (issue 16): each named in its verdict cell
            pair = [*clients_of(by), "", ""][: len(CLIENTS)]
            for client in pair:
                claim = by.get(client)
                cells += [f"{client}: {claim.verdict}", claim.measured] if claim else ["", ""]
        rows.append(tuple(cells))
    return rows


CLAIM_HEADER = ("spec claim", "rule", "reference", "reference measured", "spec_faithful", "spec_faithful measured")


def markdown(report: BenchReport) -> str:
    lines = ["# Latency-overhead benchmarks and the spec's performance claims", ""]
    lines += [f"- {line}" for line in _header(report)]
    if report.pytest_exit:
        lines.append(f"- **pytest exited with {report.pytest_exit}: some benchmarks errored; see the run log.**")
    lines += ["", NOTE, "", "## Claims", ""]
    lines += _md_table(CLAIM_HEADER, _claim_rows(report))
    lines += ["", "## Ratios", ""]
    lines += _md_table(RATIO_HEADER, ratio_rows(report))
    lines += ["", "## Harness cost", ""]
    lines += [f"- {line}" for line in cost_lines(report)]
    if report.speed:
        lines += ["", "## Gateway vs bare endpoint", "", SPEED_NOTE, ""]
        lines += _md_table(SPEED_HEADER, speed_rows(report.speed))
    lines += ["", "## Method", ""]
    lines += [f"- {line}" for line in METHOD]
    lines += ["", "## Plots", "", "![latency per variant](latency.svg)", "", "![time to failover](failover.svg)", ""]
    return "\n".join(lines)


CSS = """
body{font-family:sans-serif;margin:2em;max-width:1200px} table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left;vertical-align:top}
th{background:#f3f3f3} .holds{background:#dff0d8} .does-not-hold{background:#f2dede} .not-measured{color:#888}
.note{color:#555;font-size:13px}
"""


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], verdict_columns: Sequence[int] = ()) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            verdict = value.rsplit(": ", 1)[-1]  # a pair's cell names its variant first
            css = f' class="{escape(verdict.replace(" ", "-"))}"' if i in verdict_columns else ""
            cells.append(f"<td{css}>{escape(value)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _speed_html(report: BenchReport) -> list[str]:
    table = _html_table(SPEED_HEADER, speed_rows(report.speed))
    return ["<h2>Gateway vs bare endpoint</h2>", f"<p class='note'>{escape(SPEED_NOTE)}</p>", table]


def html(report: BenchReport) -> str:
    svgs = charts(report)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>fallback-harness bench</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Latency-overhead benchmarks and the spec's performance claims</h1>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in _header(report)) + "</ul>",
        f"<p class='note'>{escape(NOTE)}</p>",
        "<h2>Claims</h2>",
        _html_table(CLAIM_HEADER, _claim_rows(report), verdict_columns=(2, 4)),
        "<h2>Plots</h2>",
        svgs["latency.svg"],
        svgs["failover.svg"],
        "<h2>Ratios</h2>",
        _html_table(RATIO_HEADER, ratio_rows(report)),
        "<h2>Harness cost</h2>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in cost_lines(report)) + "</ul>",
        *(_speed_html(report) if report.speed else []),
        "<h2>Method</h2>",
        "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in METHOD) + "</ul>",
        "</body></html>",
    ]
    if report.pytest_exit:
        parts.insert(5, f"<p><b>pytest exited with {report.pytest_exit}: some benchmarks errored.</b></p>")
    return "\n".join(parts)
