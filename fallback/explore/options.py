"""What an exploration is asked to do (no Hypothesis import here: the CLI loads it lazily)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = Path(".hypothesis/explore")
OP_DEADLINE_S = 4.0
"""The engine's bound per client call in generated scenarios: a hung call costs this much."""


def default_save_dir() -> Path:
    """`found/` in the active project's scenario folder (`examples/triple-fallback/scenarios/found/` by default)."""
    from fallback.project import active  # lazy: options stay a light import for the CLI

    project = active()
    return (project.scenario_dir or project.root / "scenarios") / "found"


@dataclass(frozen=True)
class ExploreOptions:
    client: str = "reference"
    examples: int = 100
    """Schedules to generate; shrinking candidates come on top (bounded by the budget)."""
    budget_s: float | None = 300.0
    seed: int | None = None
    """None: a random seed, printed and saved in the report."""
    save_dir: Path = field(default_factory=lambda: default_save_dir())
    database: Path | None = DEFAULT_DATABASE
    """Hypothesis' example database; one subdirectory per client."""
    op_deadline_s: float = OP_DEADLINE_S
    confirm_runs: int = 3

    def chosen_seed(self) -> int:
        return self.seed if self.seed is not None else random.SystemRandom().randrange(2**32)
