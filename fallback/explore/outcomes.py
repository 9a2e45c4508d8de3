"""What a search finds: judged runs, confirmed failures, flaky findings, per-invariant tallies.

(No Hypothesis import here: the in-memory harnesses and the report code use these records too.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fallback.explore.coverage import Coverage
from fallback.explore.invariants import Broken
from fallback.report import ClientRun
from fallback.report.explore import Stopped
from fallback.scenario import Scenario


@dataclass(frozen=True)
class Judged:
    """One run of one schedule: the invariants it broke (or why it could not be judged)."""

    broken: tuple[Broken, ...] = ()
    run: ClientRun | None = None
    error: str | None = None

    def breaks(self, invariant: str) -> bool:
        return any(b.invariant == invariant for b in self.broken)


Runner = Callable[[Scenario], Judged]


@dataclass
class Found:
    invariant: str
    first: Scenario
    """The first schedule that broke it (confirmed)."""
    best: Scenario
    """The smallest confirmed one so far: after shrinking, the minimal failing example."""
    judged: Judged
    example: int
    """Which example first broke it (1-based)."""


@dataclass(frozen=True)
class FlakyFinding:
    invariant: str
    scenario: Scenario
    failed_runs: int
    runs: int
    message: str


@dataclass
class Tally:
    judged: int = 0
    broken: int = 0
    """Examples whose first run broke it (confirmed or not)."""


@dataclass(frozen=True)
class SearchOptions:
    invariants: tuple[str, ...]
    examples: int = 100
    budget_s: float | None = 300.0
    seed: int = 0
    confirm_runs: int = 3
    database: Path | None = None
    """Hypothesis' example database (a directory); None: no database."""


@dataclass(frozen=True)
class SearchProgress:
    examples: int
    runs: int
    violations: int
    flaky: int
    elapsed_s: float
    phase: str


@dataclass
class SearchResult:
    seed: int
    examples: int = 0
    """Schedules judged (generated and shrinking candidates), each counted once."""
    generated: int = 0
    runs: int = 0
    """Runs, confirmations included."""
    elapsed_s: float = 0.0
    found: dict[str, Found] = field(default_factory=dict)
    flaky: list[FlakyFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tallies: dict[str, Tally] = field(default_factory=dict)
    coverage: Coverage = field(default_factory=Coverage)
    stopped: Stopped = "examples"
    """`examples` (all drawn), `budget`, `interrupted` (Ctrl-C) or `errors` (the runs kept breaking)."""
    rounds: int = 0

    @property
    def examples_per_s(self) -> float:
        return self.examples / self.elapsed_s if self.elapsed_s > 0 else 0.0


def size(scenario: Scenario) -> tuple[int, int]:
    """(faults, operations): how big a schedule is, as its header reports it."""
    ops = sum(s.count or 0 for s in scenario.workload.all_steps() if s.op not in ("pause", "resolve_pending"))
    return len(scenario.faults), ops
