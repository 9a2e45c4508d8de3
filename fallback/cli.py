"""The `fallback-harness` command: a thin shell over the library."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from fallback.bench.cli import bench
from fallback.cli_common import BasePort, StateDir, console, exit_on_sigterm
from fallback.drill.cli import drill
from fallback.engine.suite import Progress, run_suite
from fallback.explore.cli import explore_command
from fallback.faults_cli import fault
from fallback.report import write_report
from fallback.report.console import verdict_table
from fallback.scenario import Scenario, ScenarioError, load_scenarios
from fallback.stack import stack as stack_lib
from fallback.stack.cli import stack_app
from fallback.stack.errors import StackError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Resilience tests and outage drills for multi-database (Supabase) fallback clients.",
)
app.add_typer(stack_app, name="stack")
app.command("fault")(fault)
app.command("bench")(bench)
app.command("drill")(drill)
app.command("explore")(explore_command)


def _scenario_paths(paths: list[Path]) -> list[Path]:
    """Files as given; directories expanded to their `*.yaml`; nothing given means `scenarios/`."""
    found: list[Path] = []
    for path in paths or [Path("scenarios")]:
        found += sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")) if path.is_dir() else [path]
    return found


def _load_or_exit(paths: list[Path]) -> list[Scenario]:
    try:
        return load_scenarios(_scenario_paths(paths))
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
    op_deadline: Annotated[float | None, typer.Option(help="Override every scenario's op_deadline (s).")] = None,
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
    exit_on_sigterm()
    options = stack_lib.StackOptions(state_dir=state_dir, base_port=base_port)
    try:
        record = run_suite(scenarios, options, clients=clients or None, progress=_show_progress,
                           op_deadline_s=op_deadline)  # fmt: skip
    except StackError as exc:
        console.print(f"[red]the stack could not start:[/red] {exc}")
        raise typer.Exit(1) from exc
    run_dir = write_report(record, report_dir)
    Console().print(verdict_table(record))
    console.print(f"reports: {run_dir}/ (report.html, report.md, report.json, junit.xml)")
    raise typer.Exit(0 if record.verdict() == "pass" else 1)


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


app.command("bench")(bench)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
