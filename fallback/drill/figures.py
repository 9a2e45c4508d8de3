"""A drill's figures, computed from the history and the fault windows only (pure functions).

For each fault window on a source S (`PRIMARY.api` and `PRIMARY.db` are both S = PRIMARY),
times are measured from the window's edges to the *completion* of the first operation that shows:

* detect: a call to S failed (the client noticed: a refused, reset, timed-out or 5xx call;
  a call its breaker refused is not a detection, nothing was sent);
* fail over: the operation succeeded without S (a write acknowledged by another source, or a
  load answered with S failed or short-circuited);
* recover: after the window closed, a call to S succeeded again.

Availability counts an operation as available when it completed `ok`; `fail`, `indeterminate`
and operations cut off by the end of the drill count against it. Operations the harness could
not measure fairly (its event loop stalled during their life: `fallback.drill.pace`) are left
out of it, whatever their outcome, and counted as `excluded`; operations the generator never sent
(`shed`) were never in the history. Per second, operations are bucketed by the second they were
invoked in. Nothing is limited to the window itself: a
detection that only comes when a hung call's deadline expires, after the fault cleared, is
still reported (with its true, long, delay).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence

from fallback.checker import CheckResult
from fallback.drill.pace import PaceLog
from fallback.history import Event, History, Operation
from fallback.report.model import DrillFigures, FaultTiming, SecondBucket
from fallback.stats import percentile


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


def excluded_ops(
    operations: Sequence[Operation],
    pace: PaceLog | None,
    *,
    interrupted: bool = False,
    generator_lost: Collection[int] = (),
) -> set[int]:
    """Indexes of the operations the harness could not measure fairly: sent in a second in which the
    generator shed (it could not keep the rate), or whose life overlaps a stall of its event loop; and,
    when the drill was interrupted, the calls it cut off itself (a Ctrl-C is no outage of the system), as
    the unfinished ones among `generator_lost` (op ids sent by a load generator that died: `drill.scale`)."""
    cut_off = {
        i for i, op in enumerate(operations) if op.completion is None and (interrupted or op.op_id in generator_lost)
    }
    if pace is None:
        return cut_off
    stalls = pace.stall_index()
    shed = {second for second, n in pace.shed_at.items() if n}
    return cut_off | {
        i
        for i, op in enumerate(operations)
        if int(op.invoke.time_s) in shed
        or stalls.overlaps(op.invoke.time_s, None if op.completion is None else op.completion.time_s)
    }


def per_second(
    history: History, pace: PaceLog | None = None, *, interrupted: bool = False, generator_lost: Collection[int] = ()
) -> tuple[SecondBucket, ...]:
    operations = history.operations()
    excluded = excluded_ops(operations, pace, interrupted=interrupted, generator_lost=generator_lost)
    ops: Counter[int] = Counter()
    ok: Counter[int] = Counter()
    left_out: Counter[int] = Counter()
    for i, operation in enumerate(operations):
        second = int(operation.invoke.time_s)
        ops[second] += 1
        ok[second] += operation.outcome == "ok"
        left_out[second] += i in excluded
    paced = {p.t_s: p for p in pace.seconds()} if pace is not None else {}
    seconds = set(ops) | {s for s, p in paced.items() if p.due or p.sent}
    if not seconds:
        return ()
    buckets = []
    for s in range(min(seconds), max(seconds) + 1):
        p = paced.get(s)
        buckets.append(
            SecondBucket(
                t_s=s,
                ops=ops[s],
                ok=ok[s],
                excluded=left_out[s],
                shed=p.shed if p else 0,
                lag_p99_ms=p.lag_p99_ms if p else None,
                stall_max_ms=p.stall_max_ms if p else None,
                cpu_pct=p.cpu_pct if p else None,
                cpu_pressure_pct=p.cpu_pressure_pct if p else None,
                saturated=p.saturated if p else False,
            )
        )
    return tuple(buckets)


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
    pace: PaceLog | None = None,
    generator_lost: Collection[int] = (),
) -> DrillFigures:
    """The figures of a drill; `pace` (the generator's own log) lets it say when the harness could not keep up;
    `generator_lost`: operations whose load generator died (their unfinished ones are left out, as `cut_off`)."""
    operations = history.operations()
    completions = sorted(history.completions(), key=lambda e: e.time_s)
    excluded = excluded_ops(operations, pace, interrupted=interrupted, generator_lost=generator_lost)
    counted = [op for i, op in enumerate(operations) if i not in excluded]
    ok = sum(op.outcome == "ok" for op in counted)
    ok_all = sum(op.outcome == "ok" for op in operations)
    counts = checked.counts() if checked is not None else {}
    buckets = per_second(history, pace, interrupted=interrupted, generator_lost=generator_lost)
    lags = sorted(lag for second in (pace.lags.values() if pace else ()) for lag in second)
    saturated = tuple(b.t_s for b in buckets if b.saturated)
    return DrillFigures(
        rate_per_s=rate_per_s,
        duration_s=round(duration_s, 3),
        operations=len(operations),
        availability=ok / len(counted) if counted else None,
        availability_all=ok_all / len(operations) if operations else None,
        excluded=len(excluded),
        excluded_failed=sum(operations[i].outcome != "ok" for i in excluded),
        sent_per_s=round(len(operations) / duration_s, 1) if duration_s > 0 else None,
        shed=pace.total_shed if pace else 0,
        lag_p50_ms=_ms(_rank(lags, 50)),
        lag_p99_ms=_ms(_rank(lags, 99)),
        stall_max_ms=max((b.stall_max_ms for b in buckets if b.stall_max_ms is not None), default=None),
        saturated_seconds=saturated,
        harness_saturated=bool(saturated),
        per_second=buckets,
        faults=tuple(fault_timing(completions, w) for w in windows),
        errors_by_kind=errors_by_kind(history),
        lost=sum(counts.get(k, 0) for k in ("lost_write", "lost_update", "phantom_write", "resolution_mismatch")),
        duplicated=sum(counts.get(k, 0) for k in ("duplicate_row", "duplicate_write")),
        misrouted=counts.get("misrouted_update", 0),
        interrupted=interrupted,
    )


def _rank(values: Sequence[float], q: int) -> float | None:
    """The `fallback.stats` percentile (None: no values)."""
    return percentile(values, q) if values else None


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 1)
