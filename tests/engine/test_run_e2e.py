"""End to end on the real stack: shipped scenarios for both clients, the four report files, the
schema, the exit codes of `fallback-harness run`, and no toxic left behind."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.engine.suite import run_scenarios
from fallback.report import write_report
from fallback.scenario import load_scenarios
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["spec-test-1-primary-down", "reply-lost-after-commit", "update-while-source-down"]


def test_shipped_scenarios_pass_and_write_valid_reports(stack: StackState, toxics: Toxiproxy, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    scenarios = load_scenarios(
        [ROOT / "examples" / "triple-fallback" / "scenarios" / f"{name}.yaml" for name in SHIPPED]
    )
    record = asyncio.run(run_scenarios(scenarios, stack))
    verdicts = {(s.name, c.client): c.verdict for s in record.scenarios for c in s.clients}
    assert verdicts == {(name, client): "pass" for name in SHIPPED for client in ("reference", "spec")}, [
        (s.name, c.client, [e for e in c.expectations if not e.passed], c.error)
        for s in record.scenarios
        for c in s.clients
        if c.verdict != "pass"
    ]
    # The spec-faithful client writes the purchase twice when the reply is lost; the report says which promise broke.
    lost_reply = next(s for s in record.scenarios if s.name == "reply-lost-after-commit")
    spec_run = lost_reply.client("spec")
    assert spec_run is not None and spec_run.checker is not None
    assert spec_run.checker.of_kind("duplicate_write")
    assert [c.name for c in spec_run.broken_claims()] == ["no_duplicates"]
    reference = lost_reply.client("reference")
    assert reference is not None and reference.checker is not None and reference.checker.valid

    run_dir = write_report(record, tmp_path)
    assert {p.name for p in run_dir.iterdir()} >= {"report.json", "report.md", "report.html", "junit.xml"}
    schema = json.loads((ROOT / "reports" / "schema.json").read_text())
    jsonschema.validate(json.loads((run_dir / "report.json").read_text()), schema)
    suites = ET.parse(run_dir / "junit.xml").getroot()
    assert suites.iter("testcase")
    assert (tmp_path / "latest").resolve() == run_dir.resolve()
    # Every fault was removed at the end of every run.
    proxies = toxics.proxies()
    assert all(p["enabled"] and not p["toxics"] for p in proxies.values()), proxies


def test_run_exits_1_when_an_expectation_fails_and_2_on_bad_input(stack: StackState, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "name: wrong-count\ndescription: expects a count the seed cannot give\nclient: reference\n"
        "seed: {user_challenges: {PRIMARY: 2, BOLT: 1, OLD: 1}}\n"
        "workload: {steps: [{op: load, count: 1}]}\nexpect: {merged_count: 5}\n"
    )
    args = ["--state-dir", stack.state_dir, "--report-dir", str(tmp_path / "reports")]
    failed = CliRunner().invoke(app, ["run", str(wrong), *args])
    assert failed.exit_code == 1, failed.output
    assert "| merged_count | 5 | 4 |" in (tmp_path / "reports" / "latest" / "report.md").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: broken\ndescription: x\nworkload: {steps: [{op: lod, count: 1}]}\n")
    invalid = CliRunner().invoke(app, ["run", str(broken), *args])
    assert invalid.exit_code == 2 and "broken.yaml:3" in invalid.output and "lod" in invalid.output
