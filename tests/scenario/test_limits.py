"""Defect 8 (no upper limits) and the `auth: user:...` seed check: each rejected at load time, with
file, line and field; values at the limit still load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fallback.scenario import ScenarioError, limits, load_scenario, load_scenarios, scenario_files

HEAD = "name: big\ndescription: d\n"
ONE_LOAD = "workload:\n  steps:\n    - {op: load, count: 1}\n"


def problems_of(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "x.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p).removeprefix(str(path)) for p in info.value.problems]


def loads(tmp_path: Path, body: str) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(body, encoding="utf-8")
    load_scenario(path)


def steps(*lines: str) -> str:
    return "workload:\n  steps:\n" + "".join(f"    - {line}\n" for line in lines)


def faults(*lines: str) -> str:
    return "faults:\n" + "".join(f"  - {line}\n" for line in lines)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            HEAD + "seed:\n  user_challenges: {PRIMARY: 1000000000000}\n" + ONE_LOAD,
            ":4: seed.user_challenges.PRIMARY: Input should be less than or equal to 100000",
        ),
        (
            HEAD + steps("{op: load, count: 1, concurrency: 1000000}"),
            ":5: workload.steps[0].concurrency: Input should be less than or equal to 100",
        ),
        (
            HEAD + steps("{op: create, count: 1000000000}"),
            ":5: workload.steps[0].count: Input should be less than or equal to 100000",
        ),
        (
            HEAD + steps("{op: load, rate: 100000/s, count: 10}"),
            ":5: workload.steps[0].rate: Input should be less than or equal to 5000",
        ),
        (
            HEAD + steps("{op: load, duration: 10h}"),
            ":5: workload.steps[0].duration: Input should be less than or equal to 3600",
        ),
        (
            HEAD + steps("{op: pause, duration: 2h}"),
            ":5: workload.steps[0].duration: Input should be less than or equal to 3600",
        ),
        (
            HEAD + steps("{op: load, rate: 5000/s, duration: 1h}"),
            ":5: workload.steps[0]: rate × duration plans 18000000 operations: at most 100000 per step",
        ),
        (HEAD + steps(*["{op: load, duration: 1h}"] * 2), ":3: workload: planned to take 7200 s: at most 3600 s"),
        (
            HEAD + "workload:\n  parallel: true\n  steps:\n" + "    - {op: load, count: 1, concurrency: 100}\n" * 3,
            ":3: workload: 300 workers would run at the same time: at most 256",
        ),
        (
            HEAD + steps("parallel: [" + ", ".join(["{op: load, count: 1, concurrency: 100}"] * 3) + "]"),
            ":3: workload: 300 workers would run at the same time: at most 256",
        ),
        (
            HEAD + steps(*["{op: load, count: 1}"] * 201),
            ":3: workload: 201 steps (groups' steps included): at most 200",
        ),
        (
            HEAD
            + faults(*[f"{{at: {i}s, until: {i}.5s, target: OLD.api, toxic: down}}" for i in range(101)])
            + ONE_LOAD,
            ":3: faults: Tuple should have at most 100 items after validation, not 101",
        ),
        (
            HEAD + faults("{at: 2h, target: OLD.api, toxic: down}") + ONE_LOAD,
            ":4: faults[0].at: 7200 s: at most 3600 s",
        ),
        (
            HEAD + faults("{at: 0s, until: 2h, target: OLD.api, toxic: down}") + ONE_LOAD,
            ":4: faults[0].until: 7200 s: at most 3600 s",
        ),
        (
            HEAD + faults("{target: OLD.api, toxic: latency, attributes: {latency: 100000000000000000000}}") + ONE_LOAD,
            ":4: faults[0].attributes.latency: 100000000000000000000: at most 2147483647",
        ),
        (
            HEAD
            + faults(
                *[
                    f"{{target: {t}, toxic: down, until: 1h, flap: {{period: 0.5s, duty: 0.5}}}}"
                    for t in ("OLD.api", "BOLT.api")
                ]
            )
            + ONE_LOAD,
            ":3: faults: expand to 14400 windows (flaps included): at most 10000",
        ),
        ("name: " + "n" * 101 + "\ndescription: d\n" + ONE_LOAD, ":1: name: String should have at most 100 characters"),
        (HEAD + "op_deadline: 1h\n" + ONE_LOAD, ":3: op_deadline: Input should be less than or equal to 600"),
        (
            HEAD + ONE_LOAD + "expect:\n  log_contains: [" + ", ".join(["x"] * 101) + "]\n",
            ":7: expect.log_contains: Tuple should have at most 100 items after validation, not 101",
        ),
    ],
)
def test_over_a_limit_is_rejected_with_file_line_field(tmp_path: Path, body: str, expected: str) -> None:
    found = problems_of(tmp_path, body)
    assert any(p.startswith(expected) for p in found), found


def test_values_at_the_limits_load(tmp_path: Path) -> None:
    seed = f"seed:\n  user_challenges: {{PRIMARY: {limits.MAX_SEED_ROWS}}}\n"
    workload = (
        "workload:\n  parallel: true\n  steps:\n"
        f"    - {{op: load, count: {limits.MAX_COUNT}, concurrency: {limits.MAX_CONCURRENCY}}}\n"
        f"    - {{op: create, rate: {limits.MAX_RATE_PER_S:g}/s, duration: 20s, concurrency: 100}}\n"
        f"    - {{op: pause, duration: {limits.MAX_DURATION_S:g}s}}\n"
        "    - parallel: [{op: load, count: 1, concurrency: 55}]\n"  # 100 + 100 + 1 (the pause) + 55 = 256
    )
    fault = f"faults:\n  - {{target: OLD.api, toxic: latency, attributes: {{latency: {limits.MAX_ATTRIBUTE}}}}}\n"
    loads(tmp_path, "name: " + "n" * limits.MAX_NAME_CHARS + "\ndescription: d\n" + seed + fault + workload)


def test_the_shipped_scenarios_are_within_the_limits() -> None:
    assert load_scenarios(scenario_files([Path(__file__).parents[2] / "examples" / "triple-fallback" / "scenarios"]))


def test_format_md_lists_every_limit() -> None:
    doc = (Path(__file__).parents[2] / "fallback" / "scenario" / "FORMAT.md").read_text(encoding="utf-8")
    table = doc.split("## Limits", 1)[1]
    documented = {int(n) for n in re.findall(r"\| (\d+)(?: s| bytes| per second| characters)?(?: \(.*?\))? \|", table)}
    values = {int(getattr(limits, name)) for name in limits.__all__}
    assert values - {limits.MAX_FAULT_WINDOWS} <= documented and limits.MAX_FAULT_WINDOWS in documented
    assert documented <= values


@pytest.mark.parametrize(
    ("auth", "seed", "expected"),
    [
        ("user:PRIMARY:99999", "", ":3: auth: user 99999 of PRIMARY is not seeded: the seed gives PRIMARY users 0..49"),
        ("user:BOLT:3", "seed:\n  profiles: {BOLT: 3}\n", ":3: auth: user 3 of BOLT is not seeded"),
        ("user:OLD:0", "seed: {profiles: {BOLT: 3}}\n", ":3: auth: user 0 of OLD is not seeded: the seed gives OLD no"),
    ],
)
def test_auth_user_must_be_seeded(tmp_path: Path, auth: str, seed: str, expected: str) -> None:
    found = problems_of(tmp_path, HEAD + f"auth: {auth}\n" + seed + ONE_LOAD)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("auth", "seed"),
    [
        ("user:PRIMARY:49", ""),  # the default seed: the spec's 50 PRIMARY profiles
        ("user:BOLT:2", "seed:\n  profiles: {BOLT: 3}\n"),
        ("user:OLD:0", "seed:\n  user_challenges: {OLD: 4}\n"),  # challenges with no profile belong to user 0
    ],
)
def test_seeded_users_are_accepted(tmp_path: Path, auth: str, seed: str) -> None:
    loads(tmp_path, HEAD + f"auth: {auth}\n" + seed + ONE_LOAD)


def test_a_flap_after_the_planned_end_with_a_tiny_period_loads(tmp_path: Path) -> None:
    # found by Hypothesis: counting its windows divided by a denormal period (-inf), which overflowed
    loads(
        tmp_path,
        HEAD
        + faults("{at: 10s, target: OLD.api, toxic: down, flap: {period: 5.0e-324, duty: 0.5}}")
        + steps("{op: load, duration: 1s}"),
    )
