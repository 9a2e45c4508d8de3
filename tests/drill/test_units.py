"""The drill's pure parts: fault log from Toxiproxy snapshots, shorthand, merge, figures, live states."""

from __future__ import annotations

from pathlib import Path

import pytest

from fallback.drill.figures import drill_figures, errors_by_kind, per_second
from fallback.drill.live import live_view, source_state
from fallback.drill.merge import merge_windows
from fallback.drill.summary import availability_strip, drill_markdown
from fallback.drill.timeline import TimelineError, parse_fail, planned_windows
from fallback.drill.traffic import TrafficPlan, parse_mix
from fallback.drill.watch import FaultLog, snapshot
from fallback.engine.faults import AppliedWindow
from fallback.history import History, SourceCall
from fallback.report.model import ClientRun, FaultTiming

from .histories import op

PROXIES_UP = {"PRIMARY.api": {"enabled": True, "toxics": []}, "BOLT.api": {"enabled": True, "toxics": []}}


def test_snapshot_reads_disabled_proxies_and_toxics() -> None:
    proxies = {
        "PRIMARY.api": {"enabled": False, "toxics": []},
        "BOLT.api": {"enabled": True, "toxics": [{"name": "latency_downstream", "type": "latency"}]},
    }
    assert snapshot(proxies) == {
        "PRIMARY.api": frozenset({("down", "")}),
        "BOLT.api": frozenset({("latency", "latency_downstream")}),
    }


def test_fault_log_opens_and_closes_windows_at_the_polls_that_show_them() -> None:
    log = FaultLog()
    log.feed(0.0, snapshot(PROXIES_UP))
    log.feed(1.0, snapshot({**PROXIES_UP, "PRIMARY.api": {"enabled": False, "toxics": []}}))
    assert log.active() == {"PRIMARY.api": ["down"]}
    log.feed(2.5, snapshot(PROXIES_UP))
    log.feed(3.0, snapshot({**PROXIES_UP, "BOLT.api": {"enabled": True, "toxics": [{"name": "t", "type": "timeout"}]}}))
    windows = log.finish()
    assert [(w.target, w.kind, w.start_s, w.end_s) for w in windows] == [
        ("PRIMARY.api", "down", 1.0, 2.5),
        ("BOLT.api", "timeout", 3.0, None),
    ]


@pytest.mark.parametrize(
    ("text", "target", "toxic", "attributes", "at", "until"),
    [
        ("PRIMARY.api@10s-20s", "PRIMARY.api", "down", {}, 10.0, 20.0),
        ("BOLT.api:latency=300@5s-15s", "BOLT.api", "latency", {"latency": 300}, 5.0, 15.0),
        ("OLD.db:timeout@30s", "OLD.db", "timeout", {}, 30.0, None),
    ],
)
def test_fail_shorthand(
    text: str, target: str, toxic: str, attributes: dict[str, int], at: float, until: float | None
) -> None:
    fault = parse_fail(text)
    expected = (target, toxic, attributes, at, until)
    assert (fault.target, fault.toxic, fault.attributes, fault.at, fault.until) == expected


@pytest.mark.parametrize("text", ["PRIMARY.api", "NOPE.api@1s-2s", "PRIMARY.api@5s-2s", "PRIMARY.api:lag@1s"])
def test_bad_shorthand_is_refused(text: str) -> None:
    with pytest.raises(TimelineError):
        parse_fail(text)


def test_planned_windows_drop_what_starts_after_the_drill() -> None:
    windows = planned_windows(["PRIMARY.api@10s-20s", "BOLT.api@40s-50s"], None, 30.0)
    assert [(w.target, w.start_s, w.end_s) for w in windows] == [("PRIMARY.api", 10.0, 20.0)]


@pytest.mark.parametrize(
    "fails",
    [
        ["PRIMARY.api@1s-3s", "PRIMARY.api@2s-6s"],  # defect 6: the first end re-enabled the proxy at 3 s
        ["PRIMARY.api@2s-6s", "PRIMARY.api@1s-3s"],
        ["PRIMARY.api@1s", "PRIMARY.api@8s-9s"],  # open-ended: lasts until the drill ends
    ],
)
def test_overlapping_down_windows_on_one_target_are_refused(fails: list[str]) -> None:
    with pytest.raises(TimelineError, match=r"overlaps --fail .*\(down on PRIMARY\.api\).*merge the two windows"):
        planned_windows(fails, None, 10.0)


def test_windows_that_touch_or_differ_are_accepted() -> None:
    fails = ["PRIMARY.api@1s-3s", "PRIMARY.api@3s-6s", "BOLT.api@2s-4s", "PRIMARY.api:latency=5@1s-9s"]
    windows = planned_windows(fails, None, 10.0)
    assert [(w.target, w.toxic, w.start_s, w.end_s) for w in windows] == [
        ("PRIMARY.api", "down", 1.0, 3.0),
        ("PRIMARY.api", "latency", 1.0, 9.0),
        ("BOLT.api", "down", 2.0, 4.0),
        ("PRIMARY.api", "down", 3.0, 6.0),
    ]


def test_a_fail_overlapping_the_scenario_files_faults_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: s\ndescription: d\nfaults:\n  - {at: 1s, until: 5s, target: PRIMARY.api, toxic: down}\n"
        "workload:\n  steps:\n    - {op: load, count: 1}\n"
    )
    with pytest.raises(TimelineError, match=r"--fail 'PRIMARY.api@4s-6s' overlaps .*s\.yaml faults\[0\]"):
        planned_windows(["PRIMARY.api@4s-6s"], scenario, 10.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PRIMARY.api:latency@1s", "--fail 'PRIMARY.api:latency@1s': latency needs a value (ms)"),
        ("PRIMARY.api:latency=1.5@1s", "value: latency must be a whole number of ms, got 1.5"),
        ("PRIMARY.api:down=3@1s", "`down` takes no value"),
        ("NOPE.api@1s-2s", "--fail 'NOPE.api@1s-2s': target: unknown target 'NOPE.api' (known: PRIMARY.api,"),
        ("PRIMARY.api:lag@1s", "kind: unknown toxic 'lag' (known: down, latency,"),
        ("PRIMARY.api@5s-2s", "end: must be later than `at` (5s), got 2s"),
        ("PRIMARY.api@x", "invalid duration 'x'"),
        ("BOLT.api:latency=99999999999999999999@1s", "latency is at most 2147483647, got 99999999999999999999"),
    ],
)
def test_fail_errors_are_in_our_words(text: str, expected: str) -> None:
    with pytest.raises(TimelineError) as info:
        parse_fail(text)
    message = str(info.value)
    assert expected in message
    assert "validation error" not in message and "pydantic" not in message and "\n" not in message


def test_merge_prefers_the_timeline_and_keeps_live_faults() -> None:
    from fallback.drill.watch import ObservedWindow

    window = planned_windows(["PRIMARY.api@10s-20s"], None, 30.0)[0]
    applied = [AppliedWindow(window, 10.002, 20.001)]
    observed = [
        ObservedWindow("PRIMARY.api", "down", "", 10.05, 20.08),
        ObservedWindow("BOLT.api", "latency", "latency_downstream", 12.0, None),
    ]
    merged = merge_windows(applied, observed)
    assert [(t.target, t.origin, t.start_s, t.end_s) for t in merged] == [
        ("PRIMARY.api", "timeline", 10.002, 20.001),
        ("BOLT.api", "observed", 12.0, None),
    ]


def _drill_history() -> History:
    history = History()
    ok = [SourceCall(source=s, kind="ok") for s in ("PRIMARY", "BOLT", "OLD")]
    refused = [SourceCall(source="PRIMARY", kind="refused"), *ok[1:]]
    op(history, "load", 0.1, 0.15, "ok", calls=ok)
    op(history, "create", 1.0, 1.05, "ok", source="PRIMARY", calls=ok[:1])
    op(history, "load", 2.0, 2.02, "ok", calls=refused)  # detect + fail over at 2.02 (fault at 2.0)
    op(history, "create", 2.2, 2.3, "ok", source="BOLT", calls=[refused[0], ok[1]])
    op(history, "update", 2.4, 2.5, "fail", error="refused", calls=refused[:1])
    op(history, "load", 3.1, 3.3, "ok", calls=ok)  # recovered 0.3 s after the fault cleared at 3.0
    op(history, "create", 3.5, None, None)  # cut off by the end
    return history


def test_figures_from_a_history() -> None:
    history = _drill_history()
    window = FaultTiming(target="PRIMARY.api", toxic="down", start_s=2.0, end_s=3.0, origin="timeline")
    figures = drill_figures(history, [window], None, rate_per_s=2, duration_s=4, interrupted=False)
    assert figures.operations == 7
    assert figures.availability == pytest.approx(5 / 7)
    timing = figures.faults[0]
    assert (timing.time_to_detect_s, timing.time_to_fail_over_s, timing.time_to_recover_s) == (0.02, 0.02, 0.3)
    assert errors_by_kind(history) == {"cut_off": 1, "update:refused": 1}
    assert [(b.t_s, b.ops, b.ok) for b in per_second(history)] == [(0, 1, 1), (1, 1, 1), (2, 3, 2), (3, 2, 1)]
    text = drill_markdown(ClientRun(client="reference", verdict="pass", drill=figures))
    assert "| PRIMARY.api down | 2.00s–3.00s | timeline | 0.020 s | 0.020 s | 0.300 s |" in text
    assert availability_strip(figures) == "██▒▒"


def test_calls_an_interrupted_drill_cut_off_are_not_counted_against_the_system() -> None:
    history = _drill_history()
    figures = drill_figures(history, [], None, rate_per_s=2, duration_s=4, interrupted=True)
    assert figures.availability == pytest.approx(5 / 6)  # the cut-off create is the harness's own doing
    assert figures.availability_all == pytest.approx(5 / 7)
    assert figures.excluded == 1 and figures.excluded_failed == 1
    assert errors_by_kind(history)["cut_off"] == 1  # still reported, as what it is
    assert [b.excluded for b in per_second(history, interrupted=True)] == [0, 0, 0, 1]


def test_breaker_refusals_are_not_detections() -> None:
    history = History()
    op(
        history,
        "load",
        2.1,
        2.2,
        "ok",
        calls=[SourceCall(source="PRIMARY", kind="breaker_open"), SourceCall(source="BOLT", kind="ok")],
    )
    window = FaultTiming(target="PRIMARY.db", toxic="down", start_s=2.0, end_s=None, origin="observed")
    timing = drill_figures(history, [window], None, rate_per_s=1, duration_s=3, interrupted=True).faults[0]
    assert timing.time_to_detect_s is None
    assert timing.time_to_fail_over_s == pytest.approx(0.2)
    assert timing.time_to_recover_s is None


def test_source_states() -> None:
    assert source_state([], None) == "idle"
    assert source_state(["ok", "ok"], "closed") == "healthy"
    assert source_state(["ok", "refused"], None) == "degraded"
    assert source_state(["refused", "timeout"], None) == "down"
    assert source_state(["breaker_open"], None) == "breaker open"
    assert source_state(["ok"], "open") == "breaker open"


def test_live_view_over_the_last_seconds() -> None:
    history = _drill_history()
    view = live_view(
        history.completions(),
        now=3.4,
        duration_s=4,
        issued=7,
        sources=("PRIMARY", "BOLT", "OLD"),
        metrics={"breakers": {"PRIMARY": "open"}, "distribution": {"user_challenges": {"BOLT": 3}}},
        faults={"PRIMARY.api": ["down"]},
    )
    assert view.sources[0].state == "breaker open" and view.sources[0].faults == ("api:down",)
    assert view.sources[1].state == "healthy"
    assert view.fallback_rate == pytest.approx(2 / 5)


def test_traffic_plan_and_mix() -> None:
    assert parse_mix("load=7, create=2,update=1") == {"load": 7, "create": 2, "update": 1}
    assert TrafficPlan(rate_per_s=50, duration_s=30).op_budget == 1500
    assert TrafficPlan(rate_per_s=50, duration_s=30, max_ops=100).op_budget == 100
    assert not TrafficPlan(mix={"load": 1}).writes()
    assert TrafficPlan(mix={"delete": 1}).writes()  # a delete is a write (any table: issue 14)
    with pytest.raises(ValueError, match="unknown operations"):
        TrafficPlan(mix={"purge": 1})
    with pytest.raises(ValueError):
        parse_mix("load")
