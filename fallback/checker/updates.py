"""Updates and calls (`update`, `call` such as `assign_mt5`): they must go to the row's own source
and nowhere else.

An update of row X from source S is misrouted when the client reports sending it elsewhere,
when its values appear in a row of another source, or when X shows up in another source
that was not seeded with it (an upsert that created the row there). Its values are
recognised by `op_token(op_id)`, which the engine puts in a changed text column (a call: in
the arguments marked `{op}`; the spec's `assign_mt5`: the login).

An update acknowledged ok is lost when X in S does not carry its values at the end, and no
other write of X (update, call, delete) ran after (or at the same time as) it. An update's values
are compared column by column; a call's token-carrying arguments must appear in some column of X
(a flow may store an argument under any name).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fallback.checker.model import Violation, about
from fallback.checker.state import FinalState, Row, marker_of, short
from fallback.history import Operation, carries_token


def _marked(op: Operation) -> dict[str, object]:
    """The changed values that carry this op's token: they identify the op's writes anywhere."""
    return {k: v for k, v in op.invoke.changes.items() if carries_token(v, op.op_id)}


def same(stored: object, written: object) -> bool:
    """A value as the database holds it vs as the client sent it (`10.50` is `10.5`, `7` is `"7"`)."""
    if stored == written:
        return True
    if isinstance(stored, bool) or isinstance(written, bool) or stored is None or written is None:
        return False
    try:
        return Decimal(str(stored)) == Decimal(str(written))
    except InvalidOperation:
        return False


def _carries(row: Row, op: Operation) -> bool:
    if op.kind == "call":
        values = list(row.values())
        return all(any(same(v, value) for v in values) for value in _marked(op).values())
    return all(same(row.get(key), value) for key, value in op.invoke.changes.items())


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
        found = (
            state.with_token_value(table, str(value)) if op.kind == "call" else state.with_value(table, key, str(value))
        )
        for source, row in found:
            if source != home:
                facts.append(f"{source}.{table} row {state.key_of(table, row)} carries its {key}={value!r}")
                wrong.append(source)
    for source, row in state.with_id(table, row_id) if row_id else ():
        # A copy written by a create (it carries a create's marker) is a duplicate, reported as such.
        created = marker_of(row) is not None
        if source != home and source not in wrong and not created and not state.seeded(source, table, row_id or ""):
            facts.append(f"{source}.{table} has row {row_id}, which that source was never seeded with")
            wrong.append(source)
    if not facts:
        return []
    message = f"{op.op} op {op.op_id} of row {short(row_id)} (source {home}) reached another source"
    return [about(op, "misrouted_update", message, tuple(dict.fromkeys(wrong)), tuple(facts), row_id)]


def by_row(ops: list[Operation]) -> dict[tuple[str, str], list[Operation]]:
    """Writes of existing rows (updates, calls, deletes), grouped by (table, row key)."""
    grouped: dict[tuple[str, str], list[Operation]] = {}
    for op in ops:
        if op.invoke.row_id:
            grouped.setdefault((op.invoke.table, op.invoke.row_id), []).append(op)
    return grouped


def check_lost_updates(writes: list[Operation], state: FinalState) -> list[Violation]:
    """`writes`: every update, call and delete (a later one of the same row excuses an earlier update)."""
    violations: list[Violation] = []
    for (table, row_id), ops in by_row(writes).items():
        for op in ops:
            if op.kind == "delete" or op.outcome != "ok" or not op.invoke.changes or overtaken(op, ops):
                continue
            if op.kind == "call" and not _marked(op):
                continue  # a flow whose arguments carry no token: nothing to recognise its values by
            home = op.invoke.row_source or "?"
            rows = [row for source, row in state.with_id(table, row_id) if source == home]
            if any(_carries(row, op) for row in rows):
                continue
            fact = (
                f"{home}.{table} has no row {row_id}"
                if not rows
                else f"{home}.{table} row {row_id} has "
                + ", ".join(f"{k}={rows[0].get(k)!r}" for k in op.invoke.changes if k in rows[0])
            )
            message = f"{op.op} op {op.op_id} acknowledged ok in {home}, but row {short(row_id)} lacks its values"
            violations.append(about(op, "lost_update", message, (home,), (fact,), row_id))
    return violations


def overtaken(op: Operation, same_row: list[Operation]) -> bool:
    """Another write of the row ran after this one started, or is still running: it may have
    legitimately overwritten (or deleted) the values, so this one's absence proves nothing."""
    return any(
        other is not op and (other.completion is None or other.completion.index > op.invoke.index) for other in same_row
    )
