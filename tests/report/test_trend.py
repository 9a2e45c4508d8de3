"""`report trend`: reading real report.json files of every schema version, flaky verdicts, latency
regressions, the pages, and the command's exit codes. Fixtures: two real runs of
spec-test-1-primary-down and primary-hung (both clients), one written before `schema_version` existed
(version 1) and one after (version 2); console lines trimmed to keep them small. And the sample run of
the first report model (commit 65294ed), as that commit's code wrote it."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from fallback.cli import app
from fallback.report import RunRecord
from fallback.report.model import SCHEMA_VERSION
from fallback.report.trend import build_trend
from fallback.report.trend_input import TrendInputError, load_trend_runs, read_trend_run
from fallback.report.trend_render import render_trend_html, render_trend_markdown
from fallback.stats import percentile
from fallback.svg import sparkline, verdict_strip

FIXTURES = Path(__file__).parent / "fixtures"
V1, V2 = FIXTURES / "report-v1.json", FIXTURES / "report-v2.json"


def _data(path: Path = V2) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _variant(
    tmp_path: Path,
    index: int,
    *,
    commit: str = "c" * 40,
    scale: float = 1.0,
    verdict: str | None = None,
    base: Path = V2,
) -> Path:
    """A copy of a real report as run `index`: its own run id and time, latencies scaled, a verdict set."""
    data = _data(base)
    started = datetime.fromisoformat(data["started_at"]) + timedelta(minutes=index)
    data.update(run_id=f"run-{index:02d}", started_at=started.isoformat(), git_commit=commit)
    for scenario in data["scenarios"]:
        for client in scenario["clients"]:
            for point in client["latency"]:
                point["latency_ms"] *= scale
            if verdict is not None and scenario["name"] == "primary-hung" and client["client"] == "reference":
                client["verdict"] = verdict
    path = tmp_path / f"run-{index:02d}" / "report.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _series(trend: Any, scenario: str, client: str) -> Any:
    return next(s for s in trend.series if (s.scenario, s.client) == (scenario, client))


def test_both_schema_versions_read_with_their_real_figures() -> None:
    runs = load_trend_runs([V1, V2])
    assert [r.schema_version for r in runs] == [1, 2]
    trend = build_trend(runs)
    keys = {(s.scenario, s.client) for s in trend.series}
    assert keys == {(n, c) for n in ("spec-test-1-primary-down", "primary-hung") for c in ("reference", "spec")}
    for run, path in zip(trend.runs, (V1, V2), strict=True):
        assert run.commit == _data(path)["git_commit"]
        hung = next(s for s in _data(path)["scenarios"] if s["name"] == "primary-hung")
        for client in hung["clients"]:
            loads = [p["latency_ms"] for p in client["latency"] if p["op"] == "load"]
            ok = sum(p["outcome"] == "ok" for p in client["latency"])
            cell = next(c for c in _series(trend, "primary-hung", client["client"]).cells if c and c.run == run)
            figures = cell.op("load")
            assert figures is not None
            assert (figures.p50, figures.p95, figures.count) == (
                percentile(loads, 50),
                percentile(loads, 95),
                len(loads),
            )
            assert cell.claims.availability == ok / len(client["latency"])
            broken = sum(not e["passed"] for e in client["claims"])
            assert cell.claims.broken_promises == (broken if client["claims"] else None)


def test_a_report_written_by_the_first_report_model_is_read() -> None:
    """fixtures/report-65294ed.json: the sample run of commit 65294ed (the first report.json), serialised by
    that commit's own model: no `claims`, `drill`, `explore` or `schema_version`."""
    first = FIXTURES / "report-65294ed.json"
    assert not {"schema_version", "explore"} & set(_data(first))
    trend = build_trend(load_trend_runs([first, V2]))
    assert [r.schema_version for r in trend.runs] == [1, 2]
    spec = _series(trend, "primary-api-down", "spec").cells[0]
    assert spec.verdict == "fail" and spec.claims.lost == 1 and spec.claims.broken_promises is None
    assert _series(trend, "stack-broke", "spec").cells[0].verdict == "error"
    hung = _series(trend, "primary-hung", "spec").cells
    assert hung[0] is None and hung[1] is not None  # the first run did not have this scenario


def test_the_first_report_shape_is_read_though_the_strict_model_refuses_it(tmp_path: Path) -> None:
    """Before `claims` (36f2781) and typed failure kinds (528c762) a report had no `claims`, and a call's
    kind was a free label such as `http_503`; the trend reads it, and counts the lost write."""
    data = _data(V1)
    client = data["scenarios"][1]["clients"][0]
    for scenario in data["scenarios"]:
        for c in scenario["clients"]:
            del c["claims"]
    data.pop("explore")
    event = {"type": "ok", "op_id": 1, "process": 0, "client": "reference", "op": "create", "table": "t",
             "time_s": 1.0, "calls": [{"source": "PRIMARY", "kind": "http_503"}]}  # fmt: skip
    client["checker"]["violations"] = [{"kind": "lost_write", "message": "gone", "table": "t", "events": [event]}]
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError):
        RunRecord.model_validate_json(path.read_text(encoding="utf-8"))
    trend = build_trend(load_trend_runs([path]))
    cell = _series(trend, "primary-hung", client["client"]).cells[0]
    assert cell.claims.lost == 1
    assert cell.claims.broken_promises is None


def test_a_newer_schema_is_refused_naming_file_and_version(tmp_path: Path) -> None:
    data = _data() | {"schema_version": SCHEMA_VERSION + 1}
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TrendInputError, match=re.escape(f"{path}: schema version {SCHEMA_VERSION + 1} is newer")):
        read_trend_run(path)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.pop("run_id"), r"schema version 1 \(no schema_version field\)\): run_id: Field required"),
        (lambda d: d["scenarios"][0]["clients"][0].update(verdict="maybe"), r"scenarios\.0\.clients\.0\.verdict"),
    ],
)
def test_a_report_missing_a_field_is_refused_naming_it(tmp_path: Path, edit: Any, expected: str) -> None:
    data = _data(V1)
    edit(data)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(TrendInputError, match=expected):
        read_trend_run(path)


def test_not_json_and_missing_paths_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "report.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(TrendInputError, match=re.escape(f"{broken}: not JSON")):
        read_trend_run(broken)
    with pytest.raises(TrendInputError, match="no such file"):
        load_trend_runs([tmp_path / "nowhere"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TrendInputError, match=r"no report\.json found"):
        load_trend_runs([empty])


def test_a_reports_directory_is_read_once_per_run_oldest_first(tmp_path: Path) -> None:
    paths = [_variant(tmp_path, i) for i in (3, 1, 2)]
    (tmp_path / "latest").symlink_to("run-03")
    runs = load_trend_runs([tmp_path, paths[0]])  # run-03 named twice: read once
    assert [r.run_id for r in runs] == ["run-01", "run-02", "run-03"]
    assert [r.run_id for r in load_trend_runs([tmp_path], last=2)] == ["run-02", "run-03"]


def test_a_verdict_that_flips_on_one_commit_is_flaky_and_between_commits_is_not(tmp_path: Path) -> None:
    paths = [
        _variant(tmp_path, 1, commit="a" * 40),
        _variant(tmp_path, 2, commit="a" * 40, verdict="fail"),
        _variant(tmp_path, 3, commit="b" * 40, verdict="fail"),
        _variant(tmp_path, 4, commit="b" * 40, verdict="fail"),
    ]
    trend = build_trend(load_trend_runs(paths))
    hung = _series(trend, "primary-hung", "reference")
    assert hung.flaky_commits == ("a" * 40,)
    assert hung.flaky_runs() == (0, 1)
    assert [s for s in trend.flaky] == [hung]
    assert "**flaky**: primary-hung · reference: commit aaaaaaaaaa: fail ×1, pass ×1" in render_trend_markdown(trend)


def test_runs_without_a_commit_are_never_called_flaky(tmp_path: Path) -> None:
    paths = [_variant(tmp_path, 1, commit=None), _variant(tmp_path, 2, commit=None, verdict="fail")]  # type: ignore[arg-type]
    assert not build_trend(load_trend_runs(paths)).flaky


def test_a_latency_past_the_ratio_is_a_regression(tmp_path: Path) -> None:
    paths = [_variant(tmp_path, i, scale=s) for i, s in enumerate((1.0, 1.1, 0.9, 2.0, 1.4), 1)]
    trend = build_trend(load_trend_runs(paths), ratio=1.5, min_delta_ms=20, min_history=2)
    ref = _series(trend, "primary-hung", "reference")
    flagged = {(r.run.run_id, r.op, r.stat) for r in ref.regressions}
    # run 4 doubled every latency: its loads (~2 s) moved far past 1.5x; the creates (a few ms) moved
    # less than 20 ms (they take 7-17 ms), so they are not flagged; run 5 (1.4x) is under the ratio.
    assert flagged == {("run-04", "load", "p50"), ("run-04", "load", "p95")}
    regression = next(r for r in ref.regressions if r.stat == "p50")
    first_three = [c.op("load").p50 for c in ref.cells[:3] if c and c.op("load")]  # type: ignore[union-attr]
    assert regression.baseline_ms == sorted(first_three)[1]
    assert regression.ratio == pytest.approx(2.0 / 1.0, rel=0.15)
    assert trend.newest_regressions() == ()
    assert "2018↑" not in render_trend_markdown(trend)  # values are the run's own, marked, not invented
    assert f"**{regression.value_ms:.0f}↑**" in render_trend_markdown(trend)


def test_min_history_and_min_delta_hold_back_a_flag(tmp_path: Path) -> None:
    paths = [_variant(tmp_path, 1), _variant(tmp_path, 2, scale=3.0)]
    runs = load_trend_runs(paths)
    assert not build_trend(runs, min_history=2).regressions
    assert build_trend(runs, min_history=1).regressions
    assert not build_trend(runs, min_history=1, min_delta_ms=1e6).regressions


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]
        self.ids += [v or "" for k, v in attrs if k == "id"]


def test_the_html_page_is_self_contained_and_marks_flags(tmp_path: Path) -> None:
    paths = [
        _variant(tmp_path, 1, commit="a" * 40),
        _variant(tmp_path, 2, commit="a" * 40, verdict="fail"),
        _variant(tmp_path, 3, commit="a" * 40),
        _variant(tmp_path, 4, commit="a" * 40, scale=3.0),
    ]
    trend = build_trend(load_trend_runs(paths))
    page = render_trend_html(trend)
    parser = _Page()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert all(link.startswith("#") for link in parser.links)
    assert len(set(parser.ids)) == len(parser.ids) == len(trend.series)  # one anchor per scenario and client
    assert {link[1:] for link in parser.links} <= set(parser.ids)
    assert page.count('class="verdict"') == 4 * len(trend.series)
    assert 'stroke="#d62728" stroke-width="2"' in page  # a flaky run outlined
    assert 'r="3.5" fill="none" stroke="#d62728"' in page  # a regressed run ringed
    assert "flaky on aaaaaaaaaa" in page and "regression in 1 run" in page


def test_the_command_writes_both_pages_and_exits_as_documented(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for i in (1, 2, 3):
        _variant(reports, i, scale=3.0 if i == 3 else 1.0)
    out = tmp_path / "trend"
    result = CliRunner().invoke(app, ["report", "trend", str(reports), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "trend.html").is_file() and (out / "trend.md").read_text().startswith("# Fallback harness trend")
    assert "3 runs, 4 scenario/client series: 0 flaky" in result.output
    strict = CliRunner().invoke(app, ["report", "trend", str(reports), "--out", str(out), "--fail-on-flags"])
    assert strict.exit_code == 1, strict.output  # run 3 (the newest) regressed
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_data() | {"schema_version": 99}), encoding="utf-8")
    refused = CliRunner().invoke(app, ["report", "trend", str(bad), "--out", str(out)])
    assert refused.exit_code == 2
    assert "schema version 99 is newer" in refused.output


def test_a_sparkline_breaks_at_a_run_without_the_figure_and_rings_flags() -> None:
    chart = sparkline([10.0, 12.0, None, 11.0, 30.0], "load p95", flagged=(4,))
    assert chart.count("<polyline") == 2  # 10-12, then 11-30: no line across the missing run
    assert chart.count("<circle") == 4
    assert chart.count('fill="none" stroke="#d62728"') == 1
    strip = verdict_strip(["pass", None, "fail"], "verdicts", flaky=(2,))
    assert 'fill="#ddd"' in strip and "not run" in strip and "flaky" in strip


def test_a_drills_own_figures_are_its_claims(tmp_path: Path) -> None:
    data = _data()
    client = data["scenarios"][0]["clients"][0]
    client["drill"] = {
        "rate_per_s": 50, "duration_s": 10, "operations": 500, "availability": 0.9, "lost": 0, "duplicated": 2,
        "faults": [
            {"target": "PRIMARY.api", "toxic": "down", "start_s": 1, "end_s": 5, "origin": "timeline",
             "time_to_fail_over_s": 0.02},
            {"target": "BOLT.api", "toxic": "down", "start_s": 6, "end_s": 8, "origin": "timeline",
             "time_to_fail_over_s": 0.3},
        ],
    }  # fmt: skip
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    trend = build_trend(load_trend_runs([path]))
    claims = _series(trend, data["scenarios"][0]["name"], client["client"]).cells[0].claims
    assert (claims.availability, claims.fail_over_s, claims.lost, claims.duplicated) == (0.9, 0.3, 0, 2)
    assert "| 0.300 s |" in render_trend_markdown(trend)
