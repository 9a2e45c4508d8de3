"""Short, runnable, replayable scenarios for the explorer (needs the `dev` extra: hypothesis).

`fallback.scenario.strategies` draws *any* valid scenario (it tests the file format); these draw
scenarios worth running on the stack in a search: a couple of seconds each, real tables, small
counts, and only deterministic faults: toxicity 1 and no latency jitter, because Toxiproxy
ignores its `-seed` flag, so neither could be replayed. Faults start and end on a 250 ms grid.

Every choice is ordered so that Hypothesis shrinks toward the simpler schedule: fewer faults
and steps, `down` before subtler toxics, PRIMARY before BOLT before OLD, a fault lasting the
whole workload, one operation, one worker, no seed rows.

Which kinds are drawn, in which order, and the values of each one's main attribute come from the
fault registry (`fallback.faults`: `explore_rank` and the main attribute's `search` values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from fallback.explore.options import OP_DEADLINE_S
from fallback.faults import EXPLORED, KINDS, targets_of
from fallback.scenario import Fault, Flap, Group, Scenario, Step, Workload, known_sources, known_tables
from fallback.scenario._types import TableName
from fallback.scenario.seed import SeedSpec

Draw = Any
EXPLORE_TOXICS: tuple[str, ...] = tuple(kind.name for kind in EXPLORED)
"""What the explorer injects, simplest first (the registry leaves out `slicer`: it only re-chunks a stream)."""
PROCESS_TOXICS: tuple[str, ...] = tuple(kind.name for kind in EXPLORED if kind.targets == {"process"})
"""Drawn last in a schedule (`explore_scenarios`), so that a --seed draws the same link faults as before."""
SCHEDULE_TOXICS: tuple[str, ...] = tuple(name for name in EXPLORE_TOXICS if name not in PROCESS_TOXICS)
"""A schedule's faults before its process fault: the link kinds, then the database kinds."""
MAX_STEPS = 3
MAX_COUNT = 4
MAX_FAULTS = 3
MAX_SEED_ROWS = 5

STREAMS = ("downstream", "upstream")
quarters = st.integers(0, 8).map(lambda q: q / 4)
"""0 s to 2 s in 250 ms steps."""


@dataclass(frozen=True)
class Pair:
    """One cell of the coverage table a schedule can reach: a kind (`reset_peer` per stream) on a target."""

    toxic: str
    target: str
    stream: str | None = None
    """`reset_peer` only: its coverage rows are per stream."""

    @property
    def process(self) -> bool:
        return self.toxic in PROCESS_TOXICS


def _pairs(toxics: tuple[str, ...]) -> tuple[Pair, ...]:
    """Every pair of `toxics`, round-robin over each kind's targets (every kind on its first target, then on
    its second, ...): a short run still meets every kind. `reset_peer` counts once per stream."""
    rows = [
        (toxic, stream)
        for toxic in toxics
        for stream in (("upstream", "downstream") if toxic == "reset_peer" else (None,))
    ]
    targets = {toxic: targets_of(KINDS[toxic].targets) for toxic in toxics}
    deepest = max(len(found) for found in targets.values())
    return tuple(
        Pair(toxic, targets[toxic][i], stream)
        for i in range(deepest)
        for toxic, stream in rows
        if i < len(targets[toxic])
    )


def all_pairs() -> tuple[Pair, ...]:
    """Every (kind, target) pair a schedule can draw on the active project's sources, the coverage table's
    reachable cells (computed when asked: `--project` chooses the sources after import)."""
    return _pairs(EXPLORE_TOXICS)


@dataclass(frozen=True)
class Pins:
    """The pairs one stratified schedule must carry: one or two link or database pairs, and a process pair
    or none (a schedule holds at most one process fault)."""

    schedule: tuple[Pair, ...]
    process: Pair | None = None

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return self.schedule if self.process is None else (*self.schedule, self.process)


def stratified_plan() -> tuple[Pins, ...]:
    """The pins of the first schedules of a search: every pair of `all_pairs()` in exactly one of them. The first
    schedules pin one link/database pair and one process pair each, until the process pairs are used up; the
    next ones two link/database pairs each, taken half a list apart (different targets, so that neither
    masks the other). `len(plan)` schedules cover every pair: far fewer than there are pairs."""
    pairs = all_pairs()
    schedule = [pair for pair in pairs if not pair.process]
    process = [pair for pair in pairs if pair.process]
    if len(process) > len(schedule):  # not the registry's shape today; still cover them all
        schedule += schedule[: len(process) - len(schedule)]
    plan = [Pins((pair,), process[i]) for i, pair in enumerate(schedule[: len(process)])]
    rest = schedule[len(process) :]
    half = (len(rest) + 1) // 2
    plan += [Pins((first, *rest[half + i : half + i + 1])) for i, first in enumerate(rest[:half])]
    return tuple(plan)


@st.composite
def faults(draw: Draw, kinds: tuple[str, ...] | None = None, pin: Pair | None = None) -> Fault:
    """One deterministic fault of `kinds` (default: every explored kind but the process ones, drawn apart) on a
    target it acts on, or of the `pin`'s kind on its target (and stream); `down`, the database and the process
    kinds (no envelope) never take stream or toxicity."""
    if pin is not None:
        toxic, target = pin.toxic, pin.target
    else:
        toxic = draw(st.sampled_from(kinds if kinds is not None else SCHEDULE_TOXICS))
        target = draw(st.sampled_from(targets_of(KINDS[toxic].targets)))  # the kind's own targets
    at = draw(st.just(0.0) | quarters)  # half the faults are on from the start
    until = draw(st.none() | st.integers(1, 8).map(lambda q: at + q / 4))
    flap = draw(st.none() | st.builds(Flap, period=st.sampled_from((1.0, 0.5)), duty=st.sampled_from((0.5, 0.25))))
    if flap is not None and until is None:
        until = at + 2.0  # a flap needs an end; the workload's length is unknown (count-only steps)
    extra: dict[str, Any] = {}
    main = KINDS[toxic].main_attribute
    if main is not None:
        extra["attributes"] = {main.name: draw(st.sampled_from(main.search))}
    if KINDS[toxic].takes_envelope():
        extra["stream"] = pin.stream if pin is not None and pin.stream else draw(st.sampled_from(STREAMS))
    return Fault(at=at, until=until, target=target, toxic=toxic, flap=flap, **extra)


def explore_tables() -> tuple[str, ...]:
    """The active project's tables, the built-in example's in the order its schedules were always drawn in
    (user_challenges, then profiles: a --seed draws the same schedules as before projects)."""
    known = known_tables()
    first = tuple(t for t in ("user_challenges", "profiles") if t in known)
    return (*first, *(t for t in known if t not in first))


@st.composite
def op_steps(draw: Draw) -> Step:
    tables = explore_tables()
    mt5 = ("assign_mt5",) if "user_challenges" in tables else ()  # the example app's flow, on its table
    op = draw(st.sampled_from(("load", "create", "update", *mt5)))
    table = "user_challenges" if op == "assign_mt5" else draw(st.sampled_from(tables))
    return Step.model_validate(
        {
            "op": op,
            "table": table,
            "count": draw(st.integers(1, MAX_COUNT)),
            "concurrency": draw(st.integers(1, 8)),
            "rate": draw(st.none() | st.sampled_from((4.0, 10.0))),
            "source": draw(st.none() | st.sampled_from(known_sources())) if op in ("update", "assign_mt5") else None,
        }
    )


pauses = st.integers(1, 4).map(lambda q: Step(op="pause", duration=q / 4))
groups = st.builds(Group, parallel=st.lists(op_steps(), min_size=2, max_size=2))


def _writes(workload: Workload) -> bool:
    """A pinned schedule writes during its fault: a load alone tells little of a fault. (This also keeps
    Hypothesis' first, simplest example, a single load, out: so a pinned round draws at random from its seed.)"""
    return any(step.op in ("create", "update", "assign_mt5") for step in workload.all_steps())


def _not_only_pauses(steps: list[Step | Group]) -> bool:
    return any(not (isinstance(s, Step) and s.op == "pause") for s in steps)


def workloads(paced: bool = True) -> st.SearchStrategy[Workload]:
    """`paced=False`: no pauses and no rates, every operation as fast as it goes (in-memory harnesses)."""
    items = st.one_of(op_steps(), pauses, groups) if paced else st.one_of(op_steps(), groups)
    steps = st.lists(items, min_size=1, max_size=MAX_STEPS).filter(_not_only_pauses)
    if not paced:
        steps = steps.map(lambda found: [_unpaced(s) for s in found])
    return st.builds(Workload, parallel=st.just(False) | st.just(True), steps=steps)


def _unpaced(item: Step | Group) -> Step | Group:
    if isinstance(item, Group):
        return Group(parallel=tuple(s.model_copy(update={"rate": None}) for s in item.parallel))
    return item.model_copy(update={"rate": None})


def seed_counts() -> st.SearchStrategy[dict[str, int]]:
    """Seed rows per source of the active project (read when drawn: `--project` chooses it after import)."""
    return st.fixed_dictionaries({source: st.integers(0, MAX_SEED_ROWS) for source in known_sources()})


def _one_exclusive_per_target(drawn: list[Fault]) -> bool:
    """Two `down` windows (an exclusive kind) on one proxy could overlap, which a scenario file may not say.

    A filter (rather than `unique_by`, which redraws, or dropping repeats in a `map`) keeps each
    fault one span of choices that the shrinker can delete whole."""
    exclusive = [(f.toxic, f.target) for f in drawn if f.exclusive]
    return len(exclusive) == len(set(exclusive))


def _faults(pins: Pins | None) -> st.SearchStrategy[list[Fault]]:
    if pins is None:
        return st.lists(faults(), max_size=MAX_FAULTS).filter(_one_exclusive_per_target)
    # The pinned faults first, then drawn ones, leaving room for the pinned process fault.
    pinned = st.tuples(*(faults(pin=pair) for pair in pins.schedule))
    rest = st.lists(faults(), max_size=MAX_FAULTS - len(pins.pairs))
    both = st.tuples(pinned, rest).map(lambda drawn: [*drawn[0], *drawn[1]])
    return both.filter(_one_exclusive_per_target)


@st.composite
def explore_scenarios(
    draw: Draw,
    client: str = "reference",
    op_deadline_s: float = OP_DEADLINE_S,
    paced: bool = True,
    pins: Pins | None = None,
) -> Scenario:
    """A runnable schedule for `client`; `expect` is left empty (the explorer's invariants judge it).
    `pins`: it carries those pairs (a stratified schedule, `stratified_plan`), the rest drawn as usual."""
    rows: dict[TableName, dict[str, int]] = {table: draw(seed_counts()) for table in explore_tables()}
    link_faults = draw(_faults(pins))
    workload = draw(workloads(paced) if pins is None else workloads(paced).filter(_writes))
    if pins is not None and pins.process is not None:
        process_faults = [draw(faults(pin=pins.process))]
    else:
        room = min(1, MAX_FAULTS - len(link_faults))
        process_faults = draw(st.lists(faults(PROCESS_TOXICS), max_size=room))  # last: older draws are unchanged
    return Scenario(
        name="explore",
        description="A schedule drawn by `fallback-harness explore`.",
        seed=SeedSpec.model_validate(rows),
        client=client,
        faults=(*link_faults, *process_faults),
        workload=workload,
        op_deadline=op_deadline_s,
    )


def scenario_client(name: str) -> str:
    """What a saved scenario's `client` can say: the client's own name when a scenario file accepts it."""
    try:
        return Scenario.model_validate(
            {"name": "x", "description": "", "client": name, "workload": {"steps": [{"op": "load", "count": 1}]}}
        ).client
    except ValueError:
        return "reference"


def stratified_scenarios(
    client: str = "reference", op_deadline_s: float = OP_DEADLINE_S, paced: bool = True
) -> tuple[st.SearchStrategy[Scenario], ...]:
    """One strategy per schedule of `stratified_plan()`, for a search's first schedules (`Search(stratified=)`)."""
    return tuple(explore_scenarios(client, op_deadline_s, paced, pins) for pins in stratified_plan())
