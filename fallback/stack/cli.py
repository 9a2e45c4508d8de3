"""`fallback-harness stack up|status|down`: the embedded stack, a Docker Compose one, or external projects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fallback.cli_common import SEEDS, BasePort, StateDir, console, exit_on_sigterm
from fallback.faults import Controls, OnNow, faults_on
from fallback.gateway.config import DEFAULT_SCHEMAS, parse_schemas
from fallback.stack import stack as stack_lib
from fallback.stack.compose import ComposeOptions, ComposeStack
from fallback.stack.errors import MigrationFailed, StackError
from fallback.stack.external import ExternalConfigError, ExternalStack, load_external_config
from fallback.stack.ports import DEFAULT_BASE_PORT
from fallback.stack.state import DEFAULT_STATE_DIR, StackKind, StackState, load_state
from fallback.toxics import Toxiproxy

stack_app = typer.Typer(
    no_args_is_help=True,
    help="Start, inspect and stop the stack: one local Supabase-like source per source of the project.",
)


@stack_app.command("up")
def stack_up(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    base_port: BasePort = DEFAULT_BASE_PORT,
    seed: Annotated[
        str, typer.Option(help="Seed rows: `spec` (50/30/20 profiles, 45/25/15 challenges) or `none`.")
    ] = "none",
    as_json: Annotated[bool, typer.Option("--json", help="Print endpoints and keys as JSON.")] = False,
    stack: Annotated[StackKind, typer.Option("--stack", help="embedded (default), compose or external.")] = (
        StackKind.embedded
    ),
    no_docker: Annotated[
        bool, typer.Option(help="compose: the containers are already up; only describe them.")
    ] = False,
    config: Annotated[Path | None, typer.Option(help="external: the projects' config file (YAML).")] = None,
    schemas: Annotated[
        str | None,
        typer.Option(
            help="embedded: the schemas each gateway exposes, comma-separated (PostgREST's db-schemas); "
            "the first is the default, the others are chosen with Accept-Profile / Content-Profile. "
            f"Default: {','.join(DEFAULT_SCHEMAS)}; without it a running stack is used whatever it exposes."
        ),
    ] = None,
) -> None:
    """Start (or attach to) the project's sources, its migrations loaded; return once all are healthy."""
    try:
        exposed = None if schemas is None else parse_schemas(schemas)
    except ValueError as exc:
        console.print(f"[red]--schemas {schemas!r}: {exc}[/red]")
        raise typer.Exit(2) from None
    if seed not in SEEDS:
        console.print(f"[red]unknown --seed {seed!r}[/red] (choose from: {', '.join(SEEDS)})")
        raise typer.Exit(2)
    if stack is StackKind.external and config is None:
        console.print("[red]--stack external needs --config FILE[/red] (see README: External projects)")
        raise typer.Exit(2)
    exit_on_sigterm()
    started = True
    try:
        with console.status("starting the stack…"):
            if stack is StackKind.compose:
                options = ComposeOptions(state_dir=state_dir, seed=SEEDS[seed], run_docker=not no_docker)
                state = stack_lib.start(ComposeStack(options))
            elif stack is StackKind.external and config is not None:
                state = stack_lib.start(ExternalStack(state_dir, load_external_config(config)))
            else:
                options_ = stack_lib.StackOptions(
                    state_dir=state_dir, base_port=base_port, seed=SEEDS[seed], schemas=exposed
                )
                state, started = stack_lib.up(options_)
    except StackError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        if isinstance(exc, MigrationFailed):
            console.print("nothing of the stack is left running; fix the file and run `stack up` again")
        raise typer.Exit(exc.exit_code) from exc
    except ExternalConfigError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps(state.public_view(), indent=2))
        return
    console.print(f"{state.kind} stack " + ("started" if started else "already running"))
    print_endpoints(state)


def _faults(state: StackState) -> tuple[OnNow, ...] | None:
    """The faults on the stack now, every family (None without Toxiproxy: nothing to ask)."""
    if not state.toxiproxy_url:
        return None
    with Toxiproxy(state.toxiproxy_url, timeout_s=2.0) as toxiproxy:
        return faults_on(Controls.of_stack(toxiproxy, state))


@stack_app.command("status")
def stack_status(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Say whether the stack is up, and where, and which faults are on (exit 0 when healthy, 1 when not)."""
    state = load_state(state_dir.resolve())
    healthy = state is not None and stack_lib.is_healthy(state)
    faults = _faults(state) if state is not None else None
    if faults is not None and not healthy:  # a stack that is down: only what may explain it (a pause, a kill)
        faults = tuple(fault for fault in faults if fault.kind != "unreachable")
    if as_json:
        view = state.public_view() if state is not None and healthy else {}
        on = [str(f) for f in faults] if faults is not None else None
        print(json.dumps({"running": healthy, **view, "active_faults": on}, indent=2))
        raise typer.Exit(0 if healthy else 1)
    if state is not None and healthy:
        print_endpoints(state)
    else:
        leftovers = " (leftovers found: run `stack down`)" if state else ""
        console.print(f"no healthy stack in {state_dir}{leftovers}")
    if faults:
        console.print(f"[yellow]{len(faults)} faults are on[/yellow] (left by a run that was killed?):")
        for fault in faults:
            console.print(f"  {fault}")
        console.print(f"clear them with `fallback-harness fault all clear --state-dir {state_dir}`")
    elif faults is not None and healthy:
        console.print("no faults are on")
    raise typer.Exit(0 if healthy else 1)


@stack_app.command("down")
def stack_down(
    state_dir: StateDir = DEFAULT_STATE_DIR,
    purge: Annotated[bool, typer.Option(help="Also delete the databases and logs.")] = False,
) -> None:
    """Stop every process (or container) the stack started; external projects are only forgotten."""
    state = load_state(state_dir.resolve())
    try:
        stopped = stack_lib.down(state_dir, purge=purge)
    except StackError as exc:
        console.print(f"[red]stack down failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if state is not None and state.kind is StackKind.compose:
        console.print("compose stack stopped")
        return
    console.print(f"stopped {len(stopped)} processes" + (" and removed the state dir" if purge else ""))


def print_endpoints(state: StackState) -> None:
    if state.project_name:
        print(f"project        {state.project_name} ({state.project_root})")
    print(f"Toxiproxy API  {state.toxiproxy_url or '(none)'}")
    width = max((len(s.name) for s in state.sources), default=8)
    for s in state.sources:
        print(
            f"{s.name:<{width}} api_url {s.api_url}  (direct {s.direct_api_url}, PostgreSQL :{s.pg_port}, "
            f"proxies {s.api_proxy} {s.db_proxy})"
        )
    console.print(f"keys and DSNs: `fallback-harness stack status --json` or {state.state_dir}/state.json")
