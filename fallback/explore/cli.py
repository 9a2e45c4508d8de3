"""`fallback-harness explore`: the command function (registered by `fallback.cli`)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fallback.cli_common import OP_DEADLINE, BasePort, Seconds
from fallback.explore.options import DEFAULT_DATABASE, OP_DEADLINE_S, ExploreOptions, default_save_dir
from fallback.explore.profiles import ProfileError, profile_for
from fallback.report import ExploreSummary, check_report_dir, write_report
from fallback.report.explore_view import refusal_line
from fallback.stack import stack as stack_lib
from fallback.stack.errors import StackError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fallback.engine.steps import StepTimes
    from fallback.explore.outcomes import SearchProgress

console = Console(stderr=True, soft_wrap=True)


def _bad(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(2)


BUDGET = Seconds(maximum=7 * 24 * 3600.0)


def _client(client: str, client_cmd: str | None) -> str:
    name = f"cmd:{client_cmd}" if client_cmd else client
    if name not in ("reference", "spec") and ":" not in name:
        raise _bad(f"unknown client {name!r}: reference, spec, package.module:factory, or --client-cmd")
    try:
        profile_for(name)
    except ProfileError as exc:
        raise _bad(str(exc)) from exc
    return name


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # stop like Ctrl-C: faults cleared, partial report written


def explore_command(
    client: Annotated[str, typer.Option(help="reference | spec | package.module:factory")] = "reference",
    client_cmd: Annotated[str | None, typer.Option(help='A client in another process, e.g. "node x.mjs".')] = None,
    examples: Annotated[int, typer.Option(help="Schedules to generate (shrinking runs come on top).")] = 100,
    budget: Annotated[
        float,
        typer.Option(
            parser=BUDGET,
            metavar="DURATION",
            show_default="300s",
            help="Stop searching after this long, e.g. 300s or 10m.",
        ),
    ] = 300.0,
    seed: Annotated[int | None, typer.Option(help="Reproduce a search (default: a random seed, printed).")] = None,
    save_dir: Annotated[
        Path | None,
        typer.Option(help="Where counterexamples are saved as scenarios (default: the project's scenarios/found/)."),
    ] = None,
    report_dir: Annotated[Path, typer.Option(help="Where reports/<run-id>/ is written.")] = Path("reports"),
    op_deadline: Annotated[
        float,
        typer.Option(
            parser=OP_DEADLINE,
            metavar="DURATION",
            show_default=f"{OP_DEADLINE_S:g}s",
            help="The engine's bound per client call (10s, 500ms).",
        ),
    ] = OP_DEADLINE_S,
    database: Annotated[bool, typer.Option(help="Try the failures Hypothesis saved before first.")] = True,
    profile_steps: Annotated[
        bool, typer.Option(help="Print where a schedule's time goes: median, p90 and total per step.")
    ] = False,
    state_dir: Annotated[Path, typer.Option(envvar="FALLBACK_STATE_DIR", help="The stack's state.")] = Path(".stack"),
    base_port: BasePort = 25400,
) -> None:
    """Search random fault schedules for invariant violations; shrink each to a replayable scenario file."""
    name = _client(client, client_cmd)
    if examples < 1:
        raise _bad("--examples must be at least 1")
    if seed is not None and seed < 0:
        raise _bad("--seed must be >= 0")
    try:
        check_report_dir(report_dir)
    except OSError as exc:
        raise _bad(f"{exc} (--report-dir)") from exc
    options = ExploreOptions(
        client=name,
        examples=examples,
        budget_s=budget,
        seed=seed,
        save_dir=save_dir or default_save_dir(),
        database=DEFAULT_DATABASE if database else None,
        op_deadline_s=op_deadline,
    )
    from fallback.explore.session import explore, record  # Hypothesis is imported only when exploring

    chosen = options.chosen_seed()
    console.print(f"exploring [bold]{name}[/bold] with seed [bold]{chosen}[/bold] (reproduce: --seed {chosen})")
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        stack_options = stack_lib.StackOptions(state_dir=state_dir, base_port=base_port)
        with stack_lib.running_stack(stack_options) as state:
            if not state.toxiproxy_url:  # every schedule is faults; without this check: a traceback at the end
                console.print("[red]explore not run:[/red] this stack has no Toxiproxy: explore cannot apply faults")
                raise typer.Exit(1)
            with _ProgressBar(examples) as show:
                done = explore(state, options, chosen, progress=show)
    except StackError as exc:
        console.print(f"[red]the stack could not start:[/red] {exc}")
        raise typer.Exit(1) from exc
    run = record(done)
    _print_summary(run.explore)
    if profile_steps:
        _print_steps(done.times)
    try:
        run_dir = write_report(run, report_dir)
    except OSError as exc:  # the summary is printed already; the counterexample files are saved apart
        console.print(f"[red]reports not written:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"reports: {run_dir}/ (report.html, report.md, report.json, junit.xml)")
    if done.result.stopped == "interrupted":
        console.print("interrupted: faults cleared, partial report written")
        raise typer.Exit(130)
    raise typer.Exit(1 if done.failed else 0)


class _ProgressBar:
    """A rich progress bar fed by the search's progress events."""

    def __init__(self, total: int) -> None:
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "{task.fields[rate]:.2f} ex/s · {task.fields[runs]} runs · "
                "[red]{task.fields[violations]} violations[/red] · {task.fields[flaky]} flaky"
            ),
            TimeElapsedColumn(),
        )
        self.progress = Progress(*columns, console=console, transient=False)
        self.task = self.progress.add_task("searching", total=total, rate=0.0, runs=0, violations=0, flaky=0)
        self.total = total

    def __enter__(self) -> _ProgressBar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, p: SearchProgress) -> None:
        rate = p.examples / p.elapsed_s if p.elapsed_s > 0 else 0.0
        self.progress.update(
            self.task,
            description=p.phase,
            completed=min(p.examples, self.total),
            rate=rate,
            runs=p.runs,
            violations=p.violations,
            flaky=p.flaky,
        )


def _print_steps(times: Sequence[StepTimes]) -> None:
    from fallback.engine.steps import profile

    table = Table(title=f"time per step over {len(times)} runs (`workload` is the schedule's own)")
    for column in ("step", "median ms", "p90 ms", "total s", "share"):
        table.add_column(column, justify="left" if column == "step" else "right")
    rows = profile(times)
    for row in rows:
        share = f"{row.share:.0%}"
        table.add_row(row.step, f"{row.median_s * 1000:.0f}", f"{row.p90_s * 1000:.0f}", f"{row.total_s:.1f}", share)
    median_run = sum(row.median_s for row in rows)
    table.add_row("(sum of medians)", f"{median_run * 1000:.0f}", "", f"{sum(r.total_s for r in rows):.1f}", "")
    Console().print(table)


def _print_summary(summary: ExploreSummary | None) -> None:
    if summary is None:
        return
    out = Console()
    table = Table(
        title=f"explore {summary.client}: {summary.examples} schedules, seed {summary.seed}, "
        f"{summary.examples_per_s:.2f} examples/s, stopped: {summary.stopped}"
    )
    for column in ("invariant", "judged", "broken", "counterexample", "flaky"):
        table.add_column(column)
    for i in summary.invariants:
        verdict = "[red]yes[/red]" if i.counterexample else "[green]none[/green]"
        table.add_row(
            i.name + (" (declared)" if i.declared else ""), str(i.judged), str(i.broken), verdict, str(i.flaky)
        )
    out.print(table)
    coverage = Table(title="fault coverage: schedules per toxic × link")
    links = list(summary.coverage[0].links) if summary.coverage else []
    for column in ("fault", *links):
        coverage.add_column(column)
    for row in summary.coverage:
        coverage.add_row(row.fault, *(str(row.links[link]) for link in links))
    out.print(coverage)
    for c in summary.counterexamples:
        replay = f", `run` replay: {c.replay_verdict}" if c.replay_verdict else ""
        replay += " [yellow](did not reproduce: timing-dependent)[/yellow]" if c.replay_verdict == "pass" else ""
        out.print(
            f"[red]{c.invariant}[/red]: {c.file} ({c.shrunk_faults} faults, {c.shrunk_operations} operations; "
            f"from {c.original_faults}/{c.original_operations}{replay})\n  {c.message}"
        )
    for f in summary.flaky:
        out.print(f"[yellow]flaky {f.invariant}[/yellow]: {f.failed_runs} of {f.runs} runs: {f.message}")
    refused = refusal_line(summary)
    if refused:
        console.print(f"[red]{refused}[/red]")
