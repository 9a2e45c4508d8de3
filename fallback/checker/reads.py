"""Loads must not return rows from a source they reported failed (a stale snapshot, flagged
`stale`, is the documented exception: it is served knowingly, from the cache)."""

from __future__ import annotations

from fallback.checker.model import Violation
from fallback.history import Operation


def check_load(op: Operation) -> list[Violation]:
    done = op.completion
    if done is None or done.stale:
        return []
    violations = []
    for source in done.failed_sources():
        rows = done.rows_by_source.get(source, ())
        if not rows:
            continue
        kind = next(call.label for call in done.calls if call.source == source)
        violations.append(
            Violation(
                kind="read_from_failed_source",
                message=f"load op {op.op_id} reported {source} failed ({kind}), yet returned {len(rows)} of its rows",
                table=op.invoke.table,
                op_ids=(op.op_id,),
                sources=(source,),
                events=op.events,
                final=(f"rows tagged {source}: {', '.join(r[:8] for r in rows[:5])}{' ...' if len(rows) > 5 else ''}",),
            )
        )
    return violations
