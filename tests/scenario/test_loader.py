from pathlib import Path

import pytest

from fallback.scenario import ScenarioError, load_scenario, load_scenarios

FIXTURES = Path(__file__).parent / "fixtures"


def problems(name: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(FIXTURES / name)
    return [str(p) for p in info.value.problems]


def test_valid_fixtures_load() -> None:
    loaded = load_scenarios(sorted(FIXTURES.glob("valid_*.yaml")))
    assert [s.name for s in loaded] == ["bolt-db-flapping", "baseline", "primary-api-down"]
    down = loaded[2]
    assert down.file is not None and down.file.endswith("valid_primary_down.yaml")
    assert down.clients() == ("reference", "spec")
    assert down.faults[1].attributes == {"latency": 200, "jitter": 20}
    assert down.expect.writes_landed_in == ("BOLT",)
    assert down.expect.latency_ms[0].bounds() == {"p95": 8000.0}
    assert down.expect_for("spec").error[0].kind == "all_failed"
    assert down.expect_for("reference").merged_count == 70
    assert down.seed_count("user_challenges", "OLD") == 15


def test_defaults() -> None:
    baseline = load_scenario(FIXTURES / "valid_minimal.yaml")
    assert baseline.client == "both"
    assert baseline.seed_count("user_challenges", "PRIMARY") == 45
    assert baseline.faults == ()
    assert baseline.workload.steps[0].table == "user_challenges"  # type: ignore[union-attr]
    assert set(baseline.expect.checks()) == {"merged_count"}


def test_unknown_toxic_names_file_line_field() -> None:
    assert problems("bad_unknown_toxic.yaml") == [
        f"{FIXTURES / 'bad_unknown_toxic.yaml'}:7: faults[1].toxic: unknown toxic 'lag' "
        "(known: down, latency, timeout, reset_peer, bandwidth, slow_close, slicer, limit_data, read_only, lock, "
        "slow_queries, connections_exhausted, kill, pause, restart, jwt_rotated, edge_status, edge_truncated, "
        "edge_stalled, edge_slow_first_byte, tokens_expire, pool_exhausted)"
    ]


def test_every_problem_is_listed_with_its_line() -> None:
    found = [p.split(": ", 1)[0].rsplit(":", 1)[1] + " " + p.split(": ", 2)[1] for p in problems("bad_many.yaml")]
    assert found == [
        "4 seed.user_chalenges",
        "6 faults[0].until",
        "7 faults[1].target",
        "7 faults[1].attributes",
        "8 faults[2].at",
        "8 faults[2].attributes",
        "9 faults[3].toxicity",
        "12 workload.steps[0].untill",
        "13 workload.steps[1].rate",
        "14 workload.steps[2].table",
        "15 workload.steps[3]",
        "17 expect.source_counts.NEW",
        "18 expect.writes_landed_in[1]",
        "19 expect.latency_ms[0].p95.max",
        "19 expect.latency_ms[0].p95.min",
        "20 expect.availabilty",
    ]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("bad_many.yaml", "did you mean 'user_challenges'?"),
        ("bad_many.yaml", "unknown attribute for latency 'jiter' (known: latency, jitter); did you mean 'jitter'?"),
        ("bad_many.yaml", "faults[2].attributes: bandwidth needs rate"),
        ("bad_many.yaml", "until: must be later than `at` (5s), got 2s"),
        ("bad_many.yaml", "invalid duration '1x'"),
        (
            "bad_many.yaml",
            "unknown key 'untill' (known: op, call, args, table, select, filter, order, count, duration, rate, "
            "concurrency, source)",
        ),
        ("bad_many.yaml", "did you mean 'availability'?"),
        ("bad_many.yaml", "unknown source 'ELSEWHERE'"),
        ("bad_yaml.yaml", ":7: not valid YAML"),
        ("bad_duplicate_key.yaml", ":6: name: duplicate key (first on line 1)"),
        ("bad_not_mapping.yaml", ":1: a scenario is a mapping of keys, got list"),
        ("bad_down_options.yaml", ":4: faults[0].stream: `down` disables the whole proxy"),
        ("bad_down_options.yaml", ":5: faults[1].attributes: `down` disables the proxy and takes no attributes"),
        ("bad_down_options.yaml", ":6: faults[2].attributes: latency needs latency"),
        ("bad_down_options.yaml", ":9: workload.steps[0]: `pause` takes `duration` only"),
        ("bad_down_options.yaml", ":11: workload.steps[2].parallel: a group needs at least one step"),
        ("bad_flap_no_end.yaml", ":5: faults[0].flap: needs `until`"),
        ("bad_flap_no_end.yaml", ":7: faults[2]: overlaps faults[1] (down on BOLT.api)"),
        ("bad_flap_no_end.yaml", ":11: spec_expect: given, but client 'reference' does not include `spec`"),
    ],
)
def test_malformed_fixture_messages(fixture: str, expected: str) -> None:
    assert any(expected in p for p in problems(fixture)), problems(fixture)


def test_all_files_reported_together(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenarios(
            [FIXTURES / "bad_yaml.yaml", FIXTURES / "valid_minimal.yaml", FIXTURES / "bad_unknown_toxic.yaml"]
        )
    files = {Path(p.file).name for p in info.value.problems}
    assert files == {"bad_yaml.yaml", "bad_unknown_toxic.yaml"}
    assert str(info.value).startswith("2 problems in scenario files:")


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text("\n" + (FIXTURES / "valid_minimal.yaml").read_text())
    with pytest.raises(ScenarioError, match=r"copy.yaml:2: name: 'baseline' is also used by"):
        load_scenarios([FIXTURES / "valid_minimal.yaml", copy])


def test_missing_and_empty_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ScenarioError) as info:
        load_scenarios([tmp_path / "absent.yaml", empty])
    text = str(info.value)
    assert "absent.yaml: cannot read" in text
    assert "empty.yaml:1: empty file" in text


def test_required_fields(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nfaults: []\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [p.field for p in info.value.problems] == ["description", "workload"]
    assert all(p.message == "required, but missing" for p in info.value.problems)


def test_client_import_path(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    body = "name: x\ndescription: d\nworkload: {steps: [{op: load, count: 1}]}\n"
    path.write_text(body + "client: my_pkg.clients:make_client\n")
    assert load_scenario(path).clients() == ("my_pkg.clients:make_client",)
    path.write_text(body + "client: sometimes\n")
    with pytest.raises(ScenarioError, match=r"x.yaml:4: client: unknown client 'sometimes'"):
        load_scenario(path)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    import re

    doc = (Path(__file__).parents[2] / "fallback" / "scenario" / "FORMAT.md").read_text(encoding="utf-8")
    match = re.search(r"## A complete example\n\n```yaml\n(.*?)```", doc, re.S)
    assert match is not None
    path = tmp_path / "example.yaml"
    path.write_text(match.group(1), encoding="utf-8")
    example = load_scenario(path)
    assert example.name == "primary-api-down"
    assert len(example.fault_windows()) == 2 + 6  # the flap gives 6 windows between 6 s and 30 s
