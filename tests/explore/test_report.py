"""The `explore` section of the run record: built from a search, valid against the committed schema,
rendered in report.md and report.html, and a counterexample makes the run fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fallback.explore.coverage import ROWS
from fallback.explore.invariants import BASE, Limits
from fallback.explore.options import ExploreOptions
from fallback.explore.outcomes import SearchOptions
from fallback.explore.profiles import ClientProfile
from fallback.explore.save import save
from fallback.explore.search import Search
from fallback.explore.session import Exploration, Saved, record
from fallback.explore.strategies import explore_scenarios
from fallback.report import load_report, render_html, render_markdown, write_report
from fallback.report.schema import COMMITTED
from fallback.scenario import known_targets

from .planted import planted_runner


def _exploration(tmp_path: Path) -> Exploration:
    options = ExploreOptions(client="reference", examples=60, seed=4, save_dir=tmp_path / "found", database=None)
    result = Search(
        planted_runner, explore_scenarios(paced=False), SearchOptions(invariants=BASE, examples=60, budget_s=60, seed=4)
    ).run()
    done = Exploration(options, 4, ClientProfile("reference", BASE, 2.5), result)
    for found in result.found.values():
        path, scenario = save(found, "reference", Limits(4.0, 2.5), 3, 3, options.save_dir)
        done.saved.append(Saved(found.invariant, path, scenario))
    return done


def test_the_explore_section_is_valid_rendered_and_fails_the_run(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    done = _exploration(tmp_path)
    assert done.result.found
    run = record(done)
    assert run.verdict() == "fail"
    explore = run.explore
    assert explore is not None and explore.seed == 4 and explore.examples_per_s > 0
    assert [i.name for i in explore.invariants] == list(BASE)
    assert {c.invariant for c in explore.counterexamples} == {"no_lost_writes"}
    assert explore.counterexamples[0].shrunk_faults == 1 and explore.counterexamples[0].shrunk_operations == 1
    assert len(explore.coverage) == len(ROWS) and all(
        len(row.links) == len(known_targets()) for row in explore.coverage
    )
    run_dir = write_report(run, tmp_path / "reports")
    document = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(COMMITTED.read_text(encoding="utf-8"))).validate(document)
    assert load_report(run_dir) == run
    markdown = render_markdown(run)
    assert "## Exploration" in markdown and "examples/s" in markdown
    targets = " | ".join(
        f"{s}.{part}" if part else s
        for s in ("PRIMARY", "BOLT", "OLD")
        for part in ("api", "db", "postgres", "gateway", "")
    )
    assert f"| fault | {targets} |" in markdown  # the sources: the database kinds' targets; then the processes
    assert "### ❌ no_lost_writes:" in markdown and "```yaml" in markdown
    assert "Fault coverage" in render_html(run)


def test_a_clean_exploration_passes(tmp_path: Path) -> None:
    done = _exploration(tmp_path)
    done.result.found.clear()
    done.saved.clear()
    run = record(done)
    assert run.verdict() == "pass" and run.explore is not None and not run.explore.counterexamples
