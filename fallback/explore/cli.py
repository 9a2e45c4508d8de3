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

from fallback.cli_common import BasePort
from fallback.explore.options import DEFAULT_DATABASE, DEFAULT_SAVE_DIR, OP_DEADLINE_S, ExploreOptions
from fallback.explore.profiles import ProfileError, profile_for
from fallback.report import ExploreSummary, write_report
from fallback.scenario import parse_duration
from fallback.stack import stack as stack_lib
from fallback.stack.errors import StackError

if TYPE_CHECKING:
    from fallback.explore.outcomes import SearchProgress

console = Console(stderr=True, soft_wrap=True)


def _bad(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]")
    return typer.Exit(2)


def _seconds(text: str, option: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise _bad(f"{option}: {exc}") from exc


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
    budget: Annotated[str, typer.Option(help="Stop searching after this long, e.g. 300s or 10m.")] = "300s",
    seed: Annotated[int | None, typer.Option(help="Reproduce a search (default: a random seed, printed).")] = None,
    save_dir: Annotated[Path, typer.Option(help="Where counterexamples are saved as scenarios.")] = DEFAULT_SAVE_DIR,
    report_dir: Annotated[Path, typer.Option(help="Where reports/<run-id>/ is written.")] = Path("reports"),
    op_deadline: Annotated[str, typer.Option(help="The engine's bound per client call.")] = f"{OP_DEADLINE_S:g}s",
    database: Annotated[bool, typer.Option(help="Try the failures Hypothesis saved before first.")] = True,
    state_dir: Annotated[Path, typer.Option(envvar="FALLBACK_STATE_DIR", help="The stack's state.")] = Path(".stack"),
    base_port: BasePort = 25400,
) -> None:
    """Search random fault schedules for invariant violations; shrink each to a replayable scenario file."""
    name = _client(client, client_cmd)
    if examples < 1:
        raise _bad("--examples must be at least 1")
    if seed is not None and seed < 0:
        raise _bad("--seed must be >= 0")
    options = ExploreOptions(
        client=name, examples=examples, budget_s=_seconds(budget, "--budget"), seed=seed, save_dir=save_dir,
        database=DEFAULT_DATABASE if database else None, op_deadline_s=_seconds(op_deadline, "--op-deadline"),
    )  # fmt: skip
    from fallback.explore.session import explore, record  # Hypothesis is imported only when exploring

    chosen = options.chosen_seed()
    console.print(f"exploring [bold]{name}[/bold] with seed [bold]{chosen}[/bold] (reproduce: --seed {chosen})")
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        stack_options = stack_lib.StackOptions(state_dir=state_dir, base_port=base_port)
        with stack_lib.running_stack(stack_options) as state, _ProgressBar(examples) as show:
            done = explore(state, options, chosen, progress=show)
    except StackError as exc:
        console.print(f"[red]the stack could not start:[/red] {exc}")
        raise typer.Exit(1) from exc
    run = record(done)
    run_dir = write_report(run, report_dir)
    _print_summary(run.explore)
    console.print(f"reports: {run_dir}/ (report.html, report.md, report.json, junit.xml)")
    if done.result.stopped == "interrupted":
        console.print("interrupted: faults cleared, partial report written")
        raise typer.Exit(130)
    raise typer.Exit(1 if done.violated or done.result.stopped == "errors" else 0)


class _ProgressBar:
    """A rich progress bar fed by the search's progress events."""

    def __init__(self, total: int) -> None:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]:.2f} ex/s · {task.fields[runs]} runs · "
                              "[red]{task.fields[violations]} violations[/red] · {task.fields[flaky]} flaky"),
                   TimeElapsedColumn())  # fmt: skip
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
        self.progress.update(self.task, description=p.phase, completed=min(p.examples, self.total), rate=rate,
                             runs=p.runs, violations=p.violations, flaky=p.flaky)  # fmt: skip


def _print_summary(summary: ExploreSummary | None) -> None:
    if summary is None:
        return
    out = Console()
    table = Table(title=f"explore {summary.client}: {summary.examples} schedules, seed {summary.seed}, "
                        f"{summary.examples_per_s:.2f} examples/s, stopped: {summary.stopped}")  # fmt: skip
    for column in ("invariant", "judged", "broken", "counterexample", "flaky"):
        table.add_column(column)
    for i in summary.invariants:
        verdict = "[red]yes[/red]" if i.counterexample else "[green]none[/green]"
        table.add_row(i.name + (" (declared)" if i.declared else ""), str(i.judged), str(i.broken), verdict,
                      str(i.flaky))  # fmt: skip
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
        out.print(f"[red]{c.invariant}[/red]: {c.file} ({c.shrunk_faults} faults, {c.shrunk_operations} operations; "
                  f"from {c.original_faults}/{c.original_operations}{replay})\n  {c.message}")  # fmt: skip
    for f in summary.flaky:
        out.print(f"[yellow]flaky {f.invariant}[/yellow]: {f.failed_runs} of {f.runs} runs: {f.message}")
