"""A sample run record, built the way the engine builds one: two scenarios, two clients, one
failing expectation, one checker violation, one client that errored."""

from __future__ import annotations

from datetime import UTC, datetime

from fallback.checker import CheckResult, FinalData, check
from fallback.history import History, SourceCall, op_marker
from fallback.report import (
    ClientRun,
    Expectation,
    FaultSpan,
    LatencyPoint,
    MachineInfo,
    RunRecord,
    ScenarioRun,
)

TABLE = "user_challenges"


def lost_write_check() -> tuple[History, CheckResult]:
    history = History()
    op_id = history.new_op_id()
    invoke = history.invoke(
        process=0, client="spec", op="create", table=TABLE, time_s=1.0, op_id=op_id, marker=op_marker(op_id)
    )
    history.complete(
        invoke,
        "ok",
        time_s=1.2,
        source="BOLT",
        row_id="row-1",
        calls=(SourceCall(source="PRIMARY", kind="refused"), SourceCall(source="BOLT", kind="ok")),
    )
    final: FinalData = {"PRIMARY": {TABLE: []}, "BOLT": {TABLE: []}, "OLD": {TABLE: []}}
    return history, check(history, final)


def latency(points: int, fail_from: float, fail_to: float) -> tuple[LatencyPoint, ...]:
    samples = []
    for i in range(points):
        t = i * 0.1
        failed = fail_from <= t < fail_to
        op = ("load", "create", "assign_mt5")[i % 3]
        samples.append(
            LatencyPoint(
                t_offset_s=t, op=op, latency_ms=7000.0 if failed else 20.0 + i % 7, outcome="fail" if failed else "ok"
            )
        )
    samples.append(LatencyPoint(t_offset_s=2.5, op="create", latency_ms=6000.0, outcome="indeterminate"))
    return tuple(samples)


def sample_run() -> RunRecord:
    _, spec_check = lost_write_check()
    faults = (
        FaultSpan(start_s=0.0, end_s=5.0, target="PRIMARY.api", toxic="down"),
        FaultSpan(start_s=1.0, end_s=None, target="BOLT.db", toxic="latency"),
    )
    reference = ClientRun(
        client="reference",
        verdict="pass",
        duration_s=6.2,
        expectations=(
            Expectation(name="merged_count", expected="40", observed="40", passed=True),
            Expectation(
                name="source_counts", expected="PRIMARY: 0, BOLT: 25", observed="PRIMARY: 0, BOLT: 25", passed=True
            ),
        ),
        checker=check(History(), {}),
        latency=latency(60, 0.0, 5.0),
        faults=faults,
        success_rate={"PRIMARY": 0.25, "BOLT": 1.0, "OLD": None},
        fallback_frequency={"writes_to_BOLT": 0.8, "writes_to_OLD": 0.0, "loads_without_PRIMARY": 0.5},
        distribution={"PRIMARY": {TABLE: 45, "profiles": 50}, "BOLT": {TABLE: 30, "profiles": 30}, "OLD": {TABLE: 15}},
        logs=(" PRIMARY Database error: Failed to fetch", "✅ BOLT Database: Found 25 challenges", "bad\x07char <b>"),
    )
    spec = ClientRun(
        client="spec",
        verdict="fail",
        duration_s=8.0,
        expectations=(
            Expectation(name="merged_count", expected="40", observed="40", passed=True),
            Expectation(name="no_lost_writes", expected="holds", observed="create op 1 lost | <gone>", passed=False),
        ),
        checker=spec_check,
        latency=latency(40, 1.0, 2.0),
        faults=faults,
        success_rate={"PRIMARY": 0.0, "BOLT": 0.9, "OLD": 1.0},
        distribution={"PRIMARY": {TABLE: 45}, "BOLT": {TABLE: 25}, "OLD": {TABLE: 15}},
    )
    broken = ClientRun(client="spec", verdict="error", error="TimeoutError: the stack did not answer\nTraceback ...")
    return RunRecord(
        run_id="20261125T090000Z-abcd",
        started_at=datetime(2026, 11, 25, 9, 0, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 25, 9, 1, 30, tzinfo=UTC),
        git_commit="0123456789abcdef0123456789abcdef01234567",
        machine=MachineInfo(hostname="ci-box", platform="Linux-6.1-x86_64", python="3.11.7", cpus=2),
        scenarios=(
            ScenarioRun(
                name="primary-api-down",
                file="scenarios/primary_api_down.yaml",
                description="PRIMARY refuses connections for 5 s <& friends>.",
                clients=(reference, spec),
            ),
            ScenarioRun(name="stack-broke", description="an errored run", clients=(broken,)),
        ),
    )
