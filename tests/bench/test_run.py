"""The runner's pure parts: the pytest command, finding the suite, writing the report directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fallback.bench import run
from fallback.bench.report import build_report

from .synthetic import suite


def test_pytest_command_runs_only_benchmarks_into_the_json() -> None:
    cmd = run.pytest_command(Path("/repo/benchmarks"), Path("/out/bench.json"), ["-k", "read"])
    assert cmd[1:4] == ["-m", "pytest", "/repo/benchmarks"]
    assert "--benchmark-only" in cmd and "--benchmark-json=/out/bench.json" in cmd
    assert cmd[-2:] == ["-k", "read"]


def test_benchmarks_dir_is_the_repositorys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FALLBACK_BENCH_DIR", raising=False)
    found = run.benchmarks_dir()
    assert found.name == "benchmarks" and (found / "conftest.py").is_file()


def test_benchmarks_dir_env_must_hold_a_conftest(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("")
    monkeypatch.setenv("FALLBACK_BENCH_DIR", str(tmp_path))
    assert run.benchmarks_dir() == tmp_path


def test_run_bench_writes_the_report_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def fake_suite(json_out: Path, *, quick: bool, directory: Path, extra_args: object = ()) -> int:
        seen["quick"] = quick
        json_out.write_text(json.dumps(suite()))
        return 0

    monkeypatch.setattr(run, "run_suite", fake_suite)
    result = run.run_bench(quick=True, report_root=tmp_path / "reports", json_path=tmp_path / "copy.json")
    assert seen["quick"] is True and result.exit_code == 0
    assert result.report_dir.parent == tmp_path / "reports" and result.report_dir.name.startswith("bench-")
    names = {p.name for p in result.report_dir.iterdir()}
    assert {"bench.json", "bench.md", "bench.html", "latency.svg", "failover.svg"} <= names
    assert json.loads((tmp_path / "copy.json").read_text()) == suite()
    assert result.report.claims


def test_run_bench_without_json_fails_and_leaves_no_empty_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(run, "run_suite", lambda *a, **k: 4)
    with pytest.raises(run.BenchError, match="exit code 4"):
        run.run_bench(quick=True, report_root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_write_report_keeps_the_raw_json(tmp_path: Path) -> None:
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps(suite()))
    run.write_report(build_report(suite(), quick=False), raw, tmp_path / "out")
    assert (tmp_path / "out" / "bench.json").read_text() == raw.read_text()
