"""Run the benchmark suite in a pytest subprocess, then write the report directory.

A subprocess keeps the suite's event loop, stack and pytest plugins away from the caller's
process; the suite's own session fixture starts and stops its stack. If we are interrupted,
the child gets SIGINT (so its `finally` blocks stop the stack) before we give up on it.

Report layout: `<report_root>/bench-<UTC timestamp>/` with `bench.json` (pytest-benchmark's
JSON, untouched), `bench.md`, `bench.html` (plots inline), `latency.svg`, `failover.svg`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fallback.bench import render
from fallback.bench.report import BenchReport, build_report, charts

CHILD_STOP_TIMEOUT_S = 120.0
"""How long an interrupted suite may take to stop its stack."""


class BenchError(RuntimeError):
    """The suite could not be run, or produced no benchmark data."""


@dataclass(frozen=True)
class BenchRun:
    report: BenchReport
    report_dir: Path
    exit_code: int


def benchmarks_dir() -> Path:
    """`FALLBACK_BENCH_DIR`, else the repository's `benchmarks/`, else `./benchmarks`."""
    candidates = [Path(p) for p in (os.environ.get("FALLBACK_BENCH_DIR"),) if p]
    candidates += [Path(__file__).resolve().parents[2] / "benchmarks", Path.cwd() / "benchmarks"]
    for candidate in candidates:
        if (candidate / "conftest.py").is_file():
            return candidate
    raise BenchError(f"no benchmarks directory found (tried {', '.join(map(str, candidates))}); set FALLBACK_BENCH_DIR")


def pytest_command(directory: Path, json_out: Path, extra_args: Sequence[str] = ()) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        str(directory),
        "--benchmark-only",
        f"--benchmark-json={json_out}",
        "--benchmark-quiet",
        "-p",
        "no:cacheprovider",
        "-q",
        *extra_args,
    ]


def run_suite(json_out: Path, *, quick: bool, directory: Path, extra_args: Sequence[str] = ()) -> int:
    """Run the suite; its progress goes to our stderr, so stdout keeps only the tables."""
    env = {**os.environ, "FALLBACK_BENCH_QUICK": "1" if quick else "0"}
    child = subprocess.Popen(
        pytest_command(directory, json_out, extra_args), cwd=directory.parent, env=env, stdout=sys.stderr.fileno()
    )
    try:
        return child.wait()
    except BaseException:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=CHILD_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise


def write_report(report: BenchReport, raw_json: Path, report_dir: Path) -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    if raw_json.resolve() != (report_dir / "bench.json").resolve():
        shutil.copyfile(raw_json, report_dir / "bench.json")
    (report_dir / "bench.md").write_text(render.markdown(report))
    (report_dir / "bench.html").write_text(render.html(report))
    for name, svg in charts(report).items():
        (report_dir / name).write_text(svg)


def run_bench(
    *, quick: bool, report_root: Path, json_path: Path | None = None, extra_args: Sequence[str] = ()
) -> BenchRun:
    directory = benchmarks_dir()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    report_dir = report_root / f"bench-{stamp}"
    report_dir.mkdir(parents=True, exist_ok=True)
    raw_json = (report_dir / "bench.json").resolve()
    load_before = os.getloadavg()
    exit_code = run_suite(raw_json, quick=quick, directory=directory, extra_args=extra_args)
    if not raw_json.exists():
        if not any(report_dir.iterdir()):
            report_dir.rmdir()
        raise BenchError(f"the benchmark suite wrote no JSON (pytest exit code {exit_code}); see its output above")
    data = json.loads(raw_json.read_text())
    report = build_report(data, quick=quick, load_before=load_before, load_after=os.getloadavg(), pytest_exit=exit_code)
    write_report(report, raw_json, report_dir)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(raw_json, json_path)
    return BenchRun(report, report_dir, exit_code)
