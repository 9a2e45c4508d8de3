"""What must hold after every explored schedule, judged from the history and the databases.

Every client is held to the base invariants; a client may declare more (the spec-faithful client
declares what the spec promises). Each invariant also says which scenario `expect` replays it, so
a counterexample saved as a file fails `fallback-harness run` on the same check:

    no_lost_writes               checker: lost_write, lost_update, phantom_write, resolution_mismatch
    no_duplicates                checker: duplicate_row, duplicate_write
    no_misrouted_updates         checker: misrouted_update
    no_read_from_failed_source   checker: read_from_failed_source        (no `expect` key: header only)
    degraded_consistent          `degraded` iff a source failed; `stale` only when all failed  (idem)
    load_within_deadline         every load answers within the client's deadline + margin
    load_always_answers          (declared) every load answers with rows: the spec's "100% uptime"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fallback.checker import EXPECTATION_KINDS, CheckResult
from fallback.engine.observe import Observation

MARGIN_S = 1.0
"""Added to a client's own load deadline: scheduling noise on a small shared machine."""


@dataclass(frozen=True)
class Limits:
    op_deadline_s: float
    """The engine's bound per call (the scenario's `op_deadline`)."""
    load_deadline_s: float | None = None
    """The client's own bound on a load; None: it declares none, the engine's bound applies."""

    def load_limit_ms(self) -> float:
        """A load slower than this breaks `load_within_deadline`; a hung load (cut at the engine's
        bound) always does, so a client without its own deadline gets just under that bound."""
        engine_ms = self.op_deadline_s * 1000 - 1
        if self.load_deadline_s is None:
            return engine_ms
        return min((self.load_deadline_s + MARGIN_S) * 1000, engine_ms)


@dataclass(frozen=True)
class Broken:
    invariant: str
    message: str


Judge = Callable[[Observation, CheckResult, Limits], list[str]]
ExpectFor = Callable[[Limits], dict[str, Any] | None]


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    claim: str
    """The spec's words it puts to the test."""
    judge: Judge
    """The violations found, as messages; none: it holds."""
    expect: ExpectFor
    """The scenario `expect` that fails exactly when it is broken (None: no such key exists)."""


def _checker(*kinds: str) -> Judge:
    def judge(_: Observation, checked: CheckResult, __: Limits) -> list[str]:
        return [v.message for v in checked.of_kind(*kinds)]

    return judge


def _loads(seen: Observation) -> list[Any]:
    return list(seen.of_op("load"))


def _within_deadline(seen: Observation, _: CheckResult, limits: Limits) -> list[str]:
    limit = limits.load_limit_ms()
    return [
        f"load op {e.op_id} took {e.latency_ms:.0f} ms"
        + (" (hung: no answer)" if e.error == "hung" else "")
        + f", limit {limit:.0f} ms"
        for e in _loads(seen)
        if (e.latency_ms or 0.0) > limit
    ]


def _degraded_consistent(seen: Observation, _: CheckResult, __: Limits) -> list[str]:
    found = []
    for e in _loads(seen):
        if e.error == "hung" or not e.calls:
            continue  # the engine cut it: the client reported nothing to compare
        failed = e.failed_sources()
        if e.degraded is not None and e.degraded != bool(failed):
            found.append(f"load op {e.op_id}: degraded={e.degraded} but failed sources: {', '.join(failed) or 'none'}")
        if e.stale and len(failed) < len(e.calls):
            found.append(f"load op {e.op_id}: served stale although {len(e.calls) - len(failed)} sources answered")
    return found


def _always_answers(seen: Observation, _: CheckResult, __: Limits) -> list[str]:
    return [
        f"load op {e.op_id} did not answer: {e.error_label}" + (f" ({e.message})" if e.message else "")
        for e in _loads(seen)
        if e.type != "ok"
    ]


def _latency_expect(limits: Limits) -> dict[str, Any]:
    # p100, the slowest load: one load over the limit breaks the invariant, so the replay must fail on one
    # (an interpolated p99 lies below the slowest of fewer than 101 loads).
    return {"latency_ms": [{"op": "load", "p100": {"max": round(limits.load_limit_ms(), 3)}}]}


INVARIANTS: dict[str, Invariant] = {
    i.name: i
    for i in (
        Invariant(
            "no_lost_writes",
            "no acknowledged write lost, no failed write landed anyway",
            "Zero data loss",
            _checker(*EXPECTATION_KINDS["no_lost_writes"]),
            lambda _: {"no_lost_writes": True},
        ),
        Invariant(
            "no_duplicates",
            "no row twice (across sources or in one), no create that became two rows",
            "Prevents data duplication",
            _checker(*EXPECTATION_KINDS["no_duplicates"]),
            lambda _: {"no_duplicates": True},
        ),
        Invariant(
            "no_misrouted_updates",
            "an update changes its row's own source only",
            "Updates go to original source",
            _checker(*EXPECTATION_KINDS["no_misrouted_updates"]),
            lambda _: {"no_misrouted_updates": True},
        ),
        Invariant(
            "no_read_from_failed_source",
            "no row served from a source the load reported failed",
            "Source tracking maintains audit trail",
            _checker("read_from_failed_source"),
            lambda _: None,
        ),
        Invariant(
            "degraded_consistent",
            "`degraded` agrees with the per-source outcomes; `stale` only if all failed",
            "Page displays data normally with warning",
            _degraded_consistent,
            lambda _: None,
        ),
        Invariant(
            "load_within_deadline",
            f"every load answers within the client's deadline + {MARGIN_S:g} s",
            "Fast Failover - Automatic fallback in milliseconds",
            _within_deadline,
            _latency_expect,
        ),
        Invariant(
            "load_always_answers",
            "every load answers with rows from at least one source",
            "100% Uptime - System works even if databases fail",
            _always_answers,
            lambda _: {"availability": [{"op": "load", "min": 1.0}]},
        ),
    )
}
BASE = (
    "no_lost_writes",
    "no_duplicates",
    "no_misrouted_updates",
    "no_read_from_failed_source",
    "degraded_consistent",
    "load_within_deadline",
)
"""Every client is held to these, in this order (the first broken one names a counterexample)."""


def ordered(names: tuple[str, ...]) -> tuple[str, ...]:
    """`names` in the registry's order (which invariant names a schedule that breaks several)."""
    return tuple(name for name in INVARIANTS if name in names)


def judge(names: tuple[str, ...], seen: Observation, checked: CheckResult, limits: Limits) -> tuple[Broken, ...]:
    """Every violation of the invariants `names`, the first broken invariant first."""
    return tuple(
        Broken(name, message) for name in ordered(names) for message in INVARIANTS[name].judge(seen, checked, limits)
    )
