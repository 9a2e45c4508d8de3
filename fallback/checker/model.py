"""What the checker reports: violations (each replayable as the history events involved) and
how every indeterminate write turned out.

Violation kinds, and the scenario expectation each one fails (rows are named by their table's
primary key, composite keys included):

    lost_write               no_lost_writes        a create acked ok is not in the source it named
    lost_update              no_lost_writes        an acked update or call is not in its row, nothing later overwrote it
    lost_delete              no_lost_writes        a delete acked ok, yet its row is still in its source
    phantom_write            no_lost_writes        a create acked as failed exists anyway
    phantom_delete           no_lost_writes        a delete acked as failed (not not_found), yet its row is gone
    resolution_mismatch      no_lost_writes        the client said a pending write settled in S; it is not (only) there
    duplicate_row            no_duplicates         one row key twice: in two sources, or twice in one
    duplicate_write          no_duplicates         one create (one op marker) became several rows
    misrouted_update         no_misrouted_updates  an update's or call's values, or its row, appear elsewhere
    misrouted_delete         no_misrouted_updates  a delete went to, or removed a seeded copy in, another source
    read_from_failed_source  (always checked)      a load returned rows tagged with a source it reported failed

Deletes have kinds of their own rather than reusing lost_update / phantom_write: the replay then says
what the client did wrong (a row that should be gone is there, or the other way round), and a report
can count them apart; they fail the same expectations as the writes they mirror.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict

from fallback.history import Event, Operation

ViolationKind = Literal[
    "lost_write",
    "lost_update",
    "lost_delete",
    "phantom_write",
    "phantom_delete",
    "resolution_mismatch",
    "duplicate_row",
    "duplicate_write",
    "misrouted_update",
    "misrouted_delete",
    "read_from_failed_source",
]
Verdict = Literal["landed", "absent", "duplicated"]
EXPECTATION_KINDS: dict[str, tuple[str, ...]] = {
    "no_lost_writes": (
        "lost_write",
        "lost_update",
        "lost_delete",
        "phantom_write",
        "phantom_delete",
        "resolution_mismatch",
    ),
    "no_duplicates": ("duplicate_row", "duplicate_write"),
    "no_misrouted_updates": ("misrouted_update", "misrouted_delete"),
}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Violation(_Record):
    kind: ViolationKind
    message: str
    table: str
    row_id: str | None = None
    op_ids: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    """The sources involved (where the row was expected, found, or wrongly read from)."""
    events: tuple[Event, ...] = ()
    """The history events involved, in history order: the replayable part."""
    final: tuple[str, ...] = ()
    """What the final database contents show, one fact per line."""

    def replay(self) -> str:
        """The violation as a short, replayable sequence of operations (Jepsen/Hypothesis style)."""
        lines = [f"{self.kind}: {self.message}"]
        lines += [f"  {event.describe()}" for event in self.events]
        lines += [f"  final: {fact}" for fact in self.final]
        return "\n".join(lines)


def about(
    op: Operation,
    kind: ViolationKind,
    message: str,
    sources: tuple[str, ...],
    final: tuple[str, ...],
    row_id: str | None,
) -> Violation:
    """A violation involving the one operation `op` (all its events)."""
    return Violation(
        kind=kind,
        message=message,
        table=op.invoke.table,
        row_id=row_id,
        op_ids=(op.op_id,),
        sources=sources,
        events=op.events,
        final=final,
    )


class IndeterminateWrite(_Record):
    """A create whose outcome the client could not tell, and what the final state says."""

    op_id: int
    client: str
    table: str
    row_id: str | None
    pending_source: str | None
    """Where the client said it may have landed."""
    verdict: Verdict
    found_in: tuple[str, ...]
    client_resolution: str | None = None
    """The client's own last resolution: `ok in BOLT`, `indeterminate`, or None if it never resolved."""


class CheckResult(_Record):
    violations: tuple[Violation, ...] = ()
    indeterminate: tuple[IndeterminateWrite, ...] = ()
    operations: int = 0
    """Operations checked."""

    @property
    def valid(self) -> bool:
        return not self.violations

    def counts(self) -> dict[str, int]:
        return dict(Counter(v.kind for v in self.violations))

    def of_kind(self, *kinds: str) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.kind in kinds)

    def passes(self, expectation: str) -> bool:
        """Whether `no_lost_writes` / `no_duplicates` / `no_misrouted_updates` holds."""
        return not self.of_kind(*EXPECTATION_KINDS[expectation])

    def summary(self) -> str:
        verdicts = Counter(w.verdict for w in self.indeterminate)
        pending = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items())) or "none"
        if self.valid:
            head = f"checker: {self.operations} operations, no violations"
        else:
            kinds = ", ".join(f"{kind} x{n}" for kind, n in sorted(self.counts().items()))
            head = f"checker: {self.operations} operations, {len(self.violations)} violations ({kinds})"
        return f"{head}; indeterminate writes: {pending}"

    def render(self) -> str:
        return "\n\n".join([self.summary(), *(v.replay() for v in self.violations)])
