"""Running one scenario for one client: a `RunSession` (fresh seed, the fault timeline beside the
workload, every cleanup) and then the verdict: the history checked, the expectations evaluated.

A run that breaks is an `error` verdict, never an exception. When the stack breaks under it (a
process killed), what was observed until then stays in the record.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from fallback.engine.expect import evaluate
from fallback.engine.expect_windows import Timeline
from fallback.engine.fresh import Reuse
from fallback.engine.observe import Observation
from fallback.engine.session import WRITE_OPS, RunSession, SessionPlan, refuse_writes
from fallback.engine.steps import StepTimes
from fallback.project import active
from fallback.report import ClientRun, Expectation, Verdict
from fallback.scenario import Scenario
from fallback.stack.seed import SeedPlan
from fallback.stack.state import StackState


@dataclass(frozen=True)
class ObservedRun:
    """A client run with what it was judged on: the observation (history, final rows, logs) is None
    when the run broke before the databases could be read (then `run.verdict` is `error`)."""

    run: ClientRun
    observation: Observation | None
    times: StepTimes | None = None
    """Seconds per step (`fallback.engine.steps`); None when the run broke before its session started."""


def write_ops(scenario: Scenario) -> tuple[str, ...]:
    """The writing operations among the scenario's steps (refused on read-only external projects)."""
    return tuple(sorted({s.op for s in scenario.workload.all_steps() if s.op in WRITE_OPS}))


def check_scenario(scenario: Scenario, state: StackState) -> None:
    """Refuse a scenario that writes on external projects whose config does not allow writes."""
    refuse_writes(state, write_ops(scenario), f"scenario {scenario.name}")


async def run_client(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    *,
    op_deadline_s: float | None = None,
    seed: int = 0,
) -> ClientRun:
    """Run `scenario` for one client; a run that breaks is an `error` verdict, never an exception."""
    return (await run_client_observed(scenario, client_name, state, op_deadline_s=op_deadline_s, seed=seed)).run


async def run_client_observed(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    *,
    op_deadline_s: float | None = None,
    seed: int = 0,
    reuse: Reuse | None = None,
) -> ObservedRun:
    """`run_client`, also returning the `Observation` (for judges beyond the scenario's `expect`);
    `reuse`: what the runs of a session share (see `RunSession`)."""
    started = time.monotonic()
    try:
        return await _run_client(scenario, client_name, state, op_deadline_s, seed, reuse)
    except Exception as exc:
        run = ClientRun(
            client=client_name,
            verdict="error",
            error=f"{type(exc).__name__}: {exc}",
            duration_s=time.monotonic() - started,
        )
        return ObservedRun(run, None)


async def _run_client(
    scenario: Scenario,
    client_name: str,
    state: StackState,
    op_deadline_s: float | None,
    seed: int,
    reuse: Reuse | None,
) -> ObservedRun:
    plan = SessionPlan(
        client=client_name,
        op_deadline_s=op_deadline_s or scenario.op_deadline,
        windows=scenario.fault_windows(),
        seed_rows=SeedPlan(
            counts=scenario.seed.counts,
            files={s: scenario.seed.files_for(s, active().root) for s in active().source_names},
        ),
        writes=write_ops(scenario),
        label=f"scenario {scenario.name}",
        auth=scenario.auth,
        workload_seed=seed,
    )
    async with RunSession(state, plan, reuse=reuse) as session:
        await session.drive(session.runner.run(scenario.workload))
    seen, checked = session.observation(), session.checked()
    if checked is None:  # the stack broke under the run and its tables could not be read
        return ObservedRun(session.client_run(session.applied_faults(), verdict="error"), None, session.times)
    judged_by = scenario.expect_for(client_name)
    timeline = Timeline.of(scenario.faults, plan.windows)
    outcomes = evaluate(judged_by, seen, checked, timeline)
    claims = evaluate(scenario.expect, seen, checked, timeline) if judged_by is not scenario.expect else []
    verdict: Verdict = "error" if session.error else ("pass" if all(o.passed for o in outcomes) else "fail")
    run = session.client_run(
        session.applied_faults(),
        verdict=verdict,
        expectations=tuple(Expectation(**vars(o)) for o in outcomes),
        claims=tuple(Expectation(**vars(o)) for o in claims),
        checker=checked,
    )
    return ObservedRun(run, seen, session.times)
