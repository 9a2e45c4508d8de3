"""The workload: client operations to run, in order or at the same time.

    workload:
      parallel: false          # default: steps run one after another
      steps:
        - {op: load, count: 3}
        - {op: create, rate: 50/s, duration: 10s, concurrency: 8}
        - parallel:            # a step group: its steps run at the same time;
            - {op: load, duration: 5s, rate: 10/s}      # the group ends when all have
            - {call: assign_mt5, source: BOLT, count: 20}

With `parallel: true` on the workload, all its steps (and groups) start together.

A step runs either `count` operations or for `duration`; `rate` paces them (total over all
workers) and `concurrency` is the number of workers. `pause` waits `duration`;
`resolve_pending` asks the client once to settle its indeterminate writes.

Operations on any table of the project (rows are named by the table's primary key):

    - {op: load, table: invoices, select: "*,invoice_lines(*)", filter: [status=eq.open], order: created_at.desc}
    - {op: create, table: invoices, count: 5}     # rows generated from the table's columns
    - {op: update, table: invoices, source: BOLT}  # a change to a non-key column of a BOLT row
    - {op: delete, table: invoices, source: OLD}   # a row of OLD, deleted in OLD only
    - {call: assign_mt5, source: BOLT, args: {server: MT5-Live}}   # an app flow the client implements

`select`, `filter` (one string or a list, each `column=operator.value`) and `order` are PostgREST's
syntax, for `load` only. `source` picks the row an update, delete or call acts on (any source when
not given). A call gets `args` plus `row` (the picked row, with `_db_source`) and `table`; a string
arg `{op}` becomes the operation's token (`op-<id>`): an acknowledged call must leave that value in
its row in the row's own source and nowhere else (the history checker looks for it); an arg
`"{row.<column>}"` becomes the picked row's value (`{call: pay_invoice, args: {invoice_id: "{row.id}"}}`).
The reference client runs a flow it has no code for as the database function of that name
(`POST /rpc/<name>` with the args but `row` and `table`) on the row's own source. `op: assign_mt5`
is kept as an alias of `call: assign_mt5` with the spec's arguments (login `{op}`, a password, server
`MT5-Live`).
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

CALL_NAME = r"^[a-z_][a-z0-9_]{0,62}$"
"""A flow's name: what a client's `call(name, args)` dispatches on (also a PostgreSQL function's name)."""
ROW_OPS = ("update", "delete", "call", "assign_mt5")
"""Operations on one existing row, picked from a source with `source:`."""
Scalar = str | int | float | bool | None


class Step(Record):
    op: Annotated[StepOp, one_of("op", STEP_OPS)]
    call: str | None = Field(default=None, pattern=CALL_NAME)
    """`op: call`: the flow's name (`{call: assign_mt5}` alone implies `op: call`)."""
    args: dict[str, Scalar] = Field(default_factory=dict)
    """`op: call`: the flow's arguments (`{op}` in a string: the operation's token)."""
    table: Table = "user_challenges"
    select: str | None = Field(default=None, min_length=1)
    filter: tuple[str, ...] = ()
    order: str | None = Field(default=None, min_length=1)
    count: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    duration: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    rate: Rate | None = Field(default=None, le=MAX_RATE_PER_S)
    concurrency: int = Field(default=1, ge=1, le=MAX_CONCURRENCY)
    source: Source | None = None
    """`update` / `delete` / `call` / `assign_mt5`: act on a row of this source (the spec's Test 3 picks a BOLT row)."""

    @model_validator(mode="before")
    @classmethod
    def _call_implies_op(cls, data: Any) -> Any:
        if isinstance(data, dict) and "call" in data and "op" not in data:
            return {"op": "call", **data}
        return data

    @field_validator("call")
    @classmethod
    def _call_for_calls(cls, name: str | None, info: ValidationInfo) -> str | None:
        op = info.data.get("op")
        if name is not None and op != "call":
            raise ValueError(f"`call` names the flow of a `call` step, not of `op: {op}`")
        if name in STEP_OPS and name != "assign_mt5":
            raise ValueError(f"a flow cannot be named like an operation ({name!r})")
        return name

    @field_validator("args")
    @classmethod
    def _args_for_calls(cls, args: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if args and info.data.get("op") not in ("call", "assign_mt5"):
            raise ValueError("`args` are a call's arguments: only `call` (and `assign_mt5`) take them")
        return args

    @field_validator("filter", mode="before")
    @classmethod
    def _one_filter(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("filter")
    @classmethod
    def _filter_syntax(cls, filters: tuple[str, ...]) -> tuple[str, ...]:
        for item in filters:
            name, sep, value = item.partition("=")
            if not sep or not name or not value:
                raise ValueError(f"filter {item!r}: write column=operator.value, e.g. status=eq.open")
        return filters

    @field_validator("source")
    @classmethod
    def _source_for_updates(cls, source: str | None, info: ValidationInfo) -> str | None:
        if source is not None and info.data.get("op") not in ROW_OPS:
            raise ValueError(
                "`source` picks the row an operation acts on: only `update`, `delete`, `call` and `assign_mt5` take it"
            )
        return source

    @field_validator("table")
    @classmethod
    def _mt5_on_challenges(cls, table: str, info: ValidationInfo) -> str:
        if info.data.get("op") == "assign_mt5" and table != "user_challenges":
            raise ValueError("assign_mt5 applies to user_challenges only")
        return table

    @model_validator(mode="after")
    def _amount(self) -> Step:
        if self.op == "call" and self.call is None:
            raise ValueError("a `call` step names its flow: `call: <name>`")
        query = [name for name in ("select", "order") if getattr(self, name) is not None] + (
            ["filter"] if self.filter else []
        )
        if query and self.op != "load":
            raise ValueError(f"{', '.join(query)}: only `load` takes a query")
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

    @property
    def flow(self) -> str | None:
        """The flow a call step runs: its `call`, or `assign_mt5` for the alias `op: assign_mt5`."""
        return "assign_mt5" if self.op == "assign_mt5" else self.call

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
