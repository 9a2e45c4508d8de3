"""The `explore` section of a run record (`fallback-harness explore`): which invariants held over
how many schedules, the fault coverage (toxic x link), the counterexamples and flaky findings.

    ExploreSummary
    ├── InvariantSummary   one per invariant the client is held to
    ├── CoverageRow        one per toxic: schedules that exercised it, per link
    ├── Counterexample     one per broken invariant: the shrunk schedule as saved, and its replay
    └── FlakyViolation     a violation that did not reproduce in every confirmation run
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Stopped = Literal["examples", "budget", "interrupted", "errors"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InvariantSummary(_Record):
    name: str
    description: str
    claim: str
    """The spec's words it puts to the test."""
    declared: bool
    """Declared by the client, beyond the invariants every client is held to."""
    judged: int
    """Schedules it was judged on."""
    broken: int
    """Schedules whose first run broke it (confirmed or flaky)."""
    counterexample: bool
    """A confirmed, shrunk counterexample exists."""
    flaky: int


class CoverageRow(_Record):
    fault: str
    """A toxic (`reset_peer` per stream) or `flapping` (a flapped window of any toxic)."""
    links: dict[str, int]
    """Schedules that exercised it, per link (`PRIMARY.api`, ...)."""


class Counterexample(_Record):
    invariant: str
    message: str
    """The violation, as the confirming run reported it."""
    file: str
    """Where the shrunk schedule was saved."""
    scenario_yaml: str
    found_at_example: int
    original_faults: int
    original_operations: int
    shrunk_faults: int
    shrunk_operations: int
    confirmed_runs: int
    """Runs of the shrunk schedule, every one of which broke the invariant."""
    replay_verdict: Literal["pass", "fail", "error"] | None = None
    """`fallback-harness run FILE`'s verdict on the saved file (None: not replayed, e.g. after Ctrl-C)."""


class FlakyViolation(_Record):
    invariant: str
    message: str
    failed_runs: int
    runs: int
    scenario_yaml: str


class ExploreSummary(_Record):
    client: str
    seed: int
    """Reproduces the search: `fallback-harness explore --seed <seed>`."""
    examples_requested: int
    examples: int
    """Schedules judged, shrinking candidates included."""
    generated: int
    runs: int
    """Stack runs, confirmations and replays included."""
    rounds: int
    duration_s: float
    examples_per_s: float
    budget_s: float | None
    stopped: Stopped
    invariants: tuple[InvariantSummary, ...] = ()
    coverage: tuple[CoverageRow, ...] = ()
    counterexamples: tuple[Counterexample, ...] = ()
    flaky: tuple[FlakyViolation, ...] = ()
    errors: tuple[str, ...] = ()
    """Runs that broke (not judged), first few."""
    refused: int = 0
    """Runs refused before they started: writes asked of external projects that do not allow them."""
    refusal: str | None = None
    """Why, for the first of them."""
