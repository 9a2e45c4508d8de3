"""Trends across runs (`fallback-harness report trend`): per scenario and client, the verdict, the
p50/p95 of each operation, the availability and the spec's claims' figures of every run, oldest first;
verdicts that flip on one commit (flaky) and latencies that moved past a threshold (regressions).

Definitions (the page states them too):

- **p50/p95** of an operation: `fallback.stats.percentile` over every completion of that op in the
  run (ok, failed and indeterminate alike), as the scenarios' `latency_ms` checks compute it.
- **availability**: a drill's own `availability`; otherwise ok completions / all completions.
- **flaky**: runs on one commit (`git_commit`) whose verdicts for this scenario and client differ.
  Runs without a commit are never compared. A change between commits is a change, not flakiness.
- **regression**: a run's p50 or p95 of an op is at least `ratio` times the median of that figure in
  the earlier runs (at least `min_history` of them) and at least `min_delta_ms` above it: both, so a
  3 ms → 6 ms jitter on loopback is not flagged, and a single slow run does not become the baseline.
- **the spec's claims**: "100 % uptime" (availability), "failover in milliseconds" (a drill's slowest
  time to fail over), "no data loss" and "no duplication" (the history checker's lost and duplicated
  findings, or a drill's counts), and for a client judged by `spec_expect`, how many of the spec's
  promises (`claims`) it broke. "~250 ms overhead" is measured by `bench`, not in run reports.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from fallback.checker import EXPECTATION_KINDS
from fallback.report.model import Verdict
from fallback.report.trend_input import TrendClient, TrendRun
from fallback.stats import percentile

Stat = Literal["p50", "p95"]
STATS: tuple[Stat, ...] = ("p50", "p95")
DEFAULT_RATIO = 1.5
DEFAULT_MIN_DELTA_MS = 10.0
DEFAULT_MIN_HISTORY = 2


@dataclass(frozen=True)
class RunRef:
    run_id: str
    started_at: datetime
    commit: str | None
    source: str
    schema_version: int

    @property
    def label(self) -> str:
        commit = self.commit[:10] if self.commit else "no commit"
        return f"{self.run_id} · {commit}"


@dataclass(frozen=True)
class OpFigures:
    op: str
    count: int
    p50: float
    p95: float

    def stat(self, name: Stat) -> float:
        return self.p50 if name == "p50" else self.p95


@dataclass(frozen=True)
class ClaimFigures:
    """The spec's claims as one run measured them; None: this run has no such figure."""

    availability: float | None
    fail_over_s: float | None
    lost: int | None
    duplicated: int | None
    broken_promises: int | None
    promises: int | None


@dataclass(frozen=True)
class Cell:
    """One scenario and client in one run."""

    run: RunRef
    verdict: Verdict
    ops: tuple[OpFigures, ...]
    claims: ClaimFigures

    def op(self, name: str) -> OpFigures | None:
        return next((o for o in self.ops if o.op == name), None)


@dataclass(frozen=True)
class Regression:
    run: RunRef
    op: str
    stat: Stat
    value_ms: float
    baseline_ms: float
    """The median of this figure over the earlier runs."""
    earlier: int
    """How many earlier runs the baseline is the median of."""

    @property
    def ratio(self) -> float:
        return self.value_ms / self.baseline_ms if self.baseline_ms > 0 else float("inf")


@dataclass(frozen=True)
class SeriesTrend:
    """One scenario and client over the runs: `cells[i]` is `runs[i]` of the trend, None when that run
    did not have this scenario and client."""

    scenario: str
    client: str
    cells: tuple[Cell | None, ...]
    flaky_commits: tuple[str, ...]
    regressions: tuple[Regression, ...]

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.op for c in self.cells if c for o in c.ops))

    def flaky_runs(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.cells) if c and c.run.commit in self.flaky_commits)

    def regressed_runs(self, op: str, stat: Stat) -> tuple[int, ...]:
        ids = {r.run.run_id for r in self.regressions if r.op == op and r.stat == stat}
        return tuple(i for i, c in enumerate(self.cells) if c and c.run.run_id in ids)


@dataclass(frozen=True)
class Trend:
    runs: tuple[RunRef, ...]
    series: tuple[SeriesTrend, ...]
    ratio: float
    min_delta_ms: float
    min_history: int

    @property
    def flaky(self) -> tuple[SeriesTrend, ...]:
        return tuple(s for s in self.series if s.flaky_commits)

    @property
    def regressions(self) -> tuple[tuple[SeriesTrend, Regression], ...]:
        """Every flagged regression, newest run first."""
        found = [(s, r) for s in self.series for r in s.regressions]
        return tuple(sorted(found, key=lambda sr: sr[1].run.started_at, reverse=True))

    def newest_regressions(self) -> tuple[tuple[SeriesTrend, Regression], ...]:
        newest = self.runs[-1].run_id if self.runs else None
        return tuple((s, r) for s, r in self.regressions if r.run.run_id == newest)


def _claims(client: TrendClient, completions: int, ok: int) -> ClaimFigures:
    drill = client.drill
    kinds = [v.kind for v in client.checker.violations] if client.checker else []
    lost = sum(k in EXPECTATION_KINDS["no_lost_writes"] for k in kinds) if client.checker else None
    duplicated = sum(k in EXPECTATION_KINDS["no_duplicates"] for k in kinds) if client.checker else None
    availability = ok / completions if completions else None
    fail_over = None
    if drill is not None:
        availability = drill.availability
        lost, duplicated = drill.lost, drill.duplicated
        times = [f.time_to_fail_over_s for f in drill.faults if f.time_to_fail_over_s is not None]
        fail_over = max(times) if times else None
    return ClaimFigures(
        availability=availability,
        fail_over_s=fail_over,
        lost=lost,
        duplicated=duplicated,
        broken_promises=sum(not c.passed for c in client.claims) if client.claims else None,
        promises=len(client.claims) if client.claims else None,
    )


def cell_of(run: RunRef, client: TrendClient) -> Cell:
    by_op: dict[str, list[float]] = {}
    for point in client.latency:
        by_op.setdefault(point.op, []).append(point.latency_ms)
    ops = tuple(
        OpFigures(op=op, count=len(values), p50=percentile(values, 50), p95=percentile(values, 95))
        for op, values in by_op.items()
    )
    ok = sum(p.outcome == "ok" for p in client.latency)
    return Cell(run=run, verdict=client.verdict, ops=ops, claims=_claims(client, len(client.latency), ok))


def _flaky_commits(cells: Sequence[Cell | None]) -> tuple[str, ...]:
    seen: dict[str, set[str]] = {}
    for cell in cells:
        if cell is not None and cell.run.commit:
            seen.setdefault(cell.run.commit, set()).add(cell.verdict)
    return tuple(commit for commit, verdicts in seen.items() if len(verdicts) > 1)


def regressions_of(
    cells: Sequence[Cell | None], ratio: float, min_delta_ms: float, min_history: int
) -> tuple[Regression, ...]:
    """Each run's p50/p95 per op against the median of the same figure over the runs before it."""
    found: list[Regression] = []
    present = [c for c in cells if c is not None]
    for index, cell in enumerate(present):
        for figures in cell.ops:
            for stat in STATS:
                earlier = [f.stat(stat) for c in present[:index] if (f := c.op(figures.op)) is not None]
                if len(earlier) < max(min_history, 1):
                    continue
                baseline = statistics.median(earlier)
                value = figures.stat(stat)
                if value >= baseline * ratio and value - baseline >= min_delta_ms:
                    found.append(Regression(cell.run, figures.op, stat, value, baseline, len(earlier)))
    return tuple(found)


def build_trend(
    runs: Sequence[TrendRun],
    ratio: float = DEFAULT_RATIO,
    min_delta_ms: float = DEFAULT_MIN_DELTA_MS,
    min_history: int = DEFAULT_MIN_HISTORY,
) -> Trend:
    """`runs` oldest first (as `load_trend_runs` returns them)."""
    refs = tuple(RunRef(r.run_id, r.started_at, r.git_commit, r.source, r.schema_version) for r in runs)
    keys = list(dict.fromkeys((s.name, c.client) for r in runs for s in r.scenarios for c in s.clients))
    series = []
    for scenario, client in keys:
        cells: list[Cell | None] = []
        for ref, run in zip(refs, runs, strict=True):
            found = next(
                (c for s in run.scenarios if s.name == scenario for c in s.clients if c.client == client), None
            )
            cells.append(cell_of(ref, found) if found is not None else None)
        series.append(
            SeriesTrend(
                scenario=scenario,
                client=client,
                cells=tuple(cells),
                flaky_commits=_flaky_commits(cells),
                regressions=regressions_of(cells, ratio, min_delta_ms, min_history),
            )
        )
    return Trend(runs=refs, series=tuple(series), ratio=ratio, min_delta_ms=min_delta_ms, min_history=min_history)
