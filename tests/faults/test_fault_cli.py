"""`fallback-harness fault` on the real test stack: bad input says what is wrong in our words and changes nothing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.faults import Controls, Fault, FaultConflict, UnknownTarget
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

pytestmark = pytest.mark.stack


def _fault(stack: StackState, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["fault", *args, "--state-dir", stack.state_dir])
    return result.exit_code, " ".join(result.output.split())  # rich wraps long lines


def _untouched(toxics: Toxiproxy) -> bool:
    return all(p["enabled"] and not p["toxics"] for p in toxics.proxies().values())


def test_latency_without_a_value_says_what_is_missing(stack: StackState, toxics: Toxiproxy) -> None:
    code, output = _fault(stack, "BOLT.api", "latency")
    assert code == 2 and "latency needs a value: its latency in ms" in output
    assert "fault BOLT.api latency 300" in output
    assert _untouched(toxics)  # it used to add a 1000 ms latency


def test_all_goes_with_clear_only(stack: StackState, toxics: Toxiproxy) -> None:
    code, output = _fault(stack, "all", "down")
    assert code == 2 and "unknown target 'all'" in output and "`all` goes with `clear` only" in output
    assert "PRIMARY.api" in output and "OLD.db" in output  # the known targets
    assert "404" not in output and "Toxiproxy" not in output
    assert _untouched(toxics)


def test_a_second_toxic_of_one_kind_is_refused_in_our_words(stack: StackState, toxics: Toxiproxy) -> None:
    assert _fault(stack, "BOLT.api", "latency", "200")[0] == 0
    code, output = _fault(stack, "BOLT.api", "latency", "300")
    assert code == 2 and "BOLT.api already has a latency toxic" in output
    assert f"clear it first with `fallback-harness fault BOLT.api clear --state-dir {stack.state_dir}`" in output
    assert "409" not in output
    [toxic] = toxics.toxics("BOLT.api")
    assert toxic["attributes"] == {"latency": 200, "jitter": 0}  # the first one stays as it was
    assert _fault(stack, "BOLT.api", "clear") == (0, "cleared BOLT.api")
    assert _untouched(toxics)


def test_up_undoes_down_and_a_fault_on_a_missing_proxy_is_an_unknown_target(
    stack: StackState, toxics: Toxiproxy
) -> None:
    assert _fault(stack, "OLD.api", "down")[0] == 0
    assert toxics.proxies()["OLD.api"]["enabled"] is False
    assert _fault(stack, "OLD.api", "up") == (0, "OLD.api up")
    assert _untouched(toxics)
    controls = Controls(toxics)
    with pytest.raises(UnknownTarget, match=r"unknown target 'NEW\.api' \(known: .*PRIMARY\.api"):
        Fault("NEW.api", "down").apply(controls)  # a well-formed name the stack does not have
    Fault("PRIMARY.db", "timeout").apply(controls)
    with pytest.raises(FaultConflict):
        Fault("PRIMARY.db", "timeout").apply(controls)
    Fault("PRIMARY.db", "timeout").clear(controls)
    Fault("PRIMARY.db", "timeout").clear(controls)  # already gone: not an error
    assert _untouched(toxics)
