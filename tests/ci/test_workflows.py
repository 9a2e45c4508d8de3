"""The CI examples (examples/ci/): they parse, every harness command they call exists, and the shell
steps that run after `make run` (summary, keeping the last runs' report.json, the trend) do what the
workflow expects when run here on real report.json fixtures, with and without a report from this run."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB, GITLAB = ROOT / "examples/ci/github-actions.yml", ROOT / "examples/ci/gitlab-ci.yml"
FIXTURE = ROOT / "tests/report/fixtures/report-v2.json"
HARNESS = ROOT / ".venv/bin/fallback-harness"
AFTER_RUN = ("Summary", "Keep this run's report.json with the last runs'", "Trend over the kept runs")


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _github_steps() -> dict[str, dict[str, Any]]:
    job = _load(GITHUB)["jobs"]["scenarios"]
    return {step.get("name", step.get("uses", "")): step for step in job["steps"]}


def _scripts() -> list[str]:
    gitlab = _load(GITLAB)["resilience"]
    shell = [s["run"] for s in _github_steps().values() if "run" in s]
    return shell + gitlab["script"] + gitlab["after_script"]


def test_the_github_workflow_has_every_step_the_issue_asks_for() -> None:
    workflow = _load(GITHUB)
    assert set(workflow[True]) == {"push", "pull_request", "schedule"}  # YAML 1.1 reads the key `on` as True
    steps = _github_steps()
    assert steps["Run every scenario"]["run"].strip() == "make run"
    assert "GITHUB_STEP_SUMMARY" in steps["Summary"]["run"]
    assert steps["Publish JUnit"]["with"]["report_paths"] == "reports/latest/junit.xml"
    assert steps["Upload reports/"]["with"]["path"] == "reports/"
    kept = steps["Upload the kept runs"]["with"]
    assert kept["path"] == "${{ env.HISTORY_DIR }}/"
    after = list(steps)[list(steps).index("Run every scenario") + 1 :]
    assert all(steps[name].get("if", "").startswith("always()") for name in after)  # they run when it fails


def test_the_gitlab_job_keeps_reports_and_publishes_junit() -> None:
    job = _load(GITLAB)["resilience"]
    assert job["script"] == ["make run"]
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "reports/latest/junit.xml"
    assert {"reports/", ".report-history/"} <= set(job["artifacts"]["paths"])
    assert job["cache"]["paths"] == [".report-history/"]


def test_make_run_is_the_harness_run() -> None:
    dry = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert ".venv/bin/fallback-harness run" in dry.stdout


def _harness_commands() -> list[str]:
    """`report trend`: the subcommands after every `fallback-harness` in the workflows' shell."""
    return sorted({m.strip() for s in _scripts() for m in re.findall(r"fallback-harness ((?:[a-z]+ ?)+)", s)})


def test_the_workflows_call_the_trend() -> None:
    assert _harness_commands() == ["report trend"]


@pytest.mark.parametrize("command", _harness_commands())
def test_every_harness_command_called_exists(command: str) -> None:
    result = subprocess.run([str(HARNESS), *command.split(), "--help"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _workspace(tmp_path: Path, kept: int, with_report: bool) -> dict[str, str]:
    """A checkout after `make run`: reports/<run-id>/ and reports/latest (when `with_report`), `kept`
    earlier runs in .report-history/, the venv; returns the step environment."""
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for i in range(kept):
        run = tmp_path / ".report-history" / f"20260101T0000{i:02d}Z-0000"
        run.mkdir(parents=True)
        (run / "report.json").write_text(json.dumps(data | {"run_id": run.name}), encoding="utf-8")
    if with_report:
        run = tmp_path / "reports" / data["run_id"]
        run.mkdir(parents=True)
        (run / "report.json").write_text(json.dumps(data), encoding="utf-8")
        (run / "report.md").write_text("# this run's report.md\n", encoding="utf-8")
        (tmp_path / "reports/latest").symlink_to(data["run_id"])
    env = {k: str(v) for k, v in _load(GITHUB)["env"].items()} | {"KEEP_RUNS": "3"}
    return {**os.environ, **env, "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def _kept(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / ".report-history").iterdir())


def _bash(script: str, cwd: Path, env: dict[str, str]) -> None:
    # GitHub's `run` shell: bash --noprofile --norc -eo pipefail
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_github_steps_after_the_run_keep_the_newest_runs_and_write_the_trend(tmp_path: Path) -> None:
    env = _workspace(tmp_path, kept=3, with_report=True)
    steps = _github_steps()
    for name in AFTER_RUN:
        _bash(steps[name]["run"], tmp_path, env)
    this_run = json.loads(FIXTURE.read_text(encoding="utf-8"))["run_id"]
    assert _kept(tmp_path) == ["20260101T000001Z-0000", "20260101T000002Z-0000", this_run]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# this run's report.md\n")
    assert "# Fallback harness trend: 3 runs" in summary
    assert (tmp_path / "reports/trend/trend.html").is_file()


def test_the_github_steps_after_a_run_that_wrote_nothing(tmp_path: Path) -> None:
    env = _workspace(tmp_path, kept=0, with_report=False)
    steps = _github_steps()
    for name in AFTER_RUN:
        _bash(steps[name]["run"], tmp_path, env)
    assert "No report was written" in (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert _kept(tmp_path) == []
    assert not (tmp_path / "reports/trend").exists()


def test_the_gitlab_after_script_keeps_the_newest_runs_and_writes_the_trend(tmp_path: Path) -> None:
    env = _workspace(tmp_path, kept=4, with_report=True)
    job = _load(GITLAB)["resilience"]
    env |= {k: str(v) for k, v in _load(GITLAB)["variables"].items()} | {"KEEP_RUNS": "2"}
    for line in job["after_script"]:
        _bash(line, tmp_path, env)
    this_run = json.loads(FIXTURE.read_text(encoding="utf-8"))["run_id"]
    assert _kept(tmp_path) == ["20260101T000003Z-0000", this_run]
    assert "# Fallback harness trend: 2 runs" in (tmp_path / "reports/trend/trend.md").read_text(encoding="utf-8")
