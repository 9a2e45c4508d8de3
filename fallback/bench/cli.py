"""`fallback-harness bench`: a thin shell over `fallback.bench.run` (registered in `fallback.cli`)."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from fallback.bench import render
from fallback.bench.run import BenchError, run_bench

console = Console(stderr=True)


def _exit_on_sigterm() -> None:
    """SIGTERM becomes SystemExit, so the suite's child gets SIGINT and stops its stack."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def bench(
    quick: Annotated[bool, typer.Option("--quick", help="The short profile (CI): under two minutes.")] = False,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write pytest-benchmark's JSON here.", dir_okay=False)
    ] = None,
    report_dir: Annotated[
        Path, typer.Option("--report-dir", help="Where `bench-<timestamp>/` is created.", file_okay=False)
    ] = Path("reports"),
) -> None:
    """Measure the latency overhead of both clients on a fresh stack and judge the spec's performance claims.

    Prints ratios (variant / floor) with medians and p95, and a claims table; writes bench.json,
    bench.md and bench.html to REPORT_DIR/bench-<timestamp>/. Timing never makes it fail; an
    errored benchmark does (exit code of pytest).
    """
    _exit_on_sigterm()
    try:
        result = run_bench(quick=quick, report_root=report_dir, json_path=json_path)
    except BenchError as exc:
        console.print(f"[red]bench failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    print(render.text(result.report))
    console.print(f"report: {result.report_dir}/bench.md, bench.html, bench.json")
    if json_path is not None:
        console.print(f"pytest-benchmark JSON also at {json_path}")
    if result.exit_code:
        console.print(f"[red]pytest exited with {result.exit_code}: some benchmarks errored[/red]")
    raise typer.Exit(result.exit_code)
