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

from typing import Any

from hypothesis import strategies as st

from fallback.explore.options import OP_DEADLINE_S
from fallback.faults import EXPLORED, KINDS, targets_of
from fallback.scenario import SOURCES, Fault, Flap, Group, Scenario, Step, Workload

Draw = Any
EXPLORE_TOXICS: tuple[str, ...] = tuple(kind.name for kind in EXPLORED)
"""What the explorer injects, simplest first (the registry leaves out `slicer`: it only re-chunks a stream)."""
MAX_STEPS = 3
MAX_COUNT = 4
MAX_FAULTS = 3
MAX_SEED_ROWS = 5

quarters = st.integers(0, 8).map(lambda q: q / 4)
"""0 s to 2 s in 250 ms steps."""


@st.composite
def faults(draw: Draw) -> Fault:
    """One deterministic fault on any link; `down` (no envelope) never takes stream or toxicity."""
    toxic = draw(st.sampled_from(EXPLORE_TOXICS))
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
        extra["stream"] = draw(st.sampled_from(("downstream", "upstream")))
    return Fault(at=at, until=until, target=target, toxic=toxic, flap=flap, **extra)


@st.composite
def op_steps(draw: Draw) -> Step:
    op = draw(st.sampled_from(("load", "create", "update", "assign_mt5")))
    table = "user_challenges" if op == "assign_mt5" else draw(st.sampled_from(("user_challenges", "profiles")))
    return Step.model_validate(
        {
            "op": op,
            "table": table,
            "count": draw(st.integers(1, MAX_COUNT)),
            "concurrency": draw(st.integers(1, 8)),
            "rate": draw(st.none() | st.sampled_from((4.0, 10.0))),
            "source": draw(st.none() | st.sampled_from(SOURCES)) if op in ("update", "assign_mt5") else None,
        }
    )


pauses = st.integers(1, 4).map(lambda q: Step(op="pause", duration=q / 4))
groups = st.builds(Group, parallel=st.lists(op_steps(), min_size=2, max_size=2))


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


seed_counts = st.fixed_dictionaries({source: st.integers(0, MAX_SEED_ROWS) for source in SOURCES})


def _one_exclusive_per_target(drawn: list[Fault]) -> bool:
    """Two `down` windows (an exclusive kind) on one proxy could overlap, which a scenario file may not say.

    A filter (rather than `unique_by`, which redraws, or dropping repeats in a `map`) keeps each
    fault one span of choices that the shrinker can delete whole."""
    exclusive = [(f.toxic, f.target) for f in drawn if f.exclusive]
    return len(exclusive) == len(set(exclusive))


def _faults() -> st.SearchStrategy[list[Fault]]:
    return st.lists(faults(), max_size=MAX_FAULTS).filter(_one_exclusive_per_target)


@st.composite
def explore_scenarios(
    draw: Draw, client: str = "reference", op_deadline_s: float = OP_DEADLINE_S, paced: bool = True
) -> Scenario:
    """A runnable schedule for `client`; `expect` is left empty (the explorer's invariants judge it)."""
    return Scenario(
        name="explore",
        description="A schedule drawn by `fallback-harness explore`.",
        seed={"user_challenges": draw(seed_counts), "profiles": draw(seed_counts)},
        client=client,
        faults=tuple(draw(_faults())),
        workload=draw(workloads(paced)),
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
