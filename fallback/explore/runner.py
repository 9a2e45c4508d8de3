"""Running one explored schedule on the stack and judging it by the client's invariants.

One event loop serves the whole search (`asyncio.Runner`); the stack is the caller's, started
once. Between examples the engine resets everything but the processes (see
`fallback.engine.run`): toxics, table contents, the client and its breakers and cache.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

from fallback.engine.fresh import Reuse
from fallback.engine.run import ObservedRun, check_scenario, run_client_observed
from fallback.engine.steps import Step, StepTimes
from fallback.explore.invariants import Limits, judge
from fallback.explore.outcomes import Judged
from fallback.explore.profiles import ClientProfile
from fallback.faults import Controls, reset_all
from fallback.report import ClientRun
from fallback.scenario import Scenario
from fallback.stack.external import WritesNotAllowed
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

WORKLOAD_SEED = 0
"""The workload's own random choices (row picked for an update, generated user ids): the seed
`fallback-harness run` uses, so a saved schedule replays the same choices."""


class StackRunner:
    """`runner(scenario) -> Judged`, for `Search`; use as a context manager (closes the loop, clears faults)."""

    def __init__(self, state: StackState, client: str, profile: ClientProfile) -> None:
        self.state = state
        self.client = client
        self.profile = profile
        self.refused: list[str] = []
        """Why schedules were refused (writes on read-only external projects): shown, never hidden."""
        self.times: list[StepTimes] = []
        """Seconds per step of every run (`explore --profile-steps`); `search` is the time since the previous run."""
        self.reuse = Reuse()
        """What the runs share: the fault families they applied (a run undoes those only; the first run and
        `close` undo every family) and the sources' introspected schemas. Each run builds its own client."""
        self._loop = asyncio.Runner()
        self._last_ended: float | None = None

    def _note_refusal(self, scenario: Scenario) -> None:
        try:
            check_scenario(scenario, self.state)
        except WritesNotAllowed as exc:
            self.refused.append(str(exc))  # the run itself is refused the same way: an `error`, not judged

    def __call__(self, scenario: Scenario) -> Judged:
        started = time.perf_counter()
        self._note_refusal(scenario)
        observed = self._loop.run(self._observed(scenario))
        times = observed.times or StepTimes()
        if self._last_ended is not None:
            times.add(Step.search, started - self._last_ended)
        self.times.append(times)
        try:
            run, seen = observed.run, observed.observation
            if run.verdict == "error" or seen is None or run.checker is None:
                return Judged(run=run, error=run.error or "the run did not complete")
            limits = Limits(scenario.op_deadline, self.profile.load_deadline_s)
            with times.timed(Step.judge):
                return Judged(judge(self.profile.invariants, seen, run.checker, limits), run)
        finally:
            self._last_ended = time.perf_counter()
            times.add(Step.other, self._last_ended - started - times.total_s + times.seconds.get(Step.search, 0.0))

    def replay(self, scenario: Scenario) -> ClientRun:
        """The scenario judged by its own `expect`, exactly as `fallback-harness run FILE` judges it."""
        self._note_refusal(scenario)
        return self._loop.run(self._observed(scenario)).run

    async def _observed(self, scenario: Scenario) -> ObservedRun:
        return await run_client_observed(scenario, self.client, self.state, seed=WORKLOAD_SEED, reuse=self.reuse)

    def close(self) -> None:
        try:
            self._loop.close()
        finally:
            # run_client clears its faults in `finally`; after a Ctrl-C at the wrong moment, make sure.
            with Toxiproxy(self.state.toxiproxy_url) as toxiproxy:
                reset_all(Controls.of_stack(toxiproxy, self.state))

    def __enter__(self) -> StackRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
