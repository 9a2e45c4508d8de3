"""`explore` against read-only external projects: the runs it is refused (writes) are shown on the console
and in report.md, and the exploration does not exit 0 (issue 12, rough edges)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.stack.external import external_state, load_external_config
from fallback.stack.state import StackState

pytestmark = pytest.mark.stack


def _external(tmp_path: Path, stack: StackState, toxiproxy: bool = True) -> Path:
    """A state dir for the local stack standing in for three hosted projects whose config does not allow writes."""
    lines = ["toxiproxy: " + stack.toxiproxy_url] if toxiproxy else []
    lines.append("sources:")
    for source in stack.sources:
        lines.append(
            f"  - {{name: {source.name}, url: '{source.api_url}', anon_key: '{source.anon_key}', "
            f"service_role_key: '{source.service_role_key}'}}"
        )
    (tmp_path / "external.yaml").write_text("\n".join(lines) + "\n")
    state_dir = tmp_path / "state"
    external_state(load_external_config(tmp_path / "external.yaml"), state_dir, env={})
    return state_dir


def test_refused_writes_are_shown_and_fail_the_exploration(tmp_path: Path, fallback_stack: StackState) -> None:
    state_dir = _external(tmp_path, fallback_stack)
    args = ["explore", "--examples", "3", "--budget", "60s", "--seed", "1", "--no-database"]
    args += ["--state-dir", str(state_dir), "--save-dir", str(tmp_path / "found")]
    args += ["--report-dir", str(tmp_path / "reports")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "runs refused, not judged" in result.output and "allow_writes: true" in result.output
    markdown = (tmp_path / "reports" / "latest" / "report.md").read_text()
    assert "runs refused, not judged" in markdown and "allow_writes: true" in markdown


def test_an_external_stack_without_toxiproxy_is_refused_before_exploring(
    tmp_path: Path, fallback_stack: StackState
) -> None:
    # found by the verification pass: every schedule failed to apply its faults, then a traceback at the end
    state_dir = _external(tmp_path, fallback_stack, toxiproxy=False)
    args = ["explore", "--examples", "2", "--seed", "1", "--no-database", "--state-dir", str(state_dir)]
    result = CliRunner().invoke(app, [*args, "--report-dir", str(tmp_path / "reports")])
    assert result.exit_code == 1, result.output
    assert "explore not run: this stack has no Toxiproxy" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert not list((tmp_path / "reports").glob("*/report.json"))
