"""`fallback-harness drill --workers/--master` in the drill process: the flags checked into `ScaleOptions`, and
the run with the same signals as a one-process drill (`fallback.drill.cli`) and a dashboard line per worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.live import Live

from fallback.drill.interrupts import Interrupts
from fallback.drill.live import LiveView
from fallback.drill.run import DrillOptions
from fallback.drill.scale.cluster import LocustCluster
from fallback.drill.scale.options import WEB_PORT_OFFSET, ScaleOptions
from fallback.drill.scale.run import ScaleResult, run_scale_drill
from fallback.drill.scale.share import MAX_WORKERS
from fallback.drill.scale.view import render_scale, worker_line
from fallback.stack.state import StackState


def scale_options(
    workers: int | None,
    master: bool,
    expect_workers: int | None,
    port: int,
    bind_host: str,
    web: bool,
    csv: str | None,
    base_port: int,
    report_dir: Path,
) -> ScaleOptions | None:
    """The Locust options, or None for a drill in this one process; ValueError naming the flag."""
    if workers is None and not master:
        if expect_workers is not None or web or csv:
            raise ValueError("--expect-workers, --web and --csv go with --workers N or --master")
        return None
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"--workers: from 1 to {MAX_WORKERS}, got {workers}")
    if master and (expect_workers is None or not 1 <= expect_workers <= MAX_WORKERS):
        raise ValueError(f"--master needs --expect-workers N (1 to {MAX_WORKERS}): the workers it waits for")
    if not 1024 <= port <= 65535:
        raise ValueError(f"--master-port: from 1024 to 65535, got {port}")
    local = workers or 0
    return ScaleOptions(
        workers=local,
        expect_workers=(expect_workers or 0) + local if master else local,
        master_port=port,
        bind_host=bind_host,
        web_port=base_port + WEB_PORT_OFFSET if web else 0,
        csv_prefix=csv or "",
        log_dir=report_dir / "locust-logs",
    )


async def run_scale(
    options: DrillOptions,
    scale: ScaleOptions,
    state: StackState,
    dashboard: bool,
    interrupts: Interrupts,
    console: Console,
) -> ScaleResult:
    """`_run` for a drill over Locust workers: the same signals, the dashboard with a line per worker."""
    loop = asyncio.get_running_loop()
    stop, cut = asyncio.Event(), asyncio.Event()

    def cut_off() -> None:  # the second Ctrl-C: the workers cut their calls off; the drill is not cancelled
        stop.set()
        cut.set()

    interrupts.traffic(
        on_stop=lambda: loop.call_soon_threadsafe(stop.set), on_cancel=lambda: loop.call_soon_threadsafe(cut_off)
    )
    title = f"outage drill — {options.client} client, {scale.expect_workers} Locust workers"
    try:
        if dashboard and console.is_terminal:
            with Live(console=console, auto_refresh=False, transient=False) as live:

                def show(view: LiveView, cluster: LocustCluster) -> None:
                    live.update(render_scale(view, cluster, title), refresh=True)

                return await run_scale_drill(options, scale, state, on_tick=show, stop=stop, cut=cut)
        last = [-1]

        def line(view: LiveView, cluster: LocustCluster) -> None:
            if int(view.t_s) != last[0]:
                last[0] = int(view.t_s)
                err = "-" if view.error_rate is None else f"{100 * view.error_rate:.0f}%"
                states = " ".join(f"{s.name}:{s.state}" for s in view.sources)
                workers = " ".join(
                    worker_line(w, view.t_s) for w in sorted(cluster.workers.values(), key=lambda w: w.index)
                )
                console.print(f"t={view.t_s:5.1f}s ops/s={view.ops_per_s:5.1f} errors={err} {states} {workers}")

        return await run_scale_drill(options, scale, state, on_tick=line, stop=stop, cut=cut)
    finally:
        interrupts.cleanup()
