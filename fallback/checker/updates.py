"""Updates (`update`, `assign_mt5`): they must go to the row's own source and nowhere else.

An update of row X from source S is misrouted when the client reports sending it elsewhere,
when its values appear in a row of another source, or when X shows up in another source
that was not seeded with it (an upsert that created the row there). Its values are
recognised by `op_token(op_id)`, which the engine puts in at least one changed text field.

An update acknowledged ok is lost when X in S does not carry its values at the end, and no
other update of X ran after (or at the same time as) it.
"""

from __future__ import annotations

from fallback.checker.model import Violation, about
from fallback.checker.state import FinalState, Row, short
from fallback.history import Operation, carries_token


def _marked(op: Operation) -> dict[str, object]:
    """The changed values that carry this op's token: they identify the op's writes anywhere."""
    return {k: v for k, v in op.invoke.changes.items() if carries_token(v, op.op_id)}


def _touched(row: Row, marked: dict[str, object]) -> bool:
    return any(row.get(key) == value for key, value in marked.items())


def _carries(row: Row, op: Operation) -> bool:
    return all(row.get(key) == value for key, value in op.invoke.changes.items())


def check_update(op: Operation, state: FinalState) -> list[Violation]:
    table, row_id, home = op.invoke.table, op.invoke.row_id, op.invoke.row_source
    marked = _marked(op)
    facts: list[str] = []
    wrong: list[str] = []
    sent_to = op.completion.source if op.completion else None
    if sent_to and home and sent_to != home:
        facts.append(f"the client reported sending it to {sent_to}; the row's source is {home}")
        wrong.append(sent_to)
    for source in state.sources:
        if source == home:
            continue
        for row in state.rows(source, table):
            rid = str(row.get("id"))
            if marked and _touched(row, marked):
                facts.append(f"{source}.{table} row {rid} carries its values {marked}")
            elif rid == row_id and not state.seeded(source, table, rid):
                facts.append(f"{source}.{table} has row {rid}, which that source was never seeded with")
            else:
                continue
            wrong.append(source)
    if not facts:
        return []
    message = f"{op.op} op {op.op_id} of row {short(row_id)} (source {home}) reached another source"
    return [about(op, "misrouted_update", message, tuple(dict.fromkeys(wrong)), tuple(facts), row_id)]


def check_lost_updates(updates: list[Operation], state: FinalState) -> list[Violation]:
    violations: list[Violation] = []
    for op in updates:
        if op.outcome != "ok" or not op.invoke.row_id or not op.invoke.changes:
            continue
        later = [
            other
            for other in updates
            if other is not op
            and other.invoke.row_id == op.invoke.row_id
            and (other.completion is None or other.completion.index > op.invoke.index)
        ]
        if later:
            continue
        table, home, row_id = op.invoke.table, op.invoke.row_source or "?", op.invoke.row_id
        rows = [row for row in state.rows(home, table) if str(row.get("id")) == row_id]
        if any(_carries(row, op) for row in rows):
            continue
        fact = (
            f"{home}.{table} has no row {row_id}"
            if not rows
            else f"{home}.{table} row {row_id} has " + ", ".join(f"{k}={rows[0].get(k)!r}" for k in op.invoke.changes)
        )
        violations.append(
            Violation(
                kind="lost_update",
                message=f"{op.op} op {op.op_id} acknowledged ok in {home}, but row {short(row_id)} lacks its values",
                table=table,
                row_id=row_id,
                op_ids=(op.op_id,),
                sources=(home,),
                events=op.events,
                final=(fact,),
            )
        )
    return violations
