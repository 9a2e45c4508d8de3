"""The `fallback-harness` command: a thin shell over the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from fallback.bench.cli import bench
from fallback.cli_common import OP_DEADLINE, BasePort, StateDir, check_clients, console, exit_on_sigterm
from fallback.drill.cli import drill
from fallback.engine.suite import Progress, SuiteInterrupted, clients_for, run_suite
from fallback.explore.cli import explore_command
from fallback.faults_cli import fault
from fallback.report import RunRecord, check_report_dir, write_report
from fallback.report.console import verdict_table
from fallback.scenario import Scenario, ScenarioError, load_scenarios, scenario_files
from fallback.stack import stack as stack_lib
from fallback.stack.cli import stack_app
from fallback.stack.errors import StackError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Resilience tests and outage drills for multi-database (Supabase) fallback clients.",
)
app.add_typer(stack_app, name="stack")
app.command("fault", context_settings={"ignore_unknown_options": True})(fault)  # `latency -5`: a value, not a flag
app.command("bench")(bench)
app.command("drill")(drill)
app.command("explore")(explore_command)


def _load_or_exit(paths: list[Path]) -> list[Scenario]:
    """Files as given, directories expanded (nothing given means `scenarios/`); exit 2 on any problem."""
    try:
        return load_scenarios(scenario_files(paths or [Path("scenarios")]))
    except ScenarioError as exc:
        console.print(f"[red]invalid scenario[/red]\n{exc}")
        raise typer.Exit(2) from exc


@app.command("validate")
def validate(paths: Annotated[list[Path], typer.Argument(help="Scenario files or directories.")]) -> None:
    """Check scenario files without running anything (exit 2 and file:line: field on the first problem)."""
    scenarios = _load_or_exit(paths)
    console.print(f"{len(scenarios)} scenario files are valid")


@app.command("run")
def run(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Scenario files or directories (default: scenarios/).")
    ] = None,
    client: Annotated[
        list[str] | None,
        typer.Option("--client", help="reference | spec | both | package.module:factory (repeatable)."),
    ] = None,
    client_cmd: Annotated[
        str | None,
        typer.Option("--client-cmd", help='A client in any language, e.g. "node clients/spec-js/adapter.mjs".'),
    ] = None,
    report_dir: Annotated[Path, typer.Option(help="Where reports/<run-id>/ is written.")] = Path("reports"),
    keyword: Annotated[str | None, typer.Option("-k", help="Only scenarios whose name contains this.")] = None,
    op_deadline: Annotated[
        float | None,
        typer.Option(
            parser=OP_DEADLINE, metavar="DURATION", help="Override every scenario's op_deadline (10s, 500ms)."
        ),
    ] = None,
    state_dir: StateDir = stack_lib.DEFAULT_STATE_DIR,
    base_port: BasePort = 25400,
) -> None:
    """Run scenarios against the stack (started if needed), write reports, exit 0 only if every verdict passes."""
    scenarios = _load_or_exit(paths or [])
    if keyword:
        scenarios = [s for s in scenarios if keyword in s.name]
        if not scenarios:
            console.print(f"[red]no scenario name contains {keyword!r}[/red]")
            raise typer.Exit(2)
    clients = list(client or [])
    if client_cmd:
        clients.append(f"cmd:{client_cmd}")
    check_clients(name for scenario in scenarios for name in clients_for(scenario, clients or None))
    _check_report_dir(report_dir)
    exit_on_sigterm()
    options = stack_lib.StackOptions(state_dir=state_dir, base_port=base_port)
    try:
        record = run_suite(
            scenarios, options, clients=clients or None, progress=_show_progress, op_deadline_s=op_deadline
        )
    except StackError as exc:
        console.print(f"[red]the stack could not start:[/red] {exc}")
        raise typer.Exit(exc.exit_code) from exc  # 2 for the project's SQL failing (bad input)
    except SuiteInterrupted as stopped:
        _interrupted(stopped.record, report_dir)
    raise typer.Exit(finish_run(record, report_dir))


def _check_report_dir(report_dir: Path) -> None:
    try:
        check_report_dir(report_dir)
    except OSError as exc:
        console.print(f"[red]{exc}[/red] (--report-dir)")
        raise typer.Exit(2) from exc


def finish_run(record: RunRecord, report_dir: Path) -> int:
    """Print the verdict table, then write the reports; the exit code: 0 all pass, 1 otherwise.

    The verdicts are printed first, so a report directory that fails at the end (full disk) loses
    the files, not the outcome; a run whose reports could not be written never exits 0.
    """
    Console().print(verdict_table(record))
    try:
        run_dir = write_report(record, report_dir)
    except OSError as exc:
        console.print(f"[red]reports not written:[/red] {exc}")
        return 1
    console.print(f"reports: {run_dir}/ (report.html, report.md, report.json, junit.xml)")
    return 0 if record.verdict() == "pass" else 1


def _interrupted(partial: RunRecord, report_dir: Path) -> NoReturn:
    """Ctrl-C: the faults are cleared and the stack stopped (if started here); report what finished, exit 130."""
    if not partial.scenarios:
        console.print("interrupted before any scenario ran: faults cleared, no report written")
        raise typer.Exit(130)
    Console().print(verdict_table(partial))
    try:
        run_dir = write_report(partial, report_dir)
    except OSError as exc:
        console.print(f"interrupted: faults cleared; [red]partial report not written:[/red] {exc}")
        raise typer.Exit(130) from exc
    console.print(f"interrupted: faults cleared, partial report written to {run_dir}/")
    raise typer.Exit(130)


def _show_progress(step: Progress) -> None:
    if step.result is None:
        console.print(f"[{step.index}/{step.total}] {step.scenario} [{step.client}] …", end="\r")
        return
    colour = {"pass": "green", "fail": "red", "error": "magenta"}[step.result.verdict]
    failed = step.result.failed()
    detail = f" — {len(failed)} failed: {', '.join(e.name for e in failed[:3])}" if failed else ""
    if step.result.error:
        detail = f" — {step.result.error}"
    console.print(
        f"[{step.index}/{step.total}] {step.scenario} [{step.client}] "
        f"[{colour}]{step.result.verdict}[/{colour}] ({step.result.duration_s:.1f} s){detail}"
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
