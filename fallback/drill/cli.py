"""`fallback-harness drill`: a thin shell over `fallback.drill.run` (registered in `fallback.cli`).

Ctrl-C (or SIGTERM) once: traffic stops, every toxic is removed, the figures are computed and
the report is written. Twice: the drill is cancelled at once (toxics are still removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live

from fallback.cli_common import BasePort
from fallback.drill.live import LiveView, render
from fallback.drill.run import DrillOptions, DrillResult, run_drill
from fallback.drill.summary import drill_markdown
from fallback.drill.timeline import TimelineError, planned_windows
from fallback.drill.traffic import DEFAULT_MIX, TrafficPlan, parse_mix
from fallback.report import write_report
from fallback.scenario import ScenarioError, parse_duration, parse_rate
from fallback.stack import stack as stack_lib
from fallback.stack.errors import StackError
from fallback.stack.external import WritesNotAllowed, ensure_writes_allowed
from fallback.stack.seed import SPEC_SEED
from fallback.stack.state import StackState, load_state

console = Console(stderr=True, soft_wrap=True)
DEFAULT_MIX_TEXT = ",".join(f"{op}={weight:g}" for op, weight in DEFAULT_MIX.items())


def drill(
    client: Annotated[str, typer.Option(help="reference | spec | package.module:factory")] = "reference",
    rate: Annotated[str, typer.Option(help="Operations per second, e.g. 50/s.")] = "50/s",
    duration: Annotated[str, typer.Option(help="How long traffic runs, e.g. 60s or 2m.")] = "60s",
    max_ops: Annotated[int | None, typer.Option(help="Stop after this many operations.")] = None,
    mix: Annotated[str, typer.Option(help="Operation weights.")] = DEFAULT_MIX_TEXT,
    scenario: Annotated[Path | None, typer.Option(help="Take the fault timeline (only) from this file.")] = None,
    fail: Annotated[
        list[str] | None, typer.Option(help="TARGET[:TOXIC[=VALUE]]@START[-END], e.g. PRIMARY.api@10s-20s.")
    ] = None,
    op_deadline: Annotated[str, typer.Option(help="The engine's bound on each call.")] = "10s",
    seed: Annotated[
        str, typer.Option(help="`spec` (reseed 50/30/20, 45/25/15) or `none` (keep data); external: always none.")
    ] = "spec",
    dashboard: Annotated[bool, typer.Option(help="Live dashboard (off: one line per second).")] = True,
    report_dir: Annotated[Path, typer.Option(help="Where reports/<run-id>/ is written.")] = Path("reports"),
    state_dir: Annotated[Path, typer.Option(envvar="FALLBACK_STATE_DIR")] = stack_lib.DEFAULT_STATE_DIR,
    base_port: BasePort = 25400,
) -> None:
    """Rehearse an outage: steady traffic through one client while faults hit the stack, with a live dashboard.

    Faults come from --scenario/--fail, or typed live in another terminal (`fallback-harness fault PRIMARY.api
    down`): Toxiproxy is polled every 100 ms and every change is measured. Writes reports/<run-id>/ (report.json
    with the drill figures, drill.md, report.md, report.html, junit.xml).
    """
    try:
        plan = TrafficPlan(rate_per_s=parse_rate(rate), duration_s=parse_duration(duration), max_ops=max_ops,
                           mix=parse_mix(mix))  # fmt: skip
        windows = planned_windows(fail or [], scenario, plan.duration_s)
        deadline = parse_duration(op_deadline)
    except (ValueError, TimelineError, ScenarioError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if seed not in ("spec", "none"):
        console.print(f"[red]unknown --seed {seed!r}[/red] (spec or none)")
        raise typer.Exit(2)
    try:
        with _stack(state_dir, base_port) as state:
            ensure_writes_allowed(state, writes=plan.writes())
            reseed = seed == "spec" and state.kind != "external"  # never truncate someone's staging project
            options = DrillOptions(plan=plan, client=client, windows=windows, op_deadline_s=deadline,
                                   seed_rows=SPEC_SEED if reseed else None,
                                   check=all(s.db_dsn for s in state.sources))  # fmt: skip
            result = asyncio.run(_run(options, state, dashboard))
    except (StackError, WritesNotAllowed, ValueError) as exc:
        console.print(f"[red]drill not run:[/red] {exc}")
        raise typer.Exit(1) from exc
    run_dir = write_report(result.record, report_dir)
    text = drill_markdown(result.run)
    (run_dir / "drill.md").write_text(text, encoding="utf-8")
    print(text)
    console.print(f"reports: {run_dir}/ (drill.md, report.json, report.md, report.html, junit.xml)")
    raise typer.Exit(0 if result.run.verdict == "pass" else 1)


@contextlib.contextmanager
def _stack(state_dir: Path, base_port: int) -> Iterator[StackState]:
    """A compose or external stack as it is; the embedded one started if needed (and stopped after)."""
    existing = load_state(state_dir.resolve())
    if existing is not None and existing.kind != "embedded":
        yield existing
        return
    with stack_lib.running_stack(stack_lib.StackOptions(state_dir=state_dir, base_port=base_port)) as state:
        yield state


async def _run(options: DrillOptions, state: StackState, dashboard: bool) -> DrillResult:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()

    def interrupt() -> None:
        if stop.is_set() and main is not None:
            main.cancel()  # a second Ctrl-C: do not wait for in-flight calls
            return
        console.print("stopping: removing toxics, finishing in-flight calls, writing the report…")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
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
                console.print(f"t={view.t_s:5.1f}s ops/s={view.ops_per_s:5.1f} errors={err} {states}")

        return await run_drill(options, state, on_tick=line, stop=stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
