"""Bad command-line input exits 2 with a message before anything starts (issue 12's rough edges and
defect 11's report-dir check): no stack is started, no state dir or report dir is created."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from fallback.cli import app
from fallback.cli_common import OP_DEADLINE, at_least_one, client_problem

SCENARIO = Path(__file__).parents[1] / "scenario" / "fixtures" / "valid_minimal.yaml"
PORT = "35200"


def invoke(tmp_path: Path, *args: str) -> tuple[int, str]:
    state = tmp_path / "state"
    result = CliRunner().invoke(app, [*args, "--state-dir", str(state), "--base-port", PORT])
    assert not state.exists(), "the stack was started"
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["run", "explore"])
def test_an_unknown_client_exits_2_naming_the_known_ones(tmp_path: Path, command: str) -> None:
    args = [command, str(SCENARIO)] if command == "run" else [command]
    code, output = invoke(tmp_path, *args, "--client", "bogus", "--report-dir", str(tmp_path / "r"))
    assert code == 2, output
    assert "unknown client 'bogus'" in output and "reference, spec" in output


def test_an_import_path_that_cannot_be_imported_exits_2(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, "run", str(SCENARIO), "--client", "no_such_pkg.clients:make")
    assert code == 2, output
    assert "client 'no_such_pkg.clients:make': cannot import 'no_such_pkg.clients'" in output


@pytest.mark.parametrize("command", ["run", "drill"])
def test_a_module_without_the_named_factory_exits_2(tmp_path: Path, command: str) -> None:
    # found by the verification pass: the stack started, then a traceback (drill) or an `error` verdict (run)
    args = [command, str(SCENARIO)] if command == "run" else [command, "--duration", "1s"]
    code, output = invoke(tmp_path, *args, "--client", "fallback.adapters.example_client:factory")
    assert code == 2, output
    assert "'fallback.adapters.example_client' has no 'factory'" in " ".join(output.split())


def test_a_scenario_file_naming_a_missing_client_exits_2(tmp_path: Path) -> None:
    scenario = tmp_path / "x.yaml"
    scenario.write_text(SCENARIO.read_text() + "client: no_such_module:make\n")
    code, output = invoke(tmp_path, "run", str(scenario), "--report-dir", str(tmp_path / "r"))
    assert code == 2, output
    assert "client 'no_such_module:make': no module named 'no_such_module'" in output


@pytest.mark.parametrize("command", ["run", "explore"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "must be > 0 seconds, got '-1'"),
        ("nan", "must be > 0 seconds, got 'nan'"),
        ("0s", "must be > 0 seconds, got '0s'"),
        ("soon", "invalid duration 'soon'"),
        ("11m", "at most 600 s, got '11m'"),
    ],
)
def test_a_bad_op_deadline_exits_2(tmp_path: Path, command: str, value: str, message: str) -> None:
    args = [command, str(SCENARIO)] if command == "run" else [command]
    code, output = invoke(tmp_path, *args, "--op-deadline", value)
    assert code == 2, output
    assert "Invalid value for '--op-deadline'" in output and message in " ".join(output.split())


@pytest.mark.parametrize(("text", "seconds"), [("5", 5.0), ("2.5", 2.5), ("500ms", 0.5), ("1m", 60.0), ("10m", 600.0)])
def test_op_deadline_accepts_durations_and_plain_seconds(text: str, seconds: float) -> None:
    assert OP_DEADLINE(text) == seconds


def test_at_least_one() -> None:
    assert at_least_one(None) is None and at_least_one(1) == 1
    with pytest.raises(typer.BadParameter, match="must be at least 1, got -3"):
        at_least_one(-3)


@pytest.mark.parametrize("name", ["reference", "spec", "both", "spec-faithful", "cmd:node x.mjs", "json:dumps"])
def test_known_clients_pass_the_check(name: str) -> None:
    assert client_problem(name) is None


@pytest.mark.parametrize("command", ["run", "explore"])
def test_an_unusable_report_dir_exits_2_before_the_stack_starts(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    args = [command, str(SCENARIO)] if command == "run" else [command]
    code, output = invoke(tmp_path, *args, "--report-dir", str(blocker / "reports"))
    assert code == 2, output
    assert f"cannot write reports to {blocker}/reports: Not a directory" in " ".join(output.split())


@pytest.mark.parametrize("command", ["run", "drill"])
def test_a_client_command_that_cannot_start_exits_2_before_the_stack_starts(tmp_path: Path, command: str) -> None:
    # noticed in the adversarial pass: `--client-cmd /nonexistent` started the stack, then failed every operation
    args = [command, str(SCENARIO)] if command == "run" else [command, "--duration", "1s"]
    flag = (
        ["--client-cmd", "/nonexistent/client --flag"] if command == "run" else ["--client", "cmd:/nonexistent/client"]
    )
    code, output = invoke(tmp_path, *args, *flag)
    assert code == 2, output
    assert "/nonexistent/client does not exist" in " ".join(output.split())


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("no-such-program-xyz arg", "'no-such-program-xyz' is not on PATH"),
        ("FOO=1 ./plain.txt", "./plain.txt is not executable"),
        ("node 'unclosed", "cannot parse it as a shell command"),
    ],
)
def test_client_command_problems_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.txt").write_text("not a program")
    problem = client_problem(f"cmd:{command}")
    assert problem is not None and message in problem
    assert client_problem("cmd:FOO=1 exec node x.mjs") is None


def test_a_drill_on_an_unknown_table_exits_2_naming_the_project_s_tables(tmp_path: Path) -> None:
    code, output = invoke(tmp_path, "drill", "--duration", "1s", "--table", "invoices")
    assert code == 2, output
    assert "--table: unknown table 'invoices' (known: profiles, user_challenges)" in " ".join(output.split())


def test_a_drill_in_another_project_seeds_its_table_and_the_parents_it_needs() -> None:
    from fallback.project import activate, load_project
    from fallback.project.builtin import BUILTIN_ROOT
    from fallback.project.tables import root_table
    from fallback.stack.seed import DRILL_ROWS, SPEC_SEED, drill_seed

    assert drill_seed("user_challenges").counts == SPEC_SEED  # the built-in example: the spec's figures
    with activate(load_project(BUILTIN_ROOT.parent / "saas-billing")) as project:
        plan = drill_seed("invoice_lines")
        assert list(plan.counts) == ["organizations", "invoices", "invoice_lines"]  # parents first
        assert plan.counts["invoices"] == dict.fromkeys(project.source_names, DRILL_ROWS)
        assert root_table(project) == "organizations"  # memberships, invoices and lines need an organization
