"""The `explore` section of report.md and report.html (a renderer of `ExploreSummary`, nothing more)."""

from __future__ import annotations

from html import escape

from fallback.report.explore import ExploreSummary

MAX_ERRORS = 3


def _stats(e: ExploreSummary) -> str:
    budget = f", budget {e.budget_s:g} s" if e.budget_s is not None else ""
    return (
        f"client `{e.client}` · seed `{e.seed}` · {e.examples} schedules judged ({e.generated} generated of "
        f"{e.examples_requested} asked, the rest shrinking) · {e.runs} runs · {e.duration_s:.0f} s · "
        f"**{e.examples_per_s:.2f} examples/s** · stopped: {e.stopped}{budget}"
    )


def _coverage_rows(e: ExploreSummary) -> tuple[list[str], list[list[str]]]:
    links = list(e.coverage[0].links) if e.coverage else []
    return links, [[row.fault, *(str(row.links[link]) for link in links)] for row in e.coverage]


def refusal_line(e: ExploreSummary) -> str | None:
    """One sentence on the runs refused for writing on read-only external projects, if any."""
    if not e.refused:
        return None
    return f"{e.refused} runs refused, not judged: {e.refusal}"


def explore_markdown(e: ExploreSummary) -> list[str]:
    head = "| invariant | judged | broken | counterexample | flaky | spec claim |"
    lines = ["## Exploration", "", _stats(e), ""]
    refused = refusal_line(e)
    if refused:
        lines += [f"> ⛔ **{refused}**", ""]
    lines += [head, "|---|---|---|---|---|---|"]
    for i in e.invariants:
        name = f"{i.name} (declared)" if i.declared else i.name
        lines.append(
            f"| {name} | {i.judged} | {i.broken} | {'❌ yes' if i.counterexample else '✅ none'} | {i.flaky} "
            f"| {i.claim} |"
        )
    links, rows = _coverage_rows(e)
    lines += [
        "",
        "### Fault coverage (schedules per toxic × link)",
        "",
        "| fault | " + " | ".join(links) + " |",
        "|---|" + "---|" * len(links),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    for c in e.counterexamples:
        replay = f"; `run` replay: {c.replay_verdict}" if c.replay_verdict else ""
        lines += [
            "",
            f"### ❌ {c.invariant}: `{c.file}`",
            "",
            f"{c.message}. Shrunk from {c.original_faults} faults / {c.original_operations} operations to "
            f"{c.shrunk_faults} / {c.shrunk_operations}; {c.confirmed_runs} of {c.confirmed_runs} runs broke it"
            f"{replay}.",
            "",
            "```yaml",
            c.scenario_yaml.rstrip(),
            "```",
        ]
    for f in e.flaky:
        lines += [
            "",
            f"### ⚠️ flaky {f.invariant}: broke it in {f.failed_runs} of {f.runs} runs",
            "",
            f.message,
            "",
            "```yaml",
            f.scenario_yaml.rstrip(),
            "```",
        ]
    if e.errors:
        lines += ["", f"{len(e.errors)} runs broke (first: `{e.errors[0]}`)."]
    return [*lines, ""]


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def explore_html(e: ExploreSummary) -> str:
    invariants = [
        [
            i.name + (" (declared)" if i.declared else ""),
            str(i.judged),
            str(i.broken),
            "yes" if i.counterexample else "none",
            str(i.flaky),
            i.claim,
        ]
        for i in e.invariants
    ]
    links, rows = _coverage_rows(e)
    parts = [
        "<section id='explore'><h2>Exploration</h2>",
        f"<p>{escape(_stats(e).replace('`', '').replace('**', ''))}</p>",
        f"<p class='error'>{escape(refusal_line(e) or '')}</p>" if e.refused else "",
        _table(["invariant", "judged", "broken", "counterexample", "flaky", "spec claim"], invariants),
        "<h3>Fault coverage (schedules per toxic × link)</h3>",
        _table(["fault", *links], rows),
    ]
    for c in e.counterexamples:
        replay = escape(c.replay_verdict or "not run")
        parts.append(
            f"<h3 class='fail'>{escape(c.invariant)}: {escape(c.file)}</h3><p>{escape(c.message)} "
            f"(replay: {replay})</p><pre>{escape(c.scenario_yaml)}</pre>"
        )
    for f in e.flaky:
        parts.append(
            f"<h3 class='error'>flaky {escape(f.invariant)}: {f.failed_runs} of {f.runs} runs</h3>"
            f"<p>{escape(f.message)}</p><pre>{escape(f.scenario_yaml)}</pre>"
        )
    if e.errors:
        parts.append("<pre>" + escape("\n".join(e.errors[:MAX_ERRORS])) + "</pre>")
    return "".join(parts) + "</section>"
