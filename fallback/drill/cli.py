"""`fallback-harness drill`: a thin shell over `fallback.drill.run` (registered in `fallback.cli`).

Ctrl-C (or SIGTERM) once: traffic stops, every toxic is removed, the figures are computed, the
partial report is written and the exit status is 130. Twice: the calls in flight are cut off at once
(`cut_off`; toxics still removed, the report still written). Whenever it comes, a stack the drill
started is stopped; further Ctrl-Cs never interrupt that, they print the `stack down` command
(`fallback.drill.interrupts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from fallback.cli_common import OP_DEADLINE, BasePort, at_least_one, client_problem
from fallback.drill.interrupts import Interrupts
from fallback.drill.live import LiveView, render
from fallback.drill.run import DrillOptions, DrillResult, run_drill
from fallback.drill.scale import MASTER_PORT_OFFSET, ScaleOptions, workers_markdown
from fallback.drill.scale.options import ensure_ports_free
from fallback.drill.scale.shell import run_scale, scale_options
from fallback.drill.summary import drill_markdown
from fallback.drill.timeline import TimelineError, planned_windows
from fallback.drill.traffic import DEFAULT_MIX, TrafficPlan, parse_mix
from fallback.names import unknown
from fallback.project import active
from fallback.project.tables import project_tables, root_table
from fallback.report import write_report
from fallback.scenario import FaultWindow, ScenarioError, parse_duration, parse_rate
from fallback.stack import process
from fallback.stack import stack as stack_lib
from fallback.stack.errors import PortInUse, StackError
from fallback.stack.external import WritesNotAllowed, ensure_writes_allowed
from fallback.stack.seed import drill_seed
from fallback.stack.state import StackState, load_state

console = Console(stderr=True, soft_wrap=True)
INTERRUPTED = 130
"""Exit status after Ctrl-C, as shells report a process ended by SIGINT."""
DEFAULT_MIX_TEXT = ",".join(f"{op}={weight:g}" for op, weight in DEFAULT_MIX.items())


def drill(
    client: Annotated[str, typer.Option(help="reference | spec | package.module:factory")] = "reference",
    rate: Annotated[str, typer.Option(help="Operations per second, e.g. 50/s.")] = "50/s",
    duration: Annotated[str, typer.Option(help="How long traffic runs, e.g. 60s or 2m.")] = "60s",
    max_ops: Annotated[int | None, typer.Option(callback=at_least_one, help="Stop after this many operations.")] = None,
    mix: Annotated[str, typer.Option(help="Operation weights.")] = DEFAULT_MIX_TEXT,
    scenario: Annotated[Path | None, typer.Option(help="Take the fault timeline (only) from this file.")] = None,
    fail: Annotated[
        list[str] | None, typer.Option(help="TARGET[:TOXIC[=VALUE]]@START[-END], e.g. PRIMARY.api@10s-20s.")
    ] = None,
    op_deadline: Annotated[float, typer.Option(parser=OP_DEADLINE, help="The engine's bound on each call.")] = 10.0,
    table: Annotated[
        str | None,
        typer.Option(help="The table the traffic works on (default: the project's first that needs no other)."),
    ] = None,
    seed: Annotated[
        str,
        typer.Option(
            help="`spec` (reseed: the example's 50/30/20, 45/25/15; another project: its seed files and 20 rows per "
            "source of the table and its parents) or `none` (keep data); external: always none."
        ),
    ] = "spec",
    dashboard: Annotated[bool, typer.Option(help="Live dashboard (off: one line per second).")] = True,
    report_dir: Annotated[Path, typer.Option(help="Where reports/<run-id>/ is written.")] = Path("reports"),
    state_dir: Annotated[Path, typer.Option(envvar="FALLBACK_STATE_DIR")] = stack_lib.DEFAULT_STATE_DIR,
    base_port: BasePort = 25400,
    workers: Annotated[
        int | None, typer.Option(help="Send the traffic from N local Locust worker processes (one per core).")
    ] = None,
    master: Annotated[
        bool, typer.Option("--master", help="Be the Locust master; workers join from elsewhere.")
    ] = False,
    expect_workers: Annotated[
        int | None, typer.Option(help="With --master: start when this many workers have joined.")
    ] = None,
    worker: Annotated[bool, typer.Option("--worker", help="Be a Locust worker of a drill run elsewhere.")] = False,
    master_host: Annotated[str, typer.Option(help="With --worker: the master's host.")] = "127.0.0.1",
    master_port: Annotated[int | None, typer.Option(help="Locust's master port (default: --base-port + 90).")] = None,
    bind_host: Annotated[
        str, typer.Option(help="With --master: where the master listens (0.0.0.0 for other machines).")
    ] = "127.0.0.1",
    web: Annotated[bool, typer.Option("--web", help="Locust's web UI on loopback (--base-port + 91).")] = False,
    csv: Annotated[str | None, typer.Option(help="Locust's CSV stats: PREFIX_stats.csv, ...")] = None,
) -> None:
    """Rehearse an outage: steady traffic through one client while faults hit the stack, with a live dashboard.

    Faults come from --scenario/--fail, or typed live in another terminal (`fallback-harness fault PRIMARY.api
    down`): Toxiproxy is polled every 100 ms and every change is measured. Writes reports/<run-id>/ (report.json
    with the drill figures, drill.md, report.md, report.html, junit.xml).
    """
    deadline = op_deadline
    port = master_port if master_port is not None else base_port + MASTER_PORT_OFFSET
    if worker:  # nothing else of the drill runs here: the master's drill sends the plan
        os.execv(
            sys.executable,
            [
                sys.executable,
                "-m",
                "fallback.drill.scale.worker",
                "--master-host",
                master_host,
                "--master-port",
                str(port),
            ],
        )
    try:
        scale = scale_options(workers, master, expect_workers, port, bind_host, web, csv, base_port, report_dir)
        problem = "a drill runs one client: --client reference or spec" if client == "both" else client_problem(client)
        if problem is not None:
            raise ValueError(problem)
        rate_per_s, duration_s = _flag("--rate", parse_rate, rate), _flag("--duration", parse_duration, duration)
        known = project_tables(active())
        if table is not None and table not in known:
            raise ValueError(f"--table: {unknown('table', table, known)}")
        plan = TrafficPlan(
            rate_per_s=rate_per_s,
            duration_s=duration_s,
            max_ops=max_ops,
            mix=parse_mix(mix),
            drain_s=deadline + 1,
            table=table if table is not None else root_table(active(), known),
        )
        windows = planned_windows(fail or [], scenario, plan.duration_s)
    except (ValueError, TimelineError, ScenarioError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if seed not in ("spec", "none"):
        console.print(f"[red]unknown --seed {seed!r}[/red] (spec or none)")
        raise typer.Exit(2)
    if scale is not None:
        try:
            ensure_ports_free(scale)
        except PortInUse as exc:
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    interrupts = Interrupts(state_dir, lambda text: console.print(text, markup=False))
    with interrupts.installed(ignore_after=True):
        code = _drill(
            plan, windows, deadline, client, seed, dashboard, report_dir, state_dir, base_port, interrupts, scale
        )
    raise typer.Exit(code)


def _drill(
    plan: TrafficPlan,
    windows: tuple[FaultWindow, ...],
    deadline: float,
    client: str,
    seed: str,
    dashboard: bool,
    report_dir: Path,
    state_dir: Path,
    base_port: int,
    interrupts: Interrupts,
    scale: ScaleOptions | None = None,
) -> int:
    """The drill once its flags are checked; returns the exit status."""
    extra = ""
    try:
        with _stack(state_dir, base_port, interrupts) as state:
            ensure_writes_allowed(state, writes=plan.writes())
            reseed = seed == "spec" and state.kind != "external"  # never truncate someone's staging project
            options = DrillOptions(
                plan=plan,
                client=client,
                windows=windows,
                op_deadline_s=deadline,
                seed_rows=drill_seed(plan.table) if reseed else None,
                check=all(s.db_dsn for s in state.sources),
            )
            if scale is None:
                result = asyncio.run(_run(options, state, dashboard, interrupts))
            else:
                scaled = asyncio.run(run_scale(options, scale, state, dashboard, interrupts, console))
                result, extra = scaled.result, workers_markdown(scaled)
    except (KeyboardInterrupt, asyncio.CancelledError) as exc:
        what = "while the stack started" if isinstance(exc, KeyboardInterrupt) else "twice"
        console.print(f"drill interrupted {what}: no report written; what it started is stopped")
        return INTERRUPTED
    except PortInUse as exc:
        console.print(f"[red]drill not run:[/red] {exc}")
        return 2
    except (StackError, WritesNotAllowed, ValueError) as exc:
        console.print(f"[red]drill not run:[/red] {exc}")
        return 1
    run_dir = write_report(result.record, report_dir)
    text = drill_markdown(result.run) + extra
    (run_dir / "drill.md").write_text(text, encoding="utf-8")
    print(text)
    console.print(f"reports: {run_dir}/ (drill.md, report.json, report.md, report.html, junit.xml)")
    if interrupts.count:
        console.print("drill interrupted: the report covers the traffic until Ctrl-C")
        return INTERRUPTED
    return 0 if result.run.verdict == "pass" else 1


def _flag(flag: str, parse: Callable[[str], float], text: str) -> float:
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"{flag}: {exc}") from exc


@contextlib.contextmanager
def _stack(state_dir: Path, base_port: int, interrupts: Interrupts) -> Iterator[StackState]:
    """A compose or external stack as it is; the embedded one started if needed, and then always stopped.

    "Always": also when the start or the drill is interrupted, whenever the signal lands (the stack
    module stops what a failed start started; this is the second net, by the state file)."""
    existing = load_state(state_dir.resolve())
    if existing is not None and existing.kind != "embedded":
        yield existing
        return
    was_running = existing is not None and stack_lib.is_healthy(existing)
    started_here: bool | None = None
    try:
        state, started_here = stack_lib.up(stack_lib.StackOptions(state_dir=state_dir, base_port=base_port))
        yield state
    finally:
        interrupts.cleanup()
        if started_here or (started_here is None and not was_running):
            stopped = stack_lib.down(state_dir)
            left = [p for p in stopped if process.is_alive(p)]
            if left:
                console.print(f"[red]{len(left)} processes of the stack still run[/red]: {interrupts.hint}")


async def _run(options: DrillOptions, state: StackState, dashboard: bool, interrupts: Interrupts) -> DrillResult:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()
    assert main is not None
    interrupts.traffic(
        on_stop=lambda: loop.call_soon_threadsafe(stop.set), on_cancel=lambda: loop.call_soon_threadsafe(main.cancel)
    )
    try:
        if dashboard and console.is_terminal:
            with Live(console=console, auto_refresh=False, transient=False) as live:

                def show(view: LiveView) -> None:
                    live.update(render(view, f"outage drill — {options.client} client"), refresh=True)

                return await run_drill(options, state, on_tick=show, stop=stop)
        last = [-1]

        def line(view: LiveView) -> None:
            if int(view.t_s) != last[0]:
                last[0] = int(view.t_s)
                states = " ".join(f"{s.name}:{s.state}" for s in view.sources)
                err = "-" if view.error_rate is None else f"{100 * view.error_rate:.0f}%"
                g = view.generator
                pace = (
                    ""
                    if g is None
                    else (
                        f" sent/s={g.sent_per_s:.0f} lag_p99={g.lag_p99_ms or 0:.0f}ms"
                        + (" HARNESS SATURATED" if g.saturated else "")
                    )
                )
                console.print(f"t={view.t_s:5.1f}s ops/s={view.ops_per_s:5.1f} errors={err} {states}{pace}")

        return await run_drill(options, state, on_tick=line, stop=stop)
    finally:
        interrupts.cleanup()  # before the loop closes: a late signal must not reach it
