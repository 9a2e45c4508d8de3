"""The database kinds' registry entries and input checks: pure logic, no servers."""

from __future__ import annotations

import pytest

from fallback.drill.timeline import TimelineError, parse_fail
from fallback.faults import Controls, Fault, UnknownTarget, fault_kind
from fallback.faults_cli import parse_fault
from fallback.toxics import Toxiproxy


def test_database_kinds_act_on_a_source_and_take_no_envelope() -> None:
    for name in ("read_only", "lock", "slow_queries", "connections_exhausted"):
        kind = fault_kind(name)
        assert kind.targets == frozenset({"source"}) and not kind.takes_envelope()
        with pytest.raises(ValueError, match=r"acts on `<SOURCE>`, not 'PRIMARY.db'"):
            Fault("PRIMARY.db", name, {"delay": 100} if name == "slow_queries" else {})
    with pytest.raises(ValueError, match=r"latency acts on `<SOURCE>\.api\|db`, not 'PRIMARY'"):
        Fault("PRIMARY", "latency", {"latency": 1})


def test_text_attributes_take_one_of_their_choices_only() -> None:
    lock = Fault("BOLT", "lock", {"table": "profiles", "mode": "access_exclusive"})
    assert lock.resolved_attributes == {"table": "profiles", "mode": "access_exclusive", "rows": 0}
    with pytest.raises(ValueError, match=r"unknown table 'user_challenge'.*did you mean 'user_challenges'"):
        Fault("BOLT", "lock", {"table": "user_challenge"})
    with pytest.raises(ValueError, match="mode must be one of row, exclusive, access_exclusive, got 3"):
        Fault("BOLT", "lock", {"mode": 3})
    with pytest.raises(ValueError, match="rows must be a number of rows, got 'all'"):
        Fault("BOLT", "lock", {"rows": "all"})
    with pytest.raises(ValueError, match="delay must be <= 600000"):
        Fault("BOLT", "slow_queries", {"delay": 600_001})


def test_the_command_line_and_drills_name_a_source_as_target() -> None:
    assert parse_fault("PRIMARY", "slow_queries", 250).resolved_attributes == {"delay": 250}
    assert parse_fault("OLD", "read_only", None).resolved_attributes == {}
    with pytest.raises(ValueError, match="`read_only` takes no value"):
        parse_fault("OLD", "read_only", 1)
    with pytest.raises(ValueError, match="--stream"):
        parse_fault("OLD", "lock", None, stream="upstream")
    fault = parse_fail("PRIMARY:read_only@5s-9s")
    assert (fault.target, fault.toxic, fault.at, fault.until) == ("PRIMARY", "read_only", 5.0, 9.0)
    assert parse_fail("BOLT:slow_queries=500@1s").attributes == {"delay": 500}
    with pytest.raises(TimelineError, match="needs a value"):
        parse_fail("BOLT:slow_queries@1s")


def test_controls_name_the_sources_they_know() -> None:
    with Toxiproxy("http://127.0.0.1:9") as toxiproxy:  # never called
        controls = Controls(toxiproxy, databases=(("PRIMARY", "postgresql://x"),))
        assert controls.database("PRIMARY") == "postgresql://x"
        with pytest.raises(UnknownTarget, match=r"unknown target 'BOLT' \(known: PRIMARY\)"):
            controls.database("BOLT")
