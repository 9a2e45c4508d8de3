import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest

from fallback.report import (
    FILES,
    ClientRun,
    RunRecord,
    load_report,
    render_html,
    render_junit,
    render_markdown,
    schema_text,
    write_report,
)
from fallback.report.schema import COMMITTED

from .sample import sample_run


def test_committed_schema_is_the_generated_one() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), "run `python -m fallback.report.schema`"


def test_report_json_validates_against_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema==4.26.0 (dev extra) validates report.json")
    run_dir = write_report(sample_run(), tmp_path)
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    broken = {**document, "scenarios": [{"name": "x", "clients": [{"client": "c", "verdict": "maybe"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_report_json_round_trips(tmp_path: Path) -> None:
    run = sample_run()
    assert load_report(write_report(run, tmp_path)) == run


def test_write_report_writes_all_four_and_points_latest(tmp_path: Path) -> None:
    run = sample_run()
    run_dir = write_report(run, tmp_path)
    assert run_dir == tmp_path / run.run_id
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(FILES)
    latest = tmp_path / "latest"
    assert latest.is_symlink() and latest.resolve() == run_dir.resolve()
    later = run.model_copy(update={"run_id": "later", "started_at": run.started_at + timedelta(hours=1)})
    write_report(later, tmp_path)
    assert (tmp_path / "latest").resolve() == (tmp_path / "later").resolve()
    write_report(run, tmp_path)  # re-writing an older run keeps latest on the newest
    assert (tmp_path / "latest").resolve() == (tmp_path / "later").resolve()


def test_latest_that_is_a_directory_is_not_clobbered(tmp_path: Path) -> None:
    (tmp_path / "latest").mkdir()
    with pytest.raises(FileExistsError, match="not a symlink"):
        write_report(sample_run(), tmp_path)


def test_markdown_summary() -> None:
    text = render_markdown(sample_run())
    lines = text.splitlines()
    assert lines[0] == "# ⚠️ Fallback harness run `20261125T090000Z-abcd`: error"
    assert "| scenario | reference | spec |" in lines
    assert "| primary-api-down | ✅ pass (2/2) | ❌ fail (1/2) |" in lines
    assert "| stack-broke | – | ⚠️ error |" in lines
    assert "| no_lost_writes | holds | create op 1 lost \\| &lt;gone&gt; |" in lines  # HTML escaped (issue 12)
    assert "lost_write: create op 1 acknowledged ok in BOLT (row row-1), but it is not there" in text
    assert "TimeoutError: the stack did not answer" in text
    assert "commit `0123456789ab`" in text


def test_markdown_all_pass() -> None:
    run = sample_run()
    passing = run.model_copy(update={"scenarios": run.scenarios[:1]})
    first = passing.scenarios[0]
    only_ref = first.model_copy(update={"clients": first.clients[:1]})
    text = render_markdown(passing.model_copy(update={"scenarios": (only_ref,)}))
    assert text.startswith("# ✅") and "Every expectation held." in text


def test_junit_is_valid_and_counts() -> None:
    root = ET.fromstring(render_junit(sample_run()).encode("utf-8"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "2", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["primary-api-down", "stack-broke"]
    cases = {(c.get("classname"), c.get("name")): c for c in suites[0].findall("testcase")}
    assert set(cases) == {
        ("primary-api-down.reference", "run"),
        ("primary-api-down.reference", "merged_count"),
        ("primary-api-down.reference", "source_counts"),
        ("primary-api-down.reference", "checker"),
        ("primary-api-down.spec", "run"),
        ("primary-api-down.spec", "merged_count"),
        ("primary-api-down.spec", "no_lost_writes"),
        ("primary-api-down.spec", "checker"),
    }
    failure = cases[("primary-api-down.spec", "no_lost_writes")].find("failure")
    assert failure is not None and failure.get("message") == "expected holds, observed create op 1 lost | <gone>"
    checker = cases[("primary-api-down.spec", "checker")].find("failure")
    assert checker is not None and "lost_write" in (checker.text or "")
    out = cases[("primary-api-down.reference", "run")].find("system-out")
    assert out is not None and "\ufffd" in (out.text or "")  # the BEL character could not be kept in XML
    error = suites[1].find("testcase/error")
    assert error is not None and error.get("message") == "TimeoutError: the stack did not answer"
    assert suites[0].find("properties/property").get("value") == "scenarios/primary_api_down.yaml"  # type: ignore[union-attr]


def test_html_is_self_contained_with_plots() -> None:
    page = render_html(sample_run())
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 2 + 3 + 2  # latency per client, 3 + 2 small charts, errored client has none
    assert page.count('class="fault"') == 4 and page.count('class="op"') == 61 + 41
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "http://" not in page and "https://" not in page
    assert "&lt;&amp; friends&gt;" in page and "<& friends>" not in page
    assert "expected" in page and "observed" in page and "create op 1 lost | &lt;gone&gt;" in page
    assert "success rate per source" in page and "fallback frequency" in page and "data distribution" in page
    assert "PRIMARY.api down" in page


def test_html_parses_as_xml_fragments() -> None:
    """Each inline SVG is well-formed (a browser would render it)."""
    page = render_html(sample_run())
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ET.fromstring(svg)


def test_verdicts() -> None:
    run = sample_run()
    assert run.verdict() == "error"
    assert [s.verdict() for s in run.scenarios] == ["fail", "error"]
    assert run.client_names() == ("reference", "spec")
    assert RunRecord.model_validate_json(run.model_dump_json()).scenarios[0].client("spec") is not None
    with pytest.raises(ValueError):
        ClientRun(client="x", verdict="maybe")  # type: ignore[arg-type]


def test_drill_figures_are_rendered_in_markdown_and_html() -> None:
    from fallback.report.model import DrillFigures, FaultTiming, SecondBucket

    drill = DrillFigures(
        rate_per_s=50,
        duration_s=30.0,
        operations=1500,
        availability=0.986,
        per_second=tuple(SecondBucket(t_s=t, ops=50, ok=44 if 10 <= t < 15 else 50) for t in range(30)),
        faults=(
            FaultTiming(
                target="PRIMARY.api",
                toxic="down",
                start_s=10.0,
                end_s=20.0,
                origin="timeline",
                time_to_detect_s=0.066,
                time_to_fail_over_s=0.09,
                time_to_recover_s=None,
            ),
        ),
        errors_by_kind={"update:refused": 21},
    )
    run = sample_run()
    first = run.scenarios[0]
    with_drill = first.model_copy(update={"clients": (first.clients[0].model_copy(update={"drill": drill}),)})
    run = run.model_copy(update={"scenarios": (with_drill,)})
    markdown = render_markdown(run)
    assert "availability **98.60%**" in markdown
    assert "| PRIMARY.api down | 10.00s–20.00s | 0.066 s | 0.090 s | – |" in markdown
    html = render_html(run)
    assert "availability 98.60%" in html and "update:refused ×21" in html
    plot = re.search(r'<svg[^>]*aria-label="availability per second".*?</svg>', html, re.S)
    assert plot is not None and plot.group(0).count('class="bar"') == 30
