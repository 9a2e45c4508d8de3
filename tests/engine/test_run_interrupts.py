"""`fallback-harness run` interrupted: Ctrl-C writes the partial report and exits 130; after a `kill -9`
the faults it left on are cleared by the next run's fresh-stack step (issue 12, rough edges)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fallback.engine.run import run_client_observed
from fallback.scenario import load_scenario
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.stack
QUICK = """name: a-quick
description: one load with nothing broken
seed: {user_challenges: {PRIMARY: 3, BOLT: 2, OLD: 1}}
workload: {steps: [{op: load, count: 1}]}
expect: {merged_count: 6, source_counts: {PRIMARY: 3, BOLT: 2, OLD: 1}, degraded: false}
"""
LONG = """name: b-long-faulty
description: PRIMARY down and BOLT slow while loads run for 60 s
seed: {user_challenges: {PRIMARY: 3, BOLT: 2, OLD: 1}}
faults:
  - {at: 0s, target: PRIMARY.api, toxic: down}
  - {at: 0s, target: BOLT.api, toxic: latency, attributes: {latency: 200}}
workload: {steps: [{op: load, rate: 5/s, duration: 60s}]}
"""


def _scenarios(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "a-quick.yaml").write_text(QUICK)
    (folder / "b-long-faulty.yaml").write_text(LONG)
    return folder


def _faults_on(toxics: Toxiproxy) -> bool:
    proxies = toxics.proxies()
    return not proxies["PRIMARY.api"]["enabled"] and bool(proxies["BOLT.api"]["toxics"])


def _clean(toxics: Toxiproxy) -> bool:
    return all(p["enabled"] and not p["toxics"] for p in toxics.proxies().values())


def _run_until_faults_are_on(stack: StackState, tmp_path: Path, toxics: Toxiproxy) -> subprocess.Popen[bytes]:
    """`fallback-harness run` on both scenarios, returned once the long one has its faults applied."""
    argv = [
        sys.executable,
        "-m",
        "fallback",
        "run",
        str(_scenarios(tmp_path)),
        "--client",
        "reference",
        "--state-dir",
        stack.state_dir,
        "--report-dir",
        str(tmp_path / "reports"),
    ]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not _faults_on(toxics):
        assert child.poll() is None and time.monotonic() < deadline, "the long scenario never applied its faults"
        time.sleep(0.1)
    time.sleep(1.0)  # a few operations into the long scenario
    return child


def test_ctrl_c_writes_the_partial_report_and_exits_130(stack: StackState, toxics: Toxiproxy, tmp_path: Path) -> None:
    child = _run_until_faults_are_on(stack, tmp_path, toxics)
    child.send_signal(signal.SIGINT)
    output, _ = child.communicate(timeout=30)
    text = output.decode()
    assert child.returncode == 130, text
    assert "interrupted: faults cleared, partial report written to" in text
    record = json.loads((tmp_path / "reports" / "latest" / "report.json").read_text())
    runs = {s["name"]: s["clients"] for s in record["scenarios"]}
    assert [r["verdict"] for r in runs["a-quick"]] == ["pass"]
    (cut,) = runs["b-long-faulty"]
    assert cut["verdict"] == "error" and "interrupted" in cut["error"]
    assert _clean(toxics), toxics.proxies()


def test_faults_left_by_a_killed_run_are_cleared_by_the_next_run(
    stack: StackState, toxics: Toxiproxy, tmp_path: Path
) -> None:
    child = _run_until_faults_are_on(stack, tmp_path, toxics)
    child.kill()  # kill -9: no `finally` runs, the faults stay on
    child.communicate(timeout=30)
    assert _faults_on(toxics), toxics.proxies()
    quick = load_scenario(tmp_path / "scenarios" / "a-quick.yaml")
    observed = asyncio.run(run_client_observed(quick, "reference", stack))
    assert observed.run.verdict == "pass", (observed.run.error, [e for e in observed.run.expectations if not e.passed])
    assert _clean(toxics), toxics.proxies()
