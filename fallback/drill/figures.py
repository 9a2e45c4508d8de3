"""A drill's figures, computed from the history and the fault windows only (pure functions).

For each fault window on a source S (`PRIMARY.api` and `PRIMARY.db` are both S = PRIMARY),
times are measured from the window's edges to the *completion* of the first operation that shows:

* detect: a call to S failed (the client noticed: a refused, reset, timed-out or 5xx call;
  a call its breaker refused is not a detection, nothing was sent);
* fail over: the operation succeeded without S (a write acknowledged by another source, or a
  load answered with S failed or short-circuited);
* recover: after the window closed, a call to S succeeded again.

Availability counts an operation as available when it completed `ok`; `fail`, `indeterminate`
and operations cut off by the end of the drill count against it. Per second, operations are
bucketed by the second they were invoked in. Nothing is limited to the window itself: a
detection that only comes when a hung call's deadline expires, after the fault cleared, is
still reported (with its true, long, delay).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from fallback.checker import CheckResult
from fallback.history import Event, History
from fallback.report.model import DrillFigures, FaultTiming, SecondBucket


def _served_without(event: Event, source: str) -> bool:
    if event.type != "ok":
        return False
    if event.op == "create":
        return event.source is not None and event.source != source
    if event.op == "load":
        called = [c for c in event.calls if c.source == source]
        return bool(called) and all(c.kind != "ok" for c in called)
    return False  # an update goes to its row's own source: serving it elsewhere is not failover


def _failed_call(event: Event, source: str) -> bool:
    return any(c.source == source and c.kind not in ("ok", "breaker_open") for c in event.calls)


def _ok_call(event: Event, source: str) -> bool:
    return any(c.source == source and c.kind == "ok" for c in event.calls)


def _first(completions: Iterable[Event], since: float, test: Callable[[Event], bool]) -> float | None:
    for event in completions:
        if event.time_s >= since and test(event):
            return round(event.time_s - since, 3)
    return None


def fault_timing(completions: Sequence[Event], window: FaultTiming) -> FaultTiming:
    """`window` with its detect / fail-over / recover times filled in."""
    source = window.target.split(".")[0]
    start, end = window.start_s, window.end_s
    detect = _first(completions, start, lambda e: _failed_call(e, source))
    failover = _first(completions, start, lambda e: _served_without(e, source))
    recover = _first(completions, end, lambda e: _ok_call(e, source)) if end is not None else None
    return window.model_copy(
        update={"time_to_detect_s": detect, "time_to_fail_over_s": failover, "time_to_recover_s": recover}
    )


def per_second(history: History) -> tuple[SecondBucket, ...]:
    ops: Counter[int] = Counter()
    ok: Counter[int] = Counter()
    for operation in history.operations():
        second = int(operation.invoke.time_s)
        ops[second] += 1
        ok[second] += operation.outcome == "ok"
    if not ops:
        return ()
    return tuple(SecondBucket(t_s=s, ops=ops[s], ok=ok[s]) for s in range(min(ops), max(ops) + 1))


def errors_by_kind(history: History) -> dict[str, int]:
    """Failed or indeterminate operations by the error the history recorded; unfinished ones as `cut_off`."""
    kinds: Counter[str] = Counter()
    for operation in history.operations():
        if operation.completion is None:
            kinds["cut_off"] += 1
        elif operation.completion.type != "ok":
            kinds[f"{operation.op}:{operation.completion.error_label or operation.completion.type}"] += 1
    return dict(sorted(kinds.items()))


def drill_figures(
    history: History,
    windows: Sequence[FaultTiming],
    checked: CheckResult | None,
    *,
    rate_per_s: float,
    duration_s: float,
    interrupted: bool,
) -> DrillFigures:
    operations = history.operations()
    completions = sorted(history.completions(), key=lambda e: e.time_s)
    ok = sum(op.outcome == "ok" for op in operations)
    counts = checked.counts() if checked is not None else {}
    return DrillFigures(
        rate_per_s=rate_per_s,
        duration_s=round(duration_s, 3),
        operations=len(operations),
        availability=ok / len(operations) if operations else None,
        per_second=per_second(history),
        faults=tuple(fault_timing(completions, w) for w in windows),
        errors_by_kind=errors_by_kind(history),
        lost=sum(counts.get(k, 0) for k in ("lost_write", "lost_update", "phantom_write", "resolution_mismatch")),
        duplicated=sum(counts.get(k, 0) for k in ("duplicate_row", "duplicate_write")),
        misrouted=counts.get("misrouted_update", 0),
        interrupted=interrupted,
    )
