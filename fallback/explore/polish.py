"""Smaller neighbours of a schedule, for a last deletion pass after Hypothesis has shrunk it.

Hypothesis' shrinker works on the choices behind a scenario and does not always delete a whole
fault or step (it can stall with a harmless `PRIMARY.api down` beside the one fault that
matters), and a search budget can cut shrinking short. This pass tries, on the scenario
itself: each fault removed, each step removed, a group replaced by one of its steps, one
operation and one worker per step; the search keeps a neighbour only if it confirms the failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from fallback.scenario import Group, Scenario, Step, scenario_data


def _with(scenario: Scenario, **changes: Any) -> Scenario | None:
    data = scenario_data(scenario)
    data.update(changes)
    try:
        return Scenario.model_validate(data)
    except ValidationError:
        return None


def _dump(item: Step | Group) -> dict[str, Any]:
    return item.model_dump(mode="json", exclude_defaults=True)


def _simpler_steps(item: Step | Group) -> Iterator[Step | Group | dict[str, Any]]:
    """Simpler versions of one workload item (a group's members alone, one op, one worker)."""
    if isinstance(item, Group):
        yield from item.parallel
        return
    if item.op in ("pause", "resolve_pending"):
        return
    if item.count is not None and item.count > 1:
        yield {**_dump(item), "count": 1}
    if item.concurrency > 1:
        yield {**_dump(item), "concurrency": 1}
    if item.rate is not None:
        yield {key: value for key, value in _dump(item).items() if key != "rate"}
    if item.op in ("update", "assign_mt5") and item.source is not None:
        yield {key: value for key, value in _dump(item).items() if key != "source"}


def smaller(scenario: Scenario) -> Iterator[Scenario]:
    """Valid neighbours with fewer faults, steps, operations or workers, smallest changes last."""
    faults = [f.model_dump(mode="json", exclude_defaults=True) for f in scenario.faults]
    steps = [_dump(s) for s in scenario.workload.steps]
    workload = scenario.workload.model_dump(mode="json", exclude_defaults=True)
    candidates: list[Scenario | None] = []
    for i in range(len(faults)):
        candidates.append(_with(scenario, faults=faults[:i] + faults[i + 1 :]))
    for i in range(len(steps) if len(steps) > 1 else 0):
        candidates.append(_with(scenario, workload={**workload, "steps": steps[:i] + steps[i + 1 :]}))
    for i, item in enumerate(scenario.workload.steps):
        for simpler in _simpler_steps(item):
            replaced = simpler if isinstance(simpler, dict) else _dump(simpler)
            candidates.append(_with(scenario, workload={**workload, "steps": [*steps[:i], replaced, *steps[i + 1 :]]}))
    if scenario.workload.parallel:
        candidates.append(_with(scenario, workload={**workload, "parallel": False}))
    yield from (c for c in candidates if c is not None and c != scenario)
