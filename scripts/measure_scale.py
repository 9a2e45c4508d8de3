"""How fast can a drill send, with one process or with Locust workers? (issue 18; figures, not assertions)

    .venv/bin/python scripts/measure_scale.py --base-port 27400 --state-dir .stack-bench-scale [--duration 10]

Starts a private stack (stopped at the end), then for each generator (the one-process drill, 1 and 2 Locust
workers) and each target (`stack`: the default mix through the reference client against the three gateways
and PostgreSQL; `ready`: one `GET /ready` per operation, `scripts/scale_ready_client.py`: the generator's own
ceiling) runs `fallback-harness drill --no-dashboard` (reseeded each time) at rising rates, no fault, until a rate fails
twice (`--retries`) to be "sustained", from its third second on (after the generator's slow start): p99
latency under 200 ms, no slot shed, no saturated second, no second whose generator lag p99 reaches 100 ms.
Per run it samples every process's CPU with psutil, from the first second of traffic to the end of the
schedule (the drill process, Locust's master and workers, the gateways, PostgreSQL with its backends,
Toxiproxy), in % of one core, to say where the bottleneck is. Prints a Markdown table; `--json PATH`
keeps the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState

RAMP_S = 3
"""The generator starts at 50/s and grows by a quarter every 0.25 s (`drill.pace.RateControl`): the figures are
taken from second 3 of the run to its end, the steady part."""
RATES = (50, 100, 150, 200, 300, 400, 600, 800, 1200)
GENERATORS = {"one process": [], "1 worker": ["--workers", "1"], "2 workers": ["--workers", "2"]}
TARGETS = {
    "stack": ["--client", "reference"],
    "ready": ["--client", "scripts.scale_ready_client:factory", "--mix", "load=1"],
}


@dataclass
class Run:
    generator: str
    target: str
    rate: int
    sent_per_s: float | None = None
    p99_ms: float | None = None
    lag_p99_ms: float | None = None
    shed: int = 0
    saturated_seconds: int = 0
    availability: float | None = None
    cpu_pct: dict[str, float] = field(default_factory=dict)
    load_avg: float = 0.0

    @property
    def sustained(self) -> bool:
        return (
            self.p99_ms is not None
            and self.p99_ms < 200
            and self.shed == 0
            and self.saturated_seconds == 0
            and (self.lag_p99_ms or 0) < 100
        )


def _role(proc: psutil.Process) -> str | None:
    try:
        cmdline = " ".join(proc.cmdline())
    except psutil.Error:
        return None
    if "fallback.drill.scale.master" in cmdline:
        return "master"
    if "fallback.drill.scale.worker" in cmdline:
        return "workers"
    if " drill " in f" {cmdline} ":
        return "drill"
    return None


class CpuSampler:
    """CPU seconds per role over a run: each process's cpu_times at first and last sight (psutil)."""

    def __init__(self, drill_pid: int, state: StackState) -> None:
        self.drill_pid = drill_pid
        self.stack = {p.pid: str(p.kind) for p in state.processes}
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.role: dict[int, str] = {}
        self.stop = threading.Event()
        self.started = time.monotonic()

    def _processes(self) -> list[tuple[psutil.Process, str]]:
        found = []
        for pid, kind in self.stack.items():
            try:
                top = psutil.Process(pid)
                found += [(p, kind) for p in [top, *top.children(recursive=True)]]
            except psutil.Error:
                continue
        try:
            drill = psutil.Process(self.drill_pid)
            found.append((drill, "drill"))
            for child in drill.children(recursive=True):
                role = _role(child)
                if role is not None:
                    found.append((child, role))
        except psutil.Error:
            pass
        return found

    def sample(self) -> None:
        for proc, role in self._processes():
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            used = times.user + times.system
            if proc.pid not in self.first:  # a process born during the run (a PostgreSQL backend) counts from 0
                self.first[proc.pid] = (
                    used if proc.create_time() < time.time() - (time.monotonic() - self.started) else 0
                )
            self.last[proc.pid], self.role[proc.pid] = used, role

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(0.5)

    def percent(self) -> dict[str, float]:
        wall = max(time.monotonic() - self.started, 1e-3)
        by_role: dict[str, float] = {}
        for pid, last in self.last.items():
            by_role[self.role[pid]] = by_role.get(self.role[pid], 0.0) + last - self.first[pid]
        return {role: round(100 * used / wall, 1) for role, used in sorted(by_role.items())}


def one_run(generator: str, target: str, rate: int, args: argparse.Namespace, state: StackState) -> Run:
    reports = Path(tempfile.mkdtemp(prefix="measure-scale-"))
    argv = [sys.executable, "-m", "fallback", "drill", "--no-dashboard"]  # reseeded: each run on the same rows
    argv += ["--base-port", str(args.base_port), "--state-dir", str(args.state_dir), "--report-dir", str(reports)]
    argv += ["--rate", f"{rate}/s", "--duration", f"{args.duration}s", *GENERATORS[generator], *TARGETS[target]]
    drill = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = CpuSampler(drill.pid, state)
    thread = threading.Thread(target=sampler.run, daemon=True)
    assert drill.stderr is not None
    for line in drill.stderr:  # the CPU window: from the first second of traffic to the end of the schedule
        if not line.startswith("t="):
            continue
        if not thread.is_alive() and not sampler.stop.is_set():
            sampler.started = time.monotonic()
            thread.start()
        if float(line[2:].split("s", 1)[0]) >= args.duration:
            break
    sampler.stop.set()
    if thread.is_alive():
        thread.join()
    sampler.sample()
    drill.communicate()
    run = Run(generator, target, rate, cpu_pct=sampler.percent(), load_avg=os.getloadavg()[0])
    found = list(reports.glob("*/report.json"))
    if not found:
        return run
    client = json.loads(found[0].read_text())["scenarios"][0]["clients"][0]
    figures = client.get("drill") or {}
    steady = [b for b in figures.get("per_second", ()) if RAMP_S <= b["t_s"] < args.duration]
    latencies = sorted(
        p["latency_ms"]
        for p in client.get("latency", [])
        if p.get("latency_ms") is not None and RAMP_S <= p["t_offset_s"] < args.duration
    )
    run.p99_ms = round(statistics.quantiles(latencies, n=100)[98], 1) if len(latencies) > 1 else None
    run.sent_per_s = round(sum(b["ops"] for b in steady) / len(steady), 1) if steady else None
    run.lag_p99_ms = max((b["lag_p99_ms"] for b in steady if b["lag_p99_ms"] is not None), default=None)
    run.shed, run.saturated_seconds = sum(b["shed"] for b in steady), sum(b["saturated"] for b in steady)
    run.availability = figures.get("availability")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-port", type=int, default=27400)
    parser.add_argument("--state-dir", type=Path, default=Path(".stack-bench-scale"))
    parser.add_argument("--duration", type=int, default=12)
    parser.add_argument("--rates", default=",".join(map(str, RATES)))
    parser.add_argument("--generators", default=",".join(GENERATORS))
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--retries", type=int, default=1, help="runs more at a rate that failed before giving up")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs: list[Run] = []
    options = stack_lib.StackOptions(state_dir=args.state_dir, base_port=args.base_port)
    with stack_lib.running_stack(options) as state:
        for target in args.targets.split(","):
            for generator in args.generators.split(","):
                for rate in (int(r) for r in args.rates.split(",")):
                    for _attempt in range(1 + args.retries):  # a shared machine's noise: a rate gets a retry
                        run = one_run(generator, target, rate, args, state)
                        runs.append(run)
                        print(json.dumps(asdict(run) | {"sustained": run.sustained}), file=sys.stderr, flush=True)
                        if run.sustained:
                            break
                    if not run.sustained:
                        break
    columns = (
        "target",
        "generator",
        "asked",
        "sent/s",
        "p99",
        "worst lag p99 of a second",
        "shed",
        "saturated s",
        "sustained",
    )
    print("| " + " | ".join((*columns, "CPU % of a core", "load avg")) + " |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        cpu = ", ".join(f"{role} {pct:g}" for role, pct in r.cpu_pct.items())
        head = f"| {r.target} | {r.generator} | {r.rate}/s | {r.sent_per_s} | {r.p99_ms} ms | {r.lag_p99_ms} ms "
        print(
            head + f"| {r.shed} | {r.saturated_seconds} | {'yes' if r.sustained else 'no'} | {cpu} | {r.load_avg:.1f} |"
        )
    if args.json is not None:
        args.json.write_text(json.dumps([asdict(r) | {"sustained": r.sustained} for r in runs], indent=2))


if __name__ == "__main__":
    main()
