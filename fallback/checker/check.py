"""Run every check over one history and the final database contents."""

from __future__ import annotations

from fallback.checker.deletes import check_deletes
from fallback.checker.duplicates import check_duplicates
from fallback.checker.model import CheckResult, IndeterminateWrite, Violation
from fallback.checker.reads import check_load
from fallback.checker.state import FinalData, FinalState, KeyColumns, SeedData
from fallback.checker.updates import check_lost_updates, check_update
from fallback.checker.writes import check_create
from fallback.history import History


def check(
    history: History, final: FinalData, seed: SeedData | None = None, keys: KeyColumns | None = None
) -> CheckResult:
    """Check `history` against `final` = `{source: {table: [rows]}}` and `seed` = `{source: {table: [keys]}}`;
    `keys` = `{table: (column, ...)}` names each table's primary key (`id` for a table not named)."""
    state = FinalState(final, seed, keys)
    operations = history.operations()
    creates = [op for op in operations if op.kind == "create"]
    updates = [op for op in operations if op.kind in ("update", "call")]
    writes = [op for op in operations if op.kind in ("update", "call", "delete")]
    violations: list[Violation] = []
    indeterminate: list[IndeterminateWrite] = []
    for op in creates:
        found, pending = check_create(op, state)
        violations += found
        if pending is not None:
            indeterminate.append(pending)
    violations += check_duplicates(creates, state)
    for op in updates:
        violations += check_update(op, state)
    violations += check_lost_updates(writes, state)
    violations += check_deletes(writes, state)
    for op in operations:
        if op.kind == "load":
            violations += check_load(op)
    violations.sort(key=lambda v: (v.events[0].index if v.events else -1, v.kind))
    return CheckResult(violations=tuple(violations), indeterminate=tuple(indeterminate), operations=len(operations))
