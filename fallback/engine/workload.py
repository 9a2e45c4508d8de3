"""Running a scenario's workload against one client, recording every operation in a History.

Each operation is an `invoke` event, then exactly one completion: `ok`, `fail`, or
`indeterminate` (a write whose fate is unknown, including one the client did not finish
within the engine's own deadline: `hung`). The engine never trusts a client to return: every
call is bounded by `op_deadline_s`.

Operations work on any table of the project's schema (`fallback.project.ProjectSchema`; the spec's
two tables when none is given): rows are named by the table's primary key, new rows and changes
come from `fallback.engine.rows`. Conventions the checker relies on (see `fallback.history`): a
create writes `op_marker(op_id)` in the table's marker column; an update writes `op_token(op_id)`
in a text column when the table has one; a call's `{op}` arguments carry it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fallback.client.keys import TableKey
from fallback.client.merge import SOURCE_TAG
from fallback.client.protocol import FallbackClient
from fallback.client.results import CallResult, DeleteResult, LoadResult, Resolution, UpdateResult, WriteResult
from fallback.engine.calls import call_args, call_changes
from fallback.engine.recording import OpError, calls, load_error, routed_error
from fallback.engine.rows import RowContext, change_for, marker_column, new_row, table_key
from fallback.engine.spec_schema import SPEC_SCHEMA
from fallback.history import Event, History
from fallback.project import ProjectSchema, TableSchema
from fallback.scenario import Group, Step, Workload

DEFAULT_OP_DEADLINE_S = 30.0
Row = Mapping[str, Any]


@dataclass
class RunState:
    """What the workload has learnt while running: rows it may act on, the last load per table."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    last_load: dict[str, LoadResult] = field(default_factory=dict)
    creates_by_row: dict[str, Event] = field(default_factory=dict)
    parents: dict[str, list[Row]] = field(default_factory=dict)
    """Rows of the first source (seeded or created), for the foreign keys of new rows."""


class WorkloadRunner:
    def __init__(
        self,
        client: FallbackClient,
        history: History,
        *,
        seed: int = 0,
        op_deadline_s: float = DEFAULT_OP_DEADLINE_S,
        clock: Callable[[], float],
        schema: ProjectSchema | None = None,
        user_id: str | None = None,
        first_source_rows: Mapping[str, Sequence[Row]] | None = None,
    ) -> None:
        """`schema`: the project's (default: the spec's tables). `user_id`: the signed-in user, owner of
        new rows. `first_source_rows`: the first source's rows per table at the start (parents for FKs)."""
        self.client = client
        self.history = history
        self.rng = random.Random(seed)
        self.op_deadline_s = op_deadline_s
        self.clock = clock
        self.schema = schema or SPEC_SCHEMA
        self.user_id = user_id
        self.state = RunState(parents={t: list(rows) for t, rows in (first_source_rows or {}).items()})
        self._next_process = 0
        self._first_source: str | None = None

    async def run(self, workload: Workload) -> None:
        if workload.parallel:
            await asyncio.gather(*(self._run_item(item) for item in workload.steps))
        else:  # one coroutine at a time: a step that fails leaves none created and never awaited
            for item in workload.steps:
                await self._run_item(item)

    async def _run_item(self, item: Step | Group) -> None:
        if isinstance(item, Group):
            await asyncio.gather(*(self.run_step(step) for step in item.parallel))
        else:
            await self.run_step(item)

    async def run_step(self, step: Step) -> None:
        if step.op == "pause":
            await asyncio.sleep(step.duration or 0.0)
            return
        if step.op == "resolve_pending":
            await self.resolve_pending()
            return
        started = self.clock()
        issued = 0

        def next_slot() -> float | None:
            """The time the next op may start, or None when the step is done."""
            nonlocal issued
            if step.count is not None and issued >= step.count:
                return None
            slot = started + (issued / step.rate if step.rate else 0.0)
            if step.duration is not None and slot >= started + step.duration:
                return None
            if step.duration is not None and self.clock() >= started + step.duration:
                return None
            issued += 1
            return slot

        async def worker(process: int) -> None:
            while (slot := next_slot()) is not None:
                delay = slot - self.clock()
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.one_op(step, process)

        first = self._next_process
        self._next_process += step.concurrency
        await asyncio.gather(*(worker(first + n) for n in range(step.concurrency)))

    async def one_op(self, step: Step, process: int) -> None:
        operations: dict[str, Callable[[Step, int], Awaitable[None]]] = {
            "load": self._load,
            "create": self._create,
            "update": self._routed,
            "delete": self._routed,
            "call": self._routed,
            "assign_mt5": self._routed,
        }
        await operations[step.op](step, process)

    async def _bounded(self, call: Awaitable[Any]) -> Any | None:
        """The client's answer, or None when it did not answer within the engine's deadline."""
        try:
            return await asyncio.wait_for(call, self.op_deadline_s)
        except TimeoutError:
            return None

    def _table(self, name: str) -> TableSchema:
        return self.schema.table(name)

    def _key(self, name: str) -> TableKey:
        table = self._table(name)
        return table_key(table) if table.primary_key else TableKey()

    # --- load -------------------------------------------------------------------------------------
    async def _load(self, step: Step, process: int) -> None:
        invoke = self.history.invoke(
            process=process, client=self.client.name, op="load", table=step.table, time_s=self.clock()
        )
        query: dict[str, Any] = {"select": step.select, "filters": step.filter, "order": step.order}
        call = self.client.load(step.table, **{k: v for k, v in query.items() if v})  # only what the step asks
        result: LoadResult | None = await self._bounded(call)
        if result is None:
            self.history.complete(invoke, "fail", time_s=self.clock(), error="hung")
            return
        key = self._key(step.table)
        by_source: dict[str, list[str]] = {}
        for row in result.rows:
            by_source.setdefault(str(row.get(SOURCE_TAG)), []).append(key.text_of(row) or "?")
        ok = result.outcome == "ok"
        error = OpError(None) if ok else load_error(result.attempts)
        self.history.complete(
            invoke,
            "ok" if ok else "fail",
            time_s=self.clock(),
            calls=calls(result.attempts, ambiguous=False),
            rows_by_source={s: tuple(ids) for s, ids in by_source.items()},
            degraded=result.degraded,
            stale=result.stale,
            message="" if ok else result.error or "",
            error=error.kind,
            error_status=error.status,
            error_code=error.code,
        )
        self.state.last_load[step.table] = result
        self._first_source = self._first_source or (result.attempts[0].source if result.attempts else None)
        keyed = [row for row in result.rows if key.text_of(row) is not None]  # a `select` may leave the key out
        if keyed:
            self.state.rows[step.table] = keyed

    # --- create -----------------------------------------------------------------------------------
    def _parents(self, table: TableSchema) -> dict[tuple[str, str], Row]:
        """One parent row per foreign key, from the first source's rows (creates go there first)."""
        found: dict[tuple[str, str], Row] = {}
        for fk in table.foreign_keys:
            rows = self.state.parents.get(fk.ref_table) or [
                r for r in self.state.rows.get(fk.ref_table, ()) if r.get(SOURCE_TAG) == self._first_source
            ]
            if rows:
                found[(table.name, fk.name)] = self.rng.choice(rows)
        return found

    async def _create(self, step: Step, process: int) -> None:
        op_id = self.history.new_op_id()
        table = self._table(step.table)
        row = new_row(table, op_id, self.rng, RowContext(self.user_id, self._parents(table)))
        marker = marker_column(table)
        invoke = self.history.append(
            Event(
                type="invoke",
                op_id=op_id,
                process=process,
                client=self.client.name,
                op="create",
                table=step.table,
                time_s=self.clock(),
                row_id=self._key(step.table).text_of(row),
                marker=row.get(marker) if marker else None,
            )
        )
        result: WriteResult | None = await self._bounded(self.client.create(step.table, row))
        if result is None:
            self.history.complete(invoke, "indeterminate", time_s=self.clock(), error="hung")
            return
        outcome = result.outcome
        source = result.source if outcome == "ok" else result.pending_source if outcome == "indeterminate" else None
        error = None if outcome == "ok" else "indeterminate" if outcome == "indeterminate" else "all_failed"
        completion = self.history.complete(
            invoke,
            outcome,
            time_s=self.clock(),
            source=source,
            row_id=result.row_id,
            calls=calls(result.attempts),
            error=error,
        )
        if outcome == "ok" and result.row is not None and result.source is not None:
            tagged = {**result.row, SOURCE_TAG: result.source}
            self.state.rows.setdefault(step.table, []).append(tagged)
            if result.source == self._first_source:
                self.state.parents.setdefault(step.table, []).append(tagged)
        if result.row_id:
            self.state.creates_by_row[result.row_id] = completion

    # --- update / delete / call ----------------------------------------------------------------------
    async def _pick_row(self, step: Step, process: int) -> Row | None:
        rows = self.state.rows.get(step.table)
        if not rows:
            await self._load(step.model_copy(update={"select": None, "filter": (), "order": None}), process)
            rows = self.state.rows.get(step.table)
        if not rows:
            return None
        candidates = [r for r in rows if step.source is None or r.get(SOURCE_TAG) == step.source]
        return self.rng.choice(candidates) if candidates else None

    async def _routed(self, step: Step, process: int) -> None:
        row = await self._pick_row(step, process)
        op_id = self.history.new_op_id()
        flow = step.flow
        changes: dict[str, Any] = {}
        args: dict[str, Any] = {}
        if step.op == "update":
            changes = change_for(self._table(step.table), op_id, self.rng)
            if not changes:
                raise ValueError(f"table {step.table} has no column the harness can change (an update step needs one)")
        elif flow is not None:
            args = call_args(step, op_id, row)
            changes = call_changes(step, args, op_id)
        key = self._key(step.table)
        invoke = self.history.invoke(
            process=process,
            client=self.client.name,
            op="call" if flow is not None else "delete" if step.op == "delete" else "update",
            call=flow,
            table=step.table,
            time_s=self.clock(),
            op_id=op_id,
            row_id=key.text_of(row) if row else None,
            row_source=str(row.get(SOURCE_TAG)) if row else None,
            changes=changes,
        )
        if row is None:
            self.history.complete(invoke, "fail", time_s=self.clock(), error="no_row")
            return
        call: Awaitable[UpdateResult | DeleteResult | CallResult]
        if flow is not None:
            call = self.client.call(flow, args)
        elif step.op == "delete":
            call = self.client.delete(step.table, row)
        else:
            call = self.client.update(step.table, row, changes)
        result: UpdateResult | DeleteResult | CallResult | None = await self._bounded(call)
        if result is None:
            self.history.complete(invoke, "indeterminate", time_s=self.clock(), error="hung")
            return
        if step.op == "delete" and result.outcome != "fail":
            self.state.rows[step.table] = [r for r in self.state.rows.get(step.table, []) if r is not row]
        unsupported = isinstance(result, CallResult) and result.unsupported
        error = OpError("unsupported") if unsupported else routed_error(result.outcome, result.attempts)
        self.history.complete(
            invoke,
            result.outcome,
            time_s=self.clock(),
            source=result.source,
            row_id=result.row_id if not isinstance(result, CallResult) else result.row_id or invoke.row_id,
            calls=calls(result.attempts),
            error=error.kind,
            error_status=error.status,
            error_code=error.code,
        )

    # --- resolve_pending ----------------------------------------------------------------------------
    async def resolve_pending(self) -> None:
        resolutions: tuple[Resolution, ...] | None = await self._bounded(self.client.resolve_pending())
        for resolution in resolutions or ():
            origin = self.state.creates_by_row.get(resolution.pending.row_id)
            if origin is None:
                continue
            self.history.complete(
                origin,
                "resolve",
                time_s=self.clock(),
                outcome=resolution.outcome,
                source=resolution.source,
                row_id=resolution.pending.row_id,
                found_in=resolution.found_in,
                deleted_from=resolution.deleted_from,
            )
