"""Pure bookkeeping of a drill split over workers: each worker's share of the schedule, ids that stay
unique across workers, and the workers' pace logs merged into one (unit-tested without servers).

* rate: worker i of N sends rate/N, its slots offset by i/rate, so together they keep the schedule of
  one generator at the whole rate (slot k of worker i is slot k*N + i of the whole);
* ids: worker i numbers its operations from `(i + 1) * OP_ID_STRIDE + 1` (the markers the checker maps rows
  back by are `op-<id>@harness.test`, integers: a prefix in the number keeps them unique and parseable);
  its `process` numbers are shifted by `i * PROCESS_STRIDE` when merged;
* pace: lags are concatenated, per-second counters summed, loop stalls kept per worker (a stall in any
  worker's loop marks that second), CPU summed over the workers (one process each), CPU pressure (the
  machine's) the highest any worker read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from fallback.drill.pace import PaceLog, Stall
from fallback.drill.scale.wire import PaceDelta, ShareSpec
from fallback.drill.traffic import TrafficPlan
from fallback.history import Event, History

OP_ID_STRIDE = 1_000_000_000
"""Worker i's operation ids start at (i + 1) * OP_ID_STRIDE + 1: a worker sends far fewer operations."""
PROCESS_STRIDE = 10_000
"""Worker i's `process` numbers (its in-flight slots, < max_in_flight) are shifted by i * PROCESS_STRIDE."""
MAX_WORKERS = 256


@dataclass(frozen=True)
class Share:
    """One worker's part of the schedule: its own plan, and when (drill seconds) its first slot is due."""

    plan: TrafficPlan
    offset_s: float
    operations: int
    """How many operations it sends (its slots of the whole schedule, and its part of `max_ops`); may be 0."""


def share(whole: TrafficPlan, index: int, count: int) -> Share:
    """Worker `index` of `count`: rate/count, its slots interleaved with the others' (slot k*count + index of the
    whole), as many as the whole schedule gives it, and its part of `max_ops`."""
    if not (1 <= count <= MAX_WORKERS and 0 <= index < count):
        raise ValueError(f"worker {index} of {count}: need 0 <= index < count <= {MAX_WORKERS}")
    offset = index / whole.rate_per_s
    mine = max(0, (whole.slots - index + count - 1) // count)  # slots k*count + index of the whole schedule
    if whole.max_ops is not None:
        mine = min(mine, whole.max_ops // count + (1 if index < whole.max_ops % count else 0))
    plan = TrafficPlan(
        rate_per_s=whole.rate_per_s / count,
        duration_s=(max(mine, 1) + 0.5) * count / whole.rate_per_s,  # room for exactly its slots (+ half a gap)
        max_ops=max(mine, 1),  # a plan sends at least one; `Share.operations` says when it is to send none
        mix=dict(whole.mix),
        table=whole.table,
        max_in_flight=whole.max_in_flight,
        seed=whole.seed + index,
        drain_s=whole.drain_s,
    )
    return Share(plan=plan, offset_s=offset, operations=mine)


def share_spec(plan: TrafficPlan) -> ShareSpec:
    """The whole plan on the wire: every field of `TrafficPlan` (ShareSpec has the same ones)."""
    return ShareSpec(**asdict(plan))


def traffic_plan(spec: ShareSpec) -> TrafficPlan:
    return TrafficPlan(**spec.model_dump())


def first_op_id(index: int) -> int:
    return (index + 1) * OP_ID_STRIDE + 1


def worker_of(op_id: int) -> int | None:
    """The worker whose id range holds `op_id` (None: an id of the drill process itself)."""
    return op_id // OP_ID_STRIDE - 1 if op_id > OP_ID_STRIDE else None


class WorkerHistory(History):
    """A worker's history: its operation ids start at `first_op_id(index)`."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self._next_op = first_op_id(index)


def merged_event(event: Event, worker: int) -> Event:
    """A worker's event as the merged history holds it: its `process` shifted into the worker's range."""
    return event.model_copy(update={"process": worker * PROCESS_STRIDE + event.process})


@dataclass
class PaceTracker:
    """Worker side: what of its `PaceLog` is new since the last `delta()`."""

    log: PaceLog
    _lags_seen: dict[int, int] = field(default_factory=dict)
    _stalls_seen: int = 0

    def delta(self) -> PaceDelta:
        lags: list[tuple[int, float]] = []
        for second, values in list(self.log.lags.items()):
            seen = self._lags_seen.get(second, 0)
            lags += [(second, lag) for lag in values[seen:]]
            self._lags_seen[second] = len(values)
        stalls = self.log.stalls[self._stalls_seen :]
        self._stalls_seen += len(stalls)
        return PaceDelta(
            lags=lags,
            due=dict(self.log.due_at),
            shed=dict(self.log.shed_at),
            probe_max=dict(self.log.probe_max),
            stalls=[(s.start_s, s.end_s) for s in stalls],
            cpu=dict(self.log.cpu),
            pressure=dict(self.log.pressure),
        )


@dataclass
class WorkerPace:
    """Drill side: one worker's pace as received so far (deltas applied)."""

    lags: dict[int, list[float]] = field(default_factory=dict)
    due: dict[int, int] = field(default_factory=dict)
    shed: dict[int, int] = field(default_factory=dict)
    probe_max: dict[int, float] = field(default_factory=dict)
    stalls: list[Stall] = field(default_factory=list)
    cpu: dict[int, float] = field(default_factory=dict)
    pressure: dict[int, float] = field(default_factory=dict)

    def apply(self, delta: PaceDelta) -> None:
        for second, lag in delta.lags:
            self.lags.setdefault(second, []).append(lag)
        self.stalls += [Stall(start, end) for start, end in delta.stalls]
        self.due, self.shed, self.probe_max = dict(delta.due), dict(delta.shed), dict(delta.probe_max)
        self.cpu, self.pressure = dict(delta.cpu), dict(delta.pressure)


def merged_pace(workers: Iterable[WorkerPace]) -> PaceLog:
    """One `PaceLog` over every worker, for `drill_figures` and the dashboard (see the module docstring)."""
    log = PaceLog()
    for pace in workers:
        for second, lags in pace.lags.items():
            log.lags[second].extend(lags)
        _add(log.due_at, pace.due)
        _add(log.shed_at, pace.shed)
        for second, late in pace.probe_max.items():
            log.probe_max[second] = max(log.probe_max.get(second, 0.0), late)
        log.stalls += pace.stalls
        for second, busy in pace.cpu.items():
            log.cpu[second] = log.cpu.get(second, 0.0) + busy
        for second, pressure in pace.pressure.items():
            log.pressure[second] = max(log.pressure.get(second, 0.0), pressure)
    return log


def _add(into: dict[int, int], more: Mapping[int, int]) -> None:
    for key, value in more.items():
        into[key] = into.get(key, 0) + value
