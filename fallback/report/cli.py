"""`fallback-harness report ...`: commands over reports already written (a thin shell over
`fallback.report.trend`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fallback.cli_common import console
from fallback.report.trend import DEFAULT_MIN_DELTA_MS, DEFAULT_MIN_HISTORY, DEFAULT_RATIO, Trend, build_trend
from fallback.report.trend_input import TrendInputError, load_trend_runs
from fallback.report.trend_render import write_trend

__all__ = ["report_app", "trend_exit_code"]

report_app = typer.Typer(no_args_is_help=True, help="Work with reports already written (trends across runs).")


def trend_exit_code(trend: Trend, fail_on_flags: bool) -> int:
    """0, or 1 when `fail_on_flags` and a verdict is flaky or the newest run regressed."""
    return 1 if fail_on_flags and (trend.flaky or trend.newest_regressions()) else 0


@report_app.command("trend")
def trend_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Report directories (reports/, a run's directory) or report.json files (default: reports/)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Where trend.html and trend.md are written.")] = Path(
        "reports/trend"
    ),
    last: Annotated[int | None, typer.Option("--last", min=1, help="Only the newest N runs.")] = None,
    ratio: Annotated[
        float,
        typer.Option("--ratio", min=1.0, help="Flag a p50/p95 at least this many times the earlier runs' median."),
    ] = DEFAULT_RATIO,
    min_delta_ms: Annotated[
        float, typer.Option("--min-delta-ms", min=0.0, help="... and at least this many ms above it.")
    ] = DEFAULT_MIN_DELTA_MS,
    min_history: Annotated[
        int, typer.Option("--min-history", min=1, help="Earlier runs needed before a run can be flagged.")
    ] = DEFAULT_MIN_HISTORY,
    fail_on_flags: Annotated[
        bool, typer.Option("--fail-on-flags", help="Exit 1 when a verdict is flaky or the newest run regressed.")
    ] = False,
) -> None:
    """Verdicts, p50/p95 per operation, availability and the spec's claims across runs; flaky verdicts and
    latency regressions flagged. Writes trend.html and trend.md; exit 2 when a report cannot be read."""
    try:
        runs = load_trend_runs(paths or [Path("reports")], last=last)
    except TrendInputError as exc:
        console.print(f"[red]cannot read the reports:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    trend = build_trend(runs, ratio=ratio, min_delta_ms=min_delta_ms, min_history=min_history)
    try:
        html_path, md_path = write_trend(trend, out)
    except OSError as exc:
        console.print(f"[red]trend not written:[/red] {exc}")
        raise typer.Exit(1) from exc
    flaky = sum(len(s.flaky_commits) for s in trend.flaky)
    Console().print(
        f"{len(trend.runs)} runs, {len(trend.series)} scenario/client series: {flaky} flaky, "
        f"{len(trend.regressions)} regressions ({len(trend.newest_regressions())} in the newest run)",
        highlight=False,
    )
    console.print(f"trend: {html_path} and {md_path}")
    raise typer.Exit(trend_exit_code(trend, fail_on_flags))
