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


def test_refused_writes_are_shown_and_fail_the_exploration(tmp_path: Path, fallback_stack: StackState) -> None:
    # The local stack standing in for three hosted projects whose config does not allow writes.
    lines = ["toxiproxy: " + fallback_stack.toxiproxy_url, "sources:"]
    for source in fallback_stack.sources:
        lines.append(
            f"  - {{name: {source.name}, url: '{source.api_url}', anon_key: '{source.anon_key}', "
            f"service_role_key: '{source.service_role_key}'}}"
        )
    (tmp_path / "external.yaml").write_text("\n".join(lines) + "\n")
    state_dir = tmp_path / "state"
    external_state(load_external_config(tmp_path / "external.yaml"), state_dir, env={})
    args = ["explore", "--examples", "3", "--budget", "60s", "--seed", "1", "--no-database"]
    args += ["--state-dir", str(state_dir), "--save-dir", str(tmp_path / "found")]
    args += ["--report-dir", str(tmp_path / "reports")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "runs refused, not judged" in result.output and "allow_writes: true" in result.output
    markdown = (tmp_path / "reports" / "latest" / "report.md").read_text()
    assert "runs refused, not judged" in markdown and "allow_writes: true" in markdown
