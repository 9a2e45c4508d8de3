"""Fault coverage: how many explored schedules exercised each toxic on each target.

Every row has every target's column (the reports draw one table); a link kind's source columns and a
database kind's link columns stay 0 by construction, and `uncovered` leaves those cells out."""

from __future__ import annotations

from collections import Counter

from fallback.explore.strategies import EXPLORE_TOXICS
from fallback.faults import KINDS, targets_of
from fallback.scenario import Fault, Scenario, known_targets

ROWS: tuple[str, ...] = (
    *(
        name
        for toxic in EXPLORE_TOXICS
        for name in ((f"{toxic} upstream", f"{toxic} downstream") if toxic == "reset_peer" else (toxic,))
    ),
    "flapping",
)
"""Coverage rows: every toxic (reset_peer per stream), then flapping windows of any toxic."""


def kinds(fault: Fault) -> tuple[str, ...]:
    """The coverage rows one fault counts in."""
    row = f"{fault.toxic} {fault.stream}" if fault.toxic == "reset_peer" else fault.toxic
    return (row, "flapping") if fault.flap is not None else (row,)


class Coverage:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.examples = 0

    def add(self, scenario: Scenario) -> None:
        """Count one schedule once per (row, link), however many of its faults fall there."""
        self.examples += 1
        cells = {(row, fault.target) for fault in scenario.faults for row in kinds(fault)}
        self.counts.update(cells)

    def table(self) -> dict[str, dict[str, int]]:
        """`{row: {target: examples}}`, every row and target present (zeros included)."""
        return {row: {target: self.counts[(row, target)] for target in known_targets()} for row in ROWS}

    def uncovered(self) -> list[tuple[str, str]]:
        """The cells no schedule reached, among those its kind can reach (`read_only`: `PRIMARY`, not `PRIMARY.api`)."""
        return [(row, target) for row in ROWS for target in _reachable(row) if not self.counts[(row, target)]]


def _reachable(row: str) -> tuple[str, ...]:
    kind = KINDS.get(row.split(" ")[0])
    return targets_of(kind.targets) if kind is not None else known_targets()
