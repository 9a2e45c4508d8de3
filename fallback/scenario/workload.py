"""The workload: client operations to run, in order or at the same time.

    workload:
      parallel: false          # default: steps run one after another
      steps:
        - {op: load, count: 3}
        - {op: create, rate: 50/s, duration: 10s, concurrency: 8}
        - parallel:            # a step group: its steps run at the same time;
            - {op: load, duration: 5s, rate: 10/s}      # the group ends when all have
            - {op: assign_mt5, count: 20}

With `parallel: true` on the workload, all its steps (and groups) start together.

A step runs either `count` operations or for `duration`; `rate` paces them (total over all
workers) and `concurrency` is the number of workers. `pause` waits `duration`;
`resolve_pending` asks the client once to settle its indeterminate writes.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from fallback.scenario._types import STEP_OPS, Duration, Rate, Record, Source, StepOp, Table, one_of
from fallback.scenario.limits import (
    MAX_CONCURRENCY,
    MAX_COUNT,
    MAX_DURATION_S,
    MAX_RATE_PER_S,
    MAX_STEPS,
    MAX_WORKERS,
)


class Step(Record):
    op: Annotated[StepOp, one_of("op", STEP_OPS)]
    table: Table = "user_challenges"
    count: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    duration: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    rate: Rate | None = Field(default=None, le=MAX_RATE_PER_S)
    concurrency: int = Field(default=1, ge=1, le=MAX_CONCURRENCY)
    source: Source | None = None
    """`update` / `assign_mt5` only: change a row of this source (the spec's Test 3 picks a BOLT row)."""

    @field_validator("source")
    @classmethod
    def _source_for_updates(cls, source: str | None, info: ValidationInfo) -> str | None:
        if source is not None and info.data.get("op") not in ("update", "assign_mt5"):
            raise ValueError("`source` picks the row an update changes: only `update` and `assign_mt5` take it")
        return source

    @field_validator("table")
    @classmethod
    def _mt5_on_challenges(cls, table: str, info: ValidationInfo) -> str:
        if info.data.get("op") == "assign_mt5" and table != "user_challenges":
            raise ValueError("assign_mt5 applies to user_challenges only")
        return table

    @model_validator(mode="after")
    def _amount(self) -> Step:
        given = [name for name in ("count", "duration", "rate") if getattr(self, name) is not None]
        if self.op == "pause" and given != ["duration"]:
            raise ValueError("`pause` takes `duration` only")
        if self.op == "resolve_pending" and given:
            raise ValueError("`resolve_pending` runs once: no count, duration or rate")
        if self.op in ("pause", "resolve_pending"):
            return self
        if (self.count is None) == (self.duration is None):
            raise ValueError("give either `count: N` or `duration: 10s` (not both)")
        if self.rate is not None and self.duration is not None and self.rate * self.duration > MAX_COUNT:
            raise ValueError(
                f"rate × duration plans {self.rate * self.duration:.0f} operations: at most {MAX_COUNT} per step"
            )
        return self

    def planned_duration_s(self) -> float | None:
        """How long the step is meant to take; None when only running it tells (count without rate).

        `resolve_pending` counts as instantaneous.
        """
        if self.op == "resolve_pending":
            return 0.0
        if self.duration is not None:
            return self.duration
        if self.count is not None and self.rate is not None:
            return self.count / self.rate
        return None


class Group(Record):
    parallel: tuple[Step, ...]
    """Steps started together; the group ends when the last one ends."""

    @field_validator("parallel")
    @classmethod
    def _not_empty(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        # A validator rather than `min_length`: pydantic also reports `min_length` when items fail.
        if not steps:
            raise ValueError("a group needs at least one step")
        return steps

    def planned_duration_s(self) -> float | None:
        durations = [step.planned_duration_s() for step in self.parallel]
        return None if None in durations else max(d for d in durations if d is not None)

    def workers(self) -> int:
        """Workers running at the same time while the group runs."""
        return sum(step.concurrency for step in self.parallel)


def _step_kind(value: Any) -> str:
    if isinstance(value, Group) or (isinstance(value, dict) and "parallel" in value):
        return "Group"
    return "Step"


StepOrGroup = Annotated[Annotated[Step, Tag("Step")] | Annotated[Group, Tag("Group")], Discriminator(_step_kind)]
"""The tags (`Step`, `Group`) appear in pydantic's error locations; the loader drops them."""


class Workload(Record):
    parallel: bool = False
    steps: tuple[StepOrGroup, ...]

    @field_validator("steps")
    @classmethod
    def _not_empty(cls, steps: tuple[Step | Group, ...]) -> tuple[Step | Group, ...]:
        if not steps:
            raise ValueError("a workload needs at least one step")
        return steps

    @model_validator(mode="after")
    def _bounded(self) -> Workload:
        steps = len(self.all_steps())
        if steps > MAX_STEPS:
            raise ValueError(f"{steps} steps (groups' steps included): at most {MAX_STEPS}")
        if self.workers() > MAX_WORKERS:
            raise ValueError(f"{self.workers()} workers would run at the same time: at most {MAX_WORKERS}")
        planned = self.planned_duration_s()
        if planned is not None and planned > MAX_DURATION_S:
            raise ValueError(f"planned to take {planned:g} s: at most {MAX_DURATION_S:g} s")
        return self

    def workers(self) -> int:
        """The most workers running at the same time (`concurrency` of steps that run together, summed)."""
        each = [item.workers() if isinstance(item, Group) else item.concurrency for item in self.steps]
        return sum(each) if self.parallel else max(each, default=0)

    def planned_duration_s(self) -> float | None:
        durations = [step.planned_duration_s() for step in self.steps]
        if None in durations:
            return None
        known = [d for d in durations if d is not None]
        return max(known) if self.parallel else sum(known)

    def all_steps(self) -> tuple[Step, ...]:
        """Every op step, groups flattened, in file order."""
        return tuple(s for item in self.steps for s in (item.parallel if isinstance(item, Group) else (item,)))
