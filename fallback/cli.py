"""The `fallback-harness` command: a thin shell over the library."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from fallback.bench.cli import bench
from fallback.engine.suite import Progress, run_suite
from fallback.report import write_report
from fallback.report.console import verdict_table
from fallback.scenario import Scenario, ScenarioError, load_scenarios
from fallback.stack import stack as stack_lib
from fallback.stack.errors import StackError
from fallback.stack.seed import SPEC_SEED
from fallback.stack.state import StackState, load_state
from fallback.toxics import FAULT_KINDS, MAIN_ATTRIBUTE, Fault, Toxiproxy, ToxiproxyError

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
stack_app = typer.Typer(no_args_is_help=True, help="Start, inspect and stop the local three-source stack.")
app.add_typer(stack_app, name="stack")
console = Console(stderr=True, soft_wrap=True)

StateDir = Annotated[
    Path, typer.Option("--state-dir", envvar="FALLBACK_STATE_DIR", help="Where the stack keeps its state.")
]
SEEDS = {"spec": SPEC_SEED, "none": None}


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks stop what we started."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


@stack_app.command("up")
def stack_up(
    state_dir: StateDir = stack_lib.DEFAULT_STATE_DIR,
    base_port: Annotated[int, typer.Option(help="First port of the layout (see README).")] = 25400,
    seed: Annotated[
        str, typer.Option(help="Seed rows: `spec` (50/30/20 profiles, 45/25/15 challenges) or `none`.")
    ] = "none",
    as_json: Annotated[bool, typer.Option("--json", help="Print endpoints and keys as JSON.")] = False,
) -> None:
    """Start PostgreSQL, gateways and Toxiproxy for PRIMARY, BOLT and OLD; return once all are healthy."""
    if seed not in SEEDS:
        console.print(f"[red]unknown --seed {seed!r}[/red] (choose from: {', '.join(SEEDS)})")
        raise typer.Exit(2)
    _exit_on_sigterm()
    options = stack_lib.StackOptions(state_dir=state_dir, base_port=base_port, seed=SEEDS[seed])
    try:
        with console.status("starting the stack…"):
            state, started = stack_lib.up(options)
    except StackError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(state.public_view(), indent=2))
        return
    console.print("stack started" if started else "stack already running")
    _print_endpoints(state_dir)


@stack_app.command("status")
def stack_status(
    state_dir: StateDir = stack_lib.DEFAULT_STATE_DIR,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Say whether the stack is up, and where."""
    state = load_state(state_dir.resolve())
    healthy = state is not None and stack_lib.is_healthy(state)
    if as_json:
        view = state.public_view() if state is not None and healthy else {}
        print(json.dumps({"running": healthy, **view}, indent=2))
    elif healthy:
        _print_endpoints(state_dir)
    else:
        leftovers = " (leftovers found: run `stack down`)" if state else ""
        console.print(f"no healthy stack in {state_dir}{leftovers}")
    raise typer.Exit(0 if healthy else 1)


@stack_app.command("down")
def stack_down(
    state_dir: StateDir = stack_lib.DEFAULT_STATE_DIR,
    purge: Annotated[bool, typer.Option(help="Also delete the databases and logs.")] = False,
) -> None:
    """Stop every process the stack started."""
    stopped = stack_lib.down(state_dir, purge=purge)
    console.print(f"stopped {len(stopped)} processes" + (" and removed the state dir" if purge else ""))


@app.command("fault")
def fault(
    target: Annotated[str, typer.Argument(help="A link such as PRIMARY.api or BOLT.db; `all` with `clear`.")],
    kind: Annotated[str, typer.Argument(help=f"{' | '.join(FAULT_KINDS)} | up | clear")],
    value: Annotated[float | None, typer.Argument(help="The toxic's main attribute (ms, KB/s, bytes).")] = None,
    stream: Annotated[str, typer.Option(help="upstream or downstream")] = "downstream",
    toxicity: Annotated[float, typer.Option(help="probability per connection, 0..1")] = 1.0,
    jitter: Annotated[int, typer.Option(help="latency jitter in ms")] = 0,
    state_dir: StateDir = stack_lib.DEFAULT_STATE_DIR,
) -> None:
    """Inject or clear a fault on the running stack, e.g. `fault PRIMARY.api down`, `fault BOLT.api latency 300`."""
    state = _require_stack(state_dir)
    with Toxiproxy(state.toxiproxy_url) as toxiproxy:
        proxies = toxiproxy.proxies()
        if target != "all" and target not in proxies:
            console.print(f"[red]unknown link {target!r}[/red] (known: {', '.join(sorted(proxies))})")
            raise typer.Exit(2)
        if kind == "clear":
            for name in proxies if target == "all" else [target]:
                toxiproxy.up(name)
                for toxic in toxiproxy.toxics(name):
                    toxiproxy.remove(name, str(toxic["name"]))
            console.print(f"cleared {target}")
            return
        if kind == "up":
            toxiproxy.up(target)
            console.print(f"{target} up")
            return
        attributes: dict[str, int | float] = {}
        if value is not None and kind in MAIN_ATTRIBUTE:
            attributes[MAIN_ATTRIBUTE[kind]] = int(value)
        if kind == "latency":
            attributes["jitter"] = jitter
        try:
            chosen = Fault(target, kind, attributes, "upstream" if stream == "upstream" else "downstream", toxicity)
            chosen.apply(toxiproxy)
        except (ValueError, ToxiproxyError) as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
        console.print(f"{target}: {kind} {dict(chosen.toxic().attributes) if kind != 'down' else ''}".rstrip())


def _require_stack(state_dir: Path) -> StackState:
    """The stack's state; a fault may well have made it unhealthy, so health is not required."""
    state = load_state(state_dir.resolve())
    if state is None:
        console.print(f"[red]no stack in {state_dir}[/red]: start one with `fallback-harness stack up`")
        raise typer.Exit(1)
    return state


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
    base_port: Annotated[int, typer.Option(help="Port base if the stack must be started.")] = 25400,
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
    _exit_on_sigterm()
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


def _print_endpoints(state_dir: Path) -> None:
    state = load_state(state_dir.resolve())
    if state is None:
        return
    print(f"Toxiproxy API  {state.toxiproxy_url}")
    for s in state.sources:
        print(f"{s.name:<8} api_url {s.api_url}  (direct {s.direct_api_url}, PostgreSQL :{s.pg_port}, "
              f"proxies {s.api_proxy} {s.db_proxy})")
    console.print(f"keys and DSNs: `fallback-harness stack status --json` or {state_dir}/state.json")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
