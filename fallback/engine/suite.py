"""Running a set of scenarios, each for each of its clients, into one `RunRecord`.

The stack is started if none is up and stopped at the end if this run started it. Progress
is reported through a callback (the CLI draws it with rich; tests collect it). A Ctrl-C ends
the run in progress (its faults cleared, its client closed) and raises `SuiteInterrupted` with
the record of what finished, so the caller can still write the report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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


class SuiteInterrupted(Exception):
    """Ctrl-C stopped the run; `record` holds every run that finished, and the one cut off as an `error`."""

    def __init__(self, record: RunRecord) -> None:
        super().__init__("interrupted")
        self.record = record


@dataclass
class SuiteRun:
    """The results so far: complete when `run_scenarios` returns, partial after an interrupt."""

    scenarios: Sequence[Scenario]
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    results: dict[str, list[ClientRun]] = field(default_factory=dict)

    def add(self, scenario: Scenario, run: ClientRun) -> None:
        self.results.setdefault(scenario.name, []).append(run)

    def record(self) -> RunRecord:
        """The run record; after an interrupt, the scenarios that did not start are left out."""
        ran = [s for s in self.scenarios if self.results.get(s.name)]
        return RunRecord(
            run_id=new_run_id(self.started),
            started_at=self.started,
            finished_at=datetime.now(UTC),
            git_commit=git_commit(),
            machine=machine_info(),
            scenarios=tuple(
                ScenarioRun(name=s.name, file=s.file, description=s.description, clients=tuple(self.results[s.name]))
                for s in ran
            ),
        )


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
    into: SuiteRun | None = None,
) -> RunRecord:
    """Every scenario for each of its clients, one after another; `into` collects the results as they come."""
    suite = into if into is not None else SuiteRun(scenarios)
    suite.results.update({s.name: [] for s in scenarios})
    plan = [(scenario, client) for scenario in scenarios for client in clients_for(scenario, clients)]
    for index, (scenario, client) in enumerate(plan, start=1):
        if progress:
            progress(Progress(scenario.name, client, index, len(plan), None))
        started = time.monotonic()
        try:
            result = await run_client(scenario, client, state, op_deadline_s=op_deadline_s)
        except asyncio.CancelledError:  # Ctrl-C: the session has cleared its faults; say which run was cut off
            cut = ClientRun(
                client=client,
                verdict="error",
                error="interrupted (Ctrl-C) before the run ended",
                duration_s=time.monotonic() - started,
            )
            suite.add(scenario, cut)
            raise
        suite.add(scenario, result)
        if progress:
            progress(Progress(scenario.name, client, index, len(plan), result))
    return suite.record()


def run_suite(
    scenarios: Sequence[Scenario],
    options: stack_lib.StackOptions,
    *,
    clients: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    op_deadline_s: float | None = None,
) -> RunRecord:
    """Bring the stack up if needed, run everything, bring it down if this call started it.

    Raises `SuiteInterrupted` (with the partial record) on Ctrl-C, after the stack is stopped."""
    suite = SuiteRun(scenarios)
    try:
        with stack_lib.running_stack(options) as state:
            return asyncio.run(
                run_scenarios(
                    scenarios, state, clients=clients, progress=progress, op_deadline_s=op_deadline_s, into=suite
                )
            )
    except KeyboardInterrupt:
        raise SuiteInterrupted(suite.record()) from None
