"""Rows that exist more than once: the same primary key in two sources (or twice in one), and one
create that became several rows (same op marker, different keys: a failed-over write that had in
fact committed before the client moved on).

A row seeded with the same key in several sources (reference data an app replicates across its
projects, e.g. its tenants) is no duplicate as long as it is only where it was seeded: the run did
not make it; one more copy anywhere is."""

from __future__ import annotations

from fallback.checker.model import Violation
from fallback.checker.state import FinalState, places, short
from fallback.history import Event, Operation


def _events(ops: list[Operation]) -> tuple[Event, ...]:
    return tuple(sorted((e for op in ops for e in op.events), key=lambda e: e.index))


def check_duplicates(creates: list[Operation], state: FinalState) -> list[Violation]:
    by_op = {op.op_id: op for op in creates}
    by_id: dict[tuple[str, str], list[Operation]] = {}
    for op in creates:
        for row_id in {op.invoke.row_id, op.completion.row_id if op.completion else None} - {None}:
            by_id.setdefault((op.invoke.table, str(row_id)), []).append(op)
    violations: list[Violation] = []
    for (table, row_id), found in state.ids().items():
        if len(found) < 2:
            continue
        ops = by_id.get((table, row_id), [])
        where = places(found)
        seeded = [s for s in dict.fromkeys(where) if state.seeded(s, table, row_id)]
        if len(seeded) == len(where):  # reference data seeded in several sources alike: there before the run
            continue
        origin = f" (seeded in {', '.join(seeded)})" if seeded else ""
        violations.append(
            Violation(
                kind="duplicate_row",
                message=f"row {short(row_id)}{origin} exists {len(found)} times: in {', '.join(where)}",
                table=table,
                row_id=row_id,
                op_ids=tuple(op.op_id for op in ops),
                sources=where,
                events=_events(ops),
                final=tuple(f"{s}.{table} has row {row_id}" for s in where),
            )
        )
    for (table, op_id), found in state.markers().items():
        ids = {state.key_of(table, row) for _, row in found}
        if len(ids) < 2:  # one id in several places is a duplicate_row, reported above
            continue
        ops = [by_op[op_id]] if op_id in by_op else []
        where = places(found)
        violations.append(
            Violation(
                kind="duplicate_write",
                message=f"create op {op_id} became {len(ids)} rows: in {', '.join(where)}",
                table=table,
                op_ids=(op_id,),
                sources=where,
                events=_events(ops),
                final=tuple(f"{s}.{table} has row {state.key_of(table, row)} (marker op-{op_id})" for s, row in found),
            )
        )
    return violations
