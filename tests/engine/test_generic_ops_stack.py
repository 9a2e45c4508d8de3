"""Protocol 2's operations end to end on the real stack, for both Python clients: a delete and an
update routed to their rows' own sources, creates, a call with args, a load with PostgREST's select,
filter and order; the history checker judges every write (fixtures/generic-ops.yaml)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from fallback.engine import run_client
from fallback.scenario import load_scenarios
from fallback.stack.state import StackState

pytestmark = pytest.mark.stack
SCENARIO = Path(__file__).parent / "fixtures" / "generic-ops.yaml"


@pytest.mark.parametrize("client", ["reference", "spec"])
def test_generic_operations_pass_and_every_write_is_checked(stack: StackState, client: str) -> None:
    [scenario] = load_scenarios([SCENARIO])
    run = asyncio.run(run_client(scenario, client, stack))
    assert run.verdict == "pass", [(e.name, e.expected, e.observed) for e in run.expectations if not e.passed]
    assert run.checker is not None and run.checker.valid
    kinds = [e.name for e in run.expectations]
    assert {"merged_count", "source_counts", "availability: delete", "availability: assign_mt5"} <= set(kinds)
    assert any("Assigning credentials to OLD DB..." in line for line in run.logs)


def test_a_client_that_refuses_the_stack_makes_the_run_an_error_in_its_words(stack: StackState) -> None:
    fake = Path(__file__).parents[1] / "adapters" / "fake_client.py"
    [scenario] = load_scenarios([SCENARIO])
    run = asyncio.run(run_client(scenario, f"cmd:{sys.executable} {fake} refuse-configure", stack))
    assert run.verdict == "error" and run.error is not None
    assert "ClientRefused" in run.error and "made for PRIMARY, BOLT, OLD" in run.error
