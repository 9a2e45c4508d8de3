"""The run record: one typed, frozen record per run, written as `report.json` and validated by
`reports/schema.json`. Markdown, HTML and JUnit are renderers of this record, nothing more.

    RunRecord
    ├── ExploreSummary         `fallback-harness explore` only (fallback.report.explore)
    └── ScenarioRun            one per scenario file (explore: one per counterexample, as replayed)
        └── ClientRun          one per client that ran it (reference, spec, an imported one)
            ├── Expectation    expected vs observed, passed or not
            ├── CheckResult    the history checker's verdict (fallback.checker)
            ├── LatencyPoint   one per completed operation, over time
            ├── FaultSpan      the fault windows as applied
            └── DrillFigures   `fallback-harness drill` only: availability per second, detect/failover/recover
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fallback.checker import CheckResult
from fallback.report.explore import ExploreSummary

Verdict = Literal["pass", "fail", "error"]
SCHEMA_VERSION = 2
"""`report.json`'s shape. 1: every report written before `schema_version` existed (the field absent);
2: the field added. Bump it when a field is removed or renamed, or its meaning changes, and teach
`fallback.report.trend_input` to read the older shape (it reads every version up to this one)."""
_ORDER: dict[str, int] = {"pass": 0, "fail": 1, "error": 2}


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)


class Expectation(Record):
    name: str
    """`merged_count`, `latency_ms: load p95`, `log_contains: PRIMARY Database error`, ..."""
    expected: str
    observed: str
    passed: bool


class LatencyPoint(Record):
    t_offset_s: float
    """Seconds since the workload started, at the operation's completion."""
    op: str
    latency_ms: float
    outcome: str
    """`ok`, `fail` or `indeterminate`."""


class FaultSpan(Record):
    start_s: float
    end_s: float | None
    """None: until the workload ended."""
    target: str
    toxic: str


class SecondBucket(Record):
    """Operations invoked during one second of a drill, how many succeeded, and whether the harness kept up."""

    t_s: int
    ops: int
    ok: int
    shed: int = 0
    """Operations due this second that the generator did not send: it was 250 ms behind, or backing off."""
    excluded: int = 0
    """Operations invoked this second left out of the availability: the harness stalled during their life."""
    lag_p99_ms: float | None = None
    """Generator lag (actual minus scheduled send time) of the operations sent this second, 99th percentile."""
    stall_max_ms: float | None = None
    """Longest the event loop (generator and client) was late this second."""
    cpu_pct: float | None = None
    """CPU of the harness process (100 = one core busy the whole second)."""
    cpu_pressure_pct: float | None = None
    """Share of the second in which some task on this machine waited for a CPU (Linux PSI; None elsewhere)."""
    saturated: bool = False
    """The harness could not keep the rate this second (it shed, or the loop stalled > 250 ms)."""


class FaultTiming(Record):
    """One fault window of a drill and how the client reacted to it (seconds from the fault's edges)."""

    target: str
    toxic: str
    start_s: float
    end_s: float | None
    origin: str
    """`timeline` (applied by the drill, exact times) or `observed` (seen by polling Toxiproxy, ±0.1 s)."""
    time_to_detect_s: float | None = None
    """First failed call to the faulted source, after the fault began."""
    time_to_fail_over_s: float | None = None
    """First operation served without the faulted source, after the fault began."""
    time_to_recover_s: float | None = None
    """First operation served by the source again, after the fault cleared."""


class DrillFigures(Record):
    rate_per_s: float
    """The rate asked for."""
    duration_s: float
    """How long traffic actually ran."""
    operations: int
    availability: float | None
    """Share of operations that succeeded, of those not `excluded` (None: none counted)."""
    per_second: tuple[SecondBucket, ...] = ()
    faults: tuple[FaultTiming, ...] = ()
    errors_by_kind: dict[str, int] = Field(default_factory=dict)
    lost: int = 0
    duplicated: int = 0
    misrouted: int = 0
    interrupted: bool = False
    """Ended early by Ctrl-C."""
    sent_per_s: float | None = None
    """The rate the generator achieved: operations sent / duration."""
    shed: int = 0
    """Operations the schedule asked for that were never sent: the generator or the machine could not keep up."""
    excluded: int = 0
    """Operations left out of `availability`: sent in a second the generator shed in, or while the harness's
    event loop stalled (see `saturated_seconds`)."""
    excluded_failed: int = 0
    """Of `excluded`, how many did not succeed."""
    availability_all: float | None = None
    """Share of every operation that succeeded, `excluded` ones included."""
    lag_p50_ms: float | None = None
    """Generator lag over the drill: actual minus scheduled send time of each operation sent."""
    lag_p99_ms: float | None = None
    stall_max_ms: float | None = None
    """Longest stall of the harness's event loop."""
    saturated_seconds: tuple[int, ...] = ()
    """Seconds in which the harness could not keep the rate (it shed operations or its loop stalled > 250 ms)."""
    harness_saturated: bool = False
    """The generator or this machine could not keep the rate asked for: the figures describe a lower load."""


class ClientRun(Record):
    client: str
    verdict: Verdict
    """`pass`: every expectation held; `fail`: one did not; `error`: the run itself broke (see `error`)."""
    error: str | None = None
    duration_s: float = 0.0
    expectations: tuple[Expectation, ...] = ()
    claims: tuple[Expectation, ...] = ()
    """When this client was judged by the scenario's `spec_expect`: the scenario's `expect` (what the
    spec promises, and the reference client must show) evaluated on it too, to show which promises it breaks.
    Informational: the verdict comes from `expectations` only."""
    checker: CheckResult | None = None
    latency: tuple[LatencyPoint, ...] = ()
    faults: tuple[FaultSpan, ...] = ()
    success_rate: dict[str, float | None] = Field(default_factory=dict)
    """Per source: calls answered ok / calls made (None: never called)."""
    fallback_frequency: dict[str, float | None] = Field(default_factory=dict)
    """E.g. `writes_to_BOLT`: share of acknowledged writes that landed there."""
    distribution: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Rows per source per table at the end of the run."""
    logs: tuple[str, ...] = ()
    """The client's console lines."""
    drill: DrillFigures | None = None
    """Set by `fallback-harness drill` only."""

    def failed(self) -> tuple[Expectation, ...]:
        return tuple(e for e in self.expectations if not e.passed)

    def broken_claims(self) -> tuple[Expectation, ...]:
        return tuple(e for e in self.claims if not e.passed)


class ScenarioRun(Record):
    name: str
    file: str | None = None
    description: str = ""
    clients: tuple[ClientRun, ...] = ()

    def verdict(self) -> Verdict:
        return worst(c.verdict for c in self.clients)

    def client(self, name: str) -> ClientRun | None:
        return next((c for c in self.clients if c.client == name), None)


class MachineInfo(Record):
    hostname: str
    platform: str
    python: str
    cpus: int | None


class RunRecord(Record):
    schema_version: int = SCHEMA_VERSION
    """The shape of this file (`SCHEMA_VERSION`); absent in reports written before version 2."""
    run_id: str
    started_at: datetime
    finished_at: datetime
    git_commit: str | None = None
    machine: MachineInfo
    scenarios: tuple[ScenarioRun, ...] = ()
    explore: ExploreSummary | None = None
    """Set by `fallback-harness explore` only."""

    def verdict(self) -> Verdict:
        return worst([*(s.verdict() for s in self.scenarios), *self._explore_verdict()])

    def _explore_verdict(self) -> tuple[Verdict, ...]:
        if self.explore is None:
            return ()
        if self.explore.stopped == "errors" or self.explore.refused:
            return ("error",)
        return ("fail",) if self.explore.counterexamples or self.explore.flaky else ()

    def client_names(self) -> tuple[str, ...]:
        """Every client that ran anything, reference and spec first."""
        names = dict.fromkeys(c.client for s in self.scenarios for c in s.clients)
        preferred = [n for n in ("reference", "spec") if n in names]
        return (*preferred, *(n for n in names if n not in preferred))


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """`error` over `fail` over `pass`; nothing ran counts as `pass`."""
    return max(verdicts, key=lambda v: _ORDER[v], default="pass")


def machine_info() -> MachineInfo:
    return MachineInfo(
        hostname=socket.gethostname(),
        platform=platform.platform(),
        python=platform.python_version(),
        cpus=os.cpu_count(),
    )


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The checked-out commit, or None outside a git work tree (or without git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def new_run_id(now: datetime | None = None) -> str:
    """`20261125T084400Z-3f2a`: sorts by time, unique enough for one machine."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{os.urandom(2).hex()}"
