"""Creates: acknowledged writes that are missing (lost), failed writes that exist (phantom),
and how each indeterminate write turned out.

A create's rows are found by its op marker (`op-<id>@harness.test` in the table's marker column)
and, when the client knew it, by its key: a spec-faithful create has a database-generated id, so
the marker is what ties a row to the op that wrote it (a table without a free text column has no
marker: its creates are found by key only).
"""

from __future__ import annotations

from fallback.checker.model import IndeterminateWrite, Verdict, Violation, about
from fallback.checker.state import FinalState, Found, Row, marker_of, places, short
from fallback.history import Operation, marker_op_id


def rows_of(op: Operation, state: FinalState) -> list[Found]:
    """Every final row this create wrote (by marker, and by id when known), without repeats."""
    table = op.invoke.table
    found: dict[tuple[str, int], Found] = {}
    op_id = marker_op_id(op.invoke.marker) if op.invoke.marker else None
    if op_id is not None:
        for source, row in state.with_marker(table, op_id):
            found[(source, id(row))] = (source, row)
    row_id = created_id(op)
    if row_id is not None:
        for source, row in state.with_id(table, row_id):
            found[(source, id(row))] = (source, row)
    return list(found.values())


def created_id(op: Operation) -> str | None:
    if op.completion is not None and op.completion.row_id:
        return op.completion.row_id
    return op.invoke.row_id


def _marked(row: Row) -> str:
    op_id = marker_of(row)
    return f" (marker op-{op_id})" if op_id is not None else ""


def _where(found: list[Found]) -> str:
    return ", ".join(places(found)) or "no source"


def check_create(op: Operation, state: FinalState) -> tuple[list[Violation], IndeterminateWrite | None]:
    found = rows_of(op, state)
    table, row_id = op.invoke.table, created_id(op)
    where = places(found)
    if op.outcome == "ok":
        landed = op.completion.source if op.completion else None
        if landed in where:
            return [], None
        fact = f"{landed}.{table} has no row {short(row_id)} (marker {op.invoke.marker}); found in: {_where(found)}"
        message = f"create op {op.op_id} acknowledged ok in {landed} (row {short(row_id)}), but it is not there"
        return [about(op, "lost_write", message, (landed or "?", *where), (fact,), row_id)], None
    if op.outcome == "fail":
        if not found:
            return [], None
        message = f"create op {op.op_id} acknowledged as failed, yet its row exists in {_where(found)}"
        facts = tuple(f"{s}.{table} has row {short(state.key_of(table, r))}{_marked(r)}" for s, r in found)
        return [about(op, "phantom_write", message, where, facts, row_id)], None
    return _indeterminate(op, found, state)


def _indeterminate(
    op: Operation, found: list[Found], state: FinalState
) -> tuple[list[Violation], IndeterminateWrite | None]:
    where = places(found)
    verdict: Verdict = "absent" if not found else "landed" if len(found) == 1 else "duplicated"
    pending = op.completion.source if op.completion else None
    last = op.resolutions[-1] if op.resolutions else None
    said = None
    if last is not None:
        said = f"ok in {last.source}" if last.outcome == "ok" else (last.outcome or "unknown")
    record = IndeterminateWrite(
        op_id=op.op_id,
        client=op.invoke.client,
        table=op.invoke.table,
        row_id=created_id(op),
        pending_source=pending,
        verdict=verdict,
        found_in=where,
        client_resolution=said,
    )
    if last is None or last.outcome != "ok" or where == (last.source,):
        return [], record
    message = (
        f"create op {op.op_id} was pending; the client resolved it as living in {last.source}, "
        f"but at the end it is in: {_where(found)}"
    )
    fact = f"{op.invoke.table} rows of op {op.op_id} found in: {_where(found)}"
    return [about(op, "resolution_mismatch", message, (last.source or "?", *where), (fact,), created_id(op))], record
