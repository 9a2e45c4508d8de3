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
from fallback.project import ProjectError, activate, active, default_scenario_paths, discover, init_project
from fallback.report import RunRecord, check_report_dir, write_report
from fallback.report.cli import report_app
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
ProjectOption = Annotated[
    Path | None,
    typer.Option(
        "--project",
        envvar="FALLBACK_PROJECT",
        metavar="DIR",
        help="The project to test: fallback.toml + supabase/ (default: the current directory when it has "
        "either, else the built-in example examples/triple-fallback). Give it before the command.",
    ),
]


@app.callback()
def _project(ctx: typer.Context, project: ProjectOption = None) -> None:
    """Activate the project before any command runs; a bad one exits 2 before anything starts."""
    if ctx.invoked_subcommand == "init":  # init makes a project: it reads none (`--project` is where to write)
        ctx.obj = project
        return
    try:
        chosen = discover(project)
    except ProjectError as exc:
        console.print(f"[red]invalid project[/red]\n{exc}")
        raise typer.Exit(2) from exc
    switch = activate(chosen)
    ctx.call_on_close(lambda: switch.__exit__(None, None, None))  # the previous project back (tests, embedding)


app.add_typer(stack_app, name="stack")
app.add_typer(report_app, name="report")
app.command("fault", context_settings={"ignore_unknown_options": True})(fault)  # `latency -5`: a value, not a flag
app.command("bench")(bench)
app.command("drill")(drill)
app.command("explore")(explore_command)


def _load_or_exit(paths: list[Path]) -> list[Scenario]:
    """Files as given, directories expanded (nothing given: the project's scenario folder); exit 2 on any problem."""
    try:
        return load_scenarios(scenario_files(paths or default_scenario_paths(active())))
    except ProjectError as exc:
        console.print(f"[red]invalid project[/red]\n{exc}")
        raise typer.Exit(2) from exc
    except ScenarioError as exc:
        console.print(f"[red]invalid scenario[/red]\n{exc}")
        raise typer.Exit(2) from exc


@app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Scenario files or directories (default: the project's scenarios/).")
    ] = None,
) -> None:
    """Check scenario files without running anything (exit 2 and file:line: field on every problem)."""
    scenarios = _load_or_exit(paths or [])
    console.print(f"{len(scenarios)} scenario files are valid (project {active().name})")


@app.command("init")
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(help="A folder holding supabase/migrations/*.sql (default: --project, else the current one)."),
    ] = None,
) -> None:
    """Write a starter fallback.toml and one example scenario for an existing supabase/ folder (never overwrites)."""
    given = ctx.parent.obj if ctx.parent is not None else None
    try:
        written = init_project(directory or given or Path("."))
    except ProjectError as exc:
        console.print(f"[red]cannot init[/red]\n{exc}")
        raise typer.Exit(2) from exc
    except ScenarioError as exc:  # the example scenario did not load: a bug of init, said plainly
        console.print(f"[red]init wrote a scenario that does not load[/red]\n{exc}")
        raise typer.Exit(1) from exc
    for path in written:
        console.print(f"wrote {path}")
    console.print("next: edit the sources in fallback.toml, then `fallback-harness run`")


@app.command("run")
def run(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario files or directories (default: the project's scenarios/)."),
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


def hoist_project(argv: list[str]) -> list[str]:
    """`run --project X a.yaml` as `--project X run a.yaml`: `--project` is the app's option (it is chosen
    before any command runs), and every command takes it, after the command's name too."""
    if "--" in argv:
        head, rest = argv[: argv.index("--")], argv[argv.index("--") :]
    else:
        head, rest = argv, []
    hoisted: list[str] = []
    kept: list[str] = []
    index = 0
    while index < len(head):
        word = head[index]
        if word == "--project" and index + 1 < len(head):
            hoisted += head[index : index + 2]
            index += 2
            continue
        (hoisted if word.startswith("--project=") else kept).append(word)
        index += 1
    return [*hoisted, *kept, *rest]


def main() -> None:
    try:
        app(args=hoist_project(sys.argv[1:]))
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
