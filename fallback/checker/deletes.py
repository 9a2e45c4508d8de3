"""Deletes: sent only to the row's own source; acknowledged ones leave no row, failed ones leave it.

A delete of row X from source S (X named by its table's primary key):

- `lost_delete`: acknowledged ok, yet X is still in S at the end, and no other operation on X ran
  after it or at the same time (an update of a deleted row fails, so only another write could
  explain it... and none did);
- `phantom_delete`: acknowledged as failed (any failure but `not_found`/`no_row`: the row was not
  there to delete), yet X is gone from S, and no other delete of X could have removed it;
- `misrouted_delete`: the client reports sending it to another source, or X was seeded in another
  source too and is gone from there.

An indeterminate delete (no answer, or an ambiguous failure) may have happened or not: it is not judged.
"""

from __future__ import annotations

from fallback.checker.model import Violation, about
from fallback.checker.state import FinalState, short
from fallback.checker.updates import by_row, overtaken
from fallback.history import Operation

NOT_THERE = frozenset({"not_found", "no_row"})
"""Failures saying the row was not there: a delete that found nothing removed nothing."""


def check_deletes(writes: list[Operation], state: FinalState) -> list[Violation]:
    """`writes`: every update, call and delete (other writes of the same row excuse a delete's effect)."""
    violations: list[Violation] = []
    for (table, row_id), ops in by_row(writes).items():
        for op in ops:
            if op.kind == "delete":
                violations += _check_one(op, ops, table, row_id, state)
    return violations


def _check_one(op: Operation, same_row: list[Operation], table: str, row_id: str, state: FinalState) -> list[Violation]:
    home = op.invoke.row_source or "?"
    in_home = [row for source, row in state.with_id(table, row_id) if source == home]
    found: list[Violation] = []
    sent_to = op.completion.source if op.completion else None
    gone_elsewhere = [
        s for s in state.sources if s != home and state.seeded(s, table, row_id) and not _in(state, s, table, row_id)
    ]
    if (sent_to and sent_to != home) or gone_elsewhere:
        facts = [f"the client reported sending it to {sent_to}; the row's source is {home}"] if sent_to != home else []
        facts += [f"{s}.{table} was seeded with row {row_id} and no longer has it" for s in gone_elsewhere]
        message = f"delete op {op.op_id} of row {short(row_id)} (source {home}) reached another source"
        wrong = tuple(dict.fromkeys([*([sent_to] if sent_to and sent_to != home else []), *gone_elsewhere]))
        found.append(about(op, "misrouted_delete", message, wrong, tuple(facts), row_id))
    if op.outcome == "ok" and in_home and not overtaken(op, same_row):
        message = f"delete op {op.op_id} acknowledged ok in {home}, but row {short(row_id)} is still there"
        found.append(about(op, "lost_delete", message, (home,), (f"{home}.{table} has row {row_id}",), row_id))
    done = op.completion
    failed = op.outcome == "fail" and done is not None and done.error not in NOT_THERE
    others = [o for o in same_row if o is not op and o.kind == "delete" and o.outcome != "fail"]
    if failed and not in_home and not others:
        message = f"delete op {op.op_id} acknowledged as failed, yet row {short(row_id)} is gone from {home}"
        found.append(about(op, "phantom_delete", message, (home,), (f"{home}.{table} has no row {row_id}",), row_id))
    return found


def _in(state: FinalState, source: str, table: str, row_id: str) -> bool:
    return any(s == source for s, _ in state.with_id(table, row_id))
