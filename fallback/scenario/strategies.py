"""Hypothesis strategies for `Scenario` objects (needs the `dev` extra: hypothesis).

Every scenario drawn is valid: the round-trip test dumps it to YAML and loads it back, and
the explorer will draw fault timelines from `scenarios()`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import assume
from hypothesis import strategies as st
from pydantic import ValidationError

from fallback.faults import KINDS, targets_of
from fallback.scenario._types import (
    CLIENT_OPS,
    STREAMS,
    TOXIC_ATTRIBUTES,
    TOXICS,
    known_sources,
    known_tables,
)
from fallback.scenario.expect import AvailabilityExpect, Bound, ErrorExpect, Expect, LatencyExpect
from fallback.scenario.faults import Fault, Flap
from fallback.scenario.model import Scenario
from fallback.scenario.workload import Group, Step, Workload

Draw = Any

durations = st.one_of(
    st.integers(0, 120_000).map(lambda ms: ms / 1000),
    st.floats(0, 600, allow_nan=False, allow_infinity=False),
)
"""Within `limits.MAX_DURATION_S` however four steps add up."""
positive_durations = durations.filter(lambda s: s > 0)
rates = st.one_of(st.integers(1, 500).map(float), st.floats(0.01, 1000, allow_nan=False))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


def _most(toxic: str, attribute: str) -> int:
    """The largest value drawn for an attribute: its own maximum, else 100 000."""
    maximum = next(a.maximum for a in KINDS[toxic].attributes if a.name == attribute)
    return int(maximum) if maximum is not None else 100_000


@st.composite
def faults(draw: Draw) -> Fault:
    toxic = draw(st.sampled_from(TOXICS))
    required, optional = TOXIC_ATTRIBUTES[toxic]
    names = [*required, *draw(st.lists(st.sampled_from(optional), unique=True))] if optional else [*required]
    at = draw(durations)
    until = draw(st.none() | durations.map(lambda d: at + d + 0.001))
    extra: dict[str, Any] = {}
    kind = KINDS[toxic]
    if kind.takes_envelope():
        extra["stream"] = draw(st.sampled_from(STREAMS))
        extra["toxicity"] = draw(st.floats(0, 1))
    flap = draw(st.none() | st.builds(Flap, period=positive_durations, duty=st.floats(0.01, 0.99)))
    choices = {a.name: a.choices or a.allowed for a in kind.attributes if a.choices or a.allowed}
    return Fault(
        at=at,
        until=until,
        target=draw(st.sampled_from(targets_of(kind.targets))),
        toxic=toxic,
        attributes={
            name: draw(st.sampled_from(choices[name]) if name in choices else st.integers(0, _most(toxic, name)))
            for name in names
        },
        flap=flap,
        **extra,
    )


@st.composite
def steps(draw: Draw) -> Step:
    op = draw(st.sampled_from(("load", "create", "update", "assign_mt5", "pause", "resolve_pending")))
    if op == "pause":
        return Step(op=op, duration=draw(positive_durations))
    if op == "resolve_pending":
        return Step(op=op)
    table = "user_challenges" if op == "assign_mt5" else draw(st.sampled_from(known_tables()))
    amount = draw(st.sampled_from(("count", "duration")))
    try:
        return _step(draw, op, table, amount)
    except ValidationError:  # rate × duration over `limits.MAX_COUNT`: draw again
        assume(False)
        raise


def _step(draw: Draw, op: str, table: str, amount: str) -> Step:
    return Step.model_validate(
        {
            "op": op,
            "table": table,
            "count": draw(st.integers(1, 1000)) if amount == "count" else None,
            "duration": draw(positive_durations) if amount == "duration" else None,
            "rate": draw(st.none() | rates),
            "concurrency": draw(st.integers(1, 16)),
            "source": draw(st.none() | st.sampled_from(known_sources())) if op in ("update", "assign_mt5") else None,
        }
    )


@st.composite
def workloads(draw: Draw) -> Workload:
    items = st.lists(steps() | st.builds(Group, parallel=st.lists(steps(), min_size=1, max_size=3)), max_size=4)
    try:
        return Workload(parallel=draw(st.booleans()), steps=draw(items.filter(bool)))
    except ValidationError:  # over a limit (workers, planned length): draw again
        assume(False)
        raise


source_names = st.just(()).flatmap(lambda _: st.sampled_from(known_sources()))
"""The active project's sources, read at each draw (not at import: `--project` chooses the project later)."""
table_names = st.just(()).flatmap(lambda _: st.sampled_from(known_tables()))
ops = st.sampled_from(CLIENT_OPS)
bounds = st.none() | st.builds(Bound, max=st.floats(0.1, 1e6))

expects = st.builds(
    Expect,
    merged_count=st.none() | st.integers(0, 10_000),
    source_counts=st.none() | st.dictionaries(source_names, st.integers(0, 1000)),
    degraded=st.none() | st.booleans(),
    stale=st.none() | st.booleans(),
    log_contains=st.lists(texts, max_size=3),
    writes_landed_in=st.none() | st.lists(source_names, min_size=1, max_size=3, unique=True),
    no_lost_writes=st.none() | st.booleans(),
    no_duplicates=st.none() | st.booleans(),
    no_misrouted_updates=st.none() | st.booleans(),
    error=st.lists(
        st.builds(ErrorExpect, op=ops, kind=st.sampled_from(("all_failed", "timeout", "http_503:PGRST001")))
    ),
    latency_ms=st.lists(
        st.builds(LatencyExpect, op=ops, p50=bounds, p95=bounds, p99=st.builds(Bound, max=st.floats(0.1, 1e6)))
    ),
    availability=st.lists(st.builds(AvailabilityExpect, op=ops, min=st.floats(0, 1)), max_size=2),
)


@st.composite
def scenarios(draw: Draw) -> Scenario:
    client = draw(st.sampled_from(("both", "reference", "spec", "tests.fake_clients:make")))
    data = {
        "name": draw(st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)),
        "description": draw(texts),
        "seed": draw(st.dictionaries(table_names, st.dictionaries(source_names, st.integers(0, 500)))),
        "client": client,
        "faults": draw(st.lists(faults(), max_size=4)),
        "workload": draw(workloads()),
        "expect": draw(expects),
        "spec_expect": draw(st.none() | expects) if client in ("both", "spec") else None,
    }
    try:
        return Scenario(**data)
    except ValidationError:  # a cross-field rule (a flap without an end, overlapping downs): draw again
        assume(False)
        raise
