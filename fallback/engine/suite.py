"""Running a set of scenarios, each for each of its clients, into one `RunRecord`.

The stack is started if none is up and stopped at the end if this run started it. Progress
is reported through a callback (the CLI draws it with rich; tests collect it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fallback.engine.run import run_client
from fallback.report import ClientRun, RunRecord, ScenarioRun, git_commit, machine_info, new_run_id
from fallback.scenario import Scenario
from fallback.stack import stack as stack_lib
from fallback.stack.state import StackState


@dataclass(frozen=True)
class Progress:
    scenario: str
    client: str
    index: int
    total: int
    result: ClientRun | None
    """None when the run is starting, the result when it has ended."""


ProgressCallback = Callable[[Progress], None]


def clients_for(scenario: Scenario, override: Sequence[str] | None) -> tuple[str, ...]:
    """The scenario's own clients, or those asked for on the command line (`both` = reference + spec)."""
    if not override:
        return scenario.clients()
    expanded: list[str] = []
    for name in override:
        expanded += ["reference", "spec"] if name == "both" else [name]
    return tuple(dict.fromkeys(expanded))


async def run_scenarios(
    scenarios: Sequence[Scenario],
    state: StackState,
    *,
    clients: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    op_deadline_s: float | None = None,
) -> RunRecord:
    started = datetime.now(UTC)
    plan = [(scenario, client) for scenario in scenarios for client in clients_for(scenario, clients)]
    results: dict[str, list[ClientRun]] = {s.name: [] for s in scenarios}
    for index, (scenario, client) in enumerate(plan, start=1):
        if progress:
            progress(Progress(scenario.name, client, index, len(plan), None))
        result = await run_client(scenario, client, state, op_deadline_s=op_deadline_s)
        results[scenario.name].append(result)
        if progress:
            progress(Progress(scenario.name, client, index, len(plan), result))
    return RunRecord(
        run_id=new_run_id(started),
        started_at=started,
        finished_at=datetime.now(UTC),
        git_commit=git_commit(),
        machine=machine_info(),
        scenarios=tuple(
            ScenarioRun(name=s.name, file=s.file, description=s.description, clients=tuple(results[s.name]))
            for s in scenarios
        ),
    )


def run_suite(
    scenarios: Sequence[Scenario],
    options: stack_lib.StackOptions,
    *,
    clients: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    op_deadline_s: float | None = None,
) -> RunRecord:
    """Bring the stack up if needed, run everything, bring it down if this call started it."""
    with stack_lib.running_stack(options) as state:
        return asyncio.run(
            run_scenarios(scenarios, state, clients=clients, progress=progress, op_deadline_s=op_deadline_s)
        )
