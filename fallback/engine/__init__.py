"""The scenario engine: one module per phase (faults, workload, observe, expect), one run session.

    async with RunSession(state, SessionPlan(client="reference", op_deadline_s=5)) as session:
        await session.drive(session.runner.run(workload))

`session` owns every step of a run and every cleanup (fresh stack, client, fault timeline, process
watch, settle, final tables); `run` judges a scenario with it, `suite` runs many; drills
(`fallback.drill`) and the explorer (`fallback.explore`) use the same session.
"""

from fallback.engine.liveness import DeadProcess, ProcessDied
from fallback.engine.observe import Clock, captured_client_logs, client_run
from fallback.engine.run import ObservedRun, check_scenario, run_client, run_client_observed, write_ops
from fallback.engine.session import RunSession, SessionPlan, refuse_writes
from fallback.engine.suite import Progress, SuiteInterrupted, SuiteRun, run_scenarios, run_suite

__all__ = [
    "Clock",
    "DeadProcess",
    "ObservedRun",
    "ProcessDied",
    "Progress",
    "RunSession",
    "SessionPlan",
    "SuiteInterrupted",
    "SuiteRun",
    "captured_client_logs",
    "check_scenario",
    "client_run",
    "refuse_writes",
    "run_client",
    "run_client_observed",
    "run_scenarios",
    "run_suite",
    "write_ops",
]
