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
from fallback.history import Operation, carries_token, marker_op_id


def _marked(op: Operation) -> dict[str, object]:
    """The changed values that carry this op's token: they identify the op's writes anywhere."""
    return {k: v for k, v in op.invoke.changes.items() if carries_token(v, op.op_id)}


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
    for key, value in marked.items():
        for source, row in state.with_value(table, key, str(value)):
            if source != home:
                facts.append(f"{source}.{table} row {row.get('id')} carries its {key}={value!r}")
                wrong.append(source)
    for source, row in state.with_id(table, row_id) if row_id else ():
        # A copy written by a create (it carries a create's marker) is a duplicate, reported as such.
        created = marker_op_id(row.get("email")) is not None
        if source != home and source not in wrong and not created and not state.seeded(source, table, row_id or ""):
            facts.append(f"{source}.{table} has row {row_id}, which that source was never seeded with")
            wrong.append(source)
    if not facts:
        return []
    message = f"{op.op} op {op.op_id} of row {short(row_id)} (source {home}) reached another source"
    return [about(op, "misrouted_update", message, tuple(dict.fromkeys(wrong)), tuple(facts), row_id)]


def check_lost_updates(updates: list[Operation], state: FinalState) -> list[Violation]:
    by_row: dict[tuple[str, str], list[Operation]] = {}
    for op in updates:
        if op.invoke.row_id:
            by_row.setdefault((op.invoke.table, op.invoke.row_id), []).append(op)
    violations: list[Violation] = []
    for (table, row_id), ops in by_row.items():
        for op in ops:
            if op.outcome != "ok" or not op.invoke.changes or _overtaken(op, ops):
                continue
            home = op.invoke.row_source or "?"
            rows = [row for source, row in state.with_id(table, row_id) if source == home]
            if any(_carries(row, op) for row in rows):
                continue
            fact = (
                f"{home}.{table} has no row {row_id}"
                if not rows
                else f"{home}.{table} row {row_id} has "
                + ", ".join(f"{k}={rows[0].get(k)!r}" for k in op.invoke.changes)
            )
            message = f"{op.op} op {op.op_id} acknowledged ok in {home}, but row {short(row_id)} lacks its values"
            violations.append(about(op, "lost_update", message, (home,), (fact,), row_id))
    return violations


def _overtaken(op: Operation, same_row: list[Operation]) -> bool:
    """Another update of the row ran after this one started, or is still running: it may have
    legitimately overwritten the values, so this one's absence proves nothing."""
    return any(
        other is not op and (other.completion is None or other.completion.index > op.invoke.index) for other in same_row
    )
