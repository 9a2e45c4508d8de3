"""`faults_on` (what `stack status` lists) on the real test stack: one fault of every family put on, each
found where its state lives, and nothing listed once `reset_all` has undone them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.faults import Controls, Fault, faults_on
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

from .conftest import undone_after

pytestmark = pytest.mark.stack

ONE_OF_EACH = (
    Fault("PRIMARY.api", "latency", {"latency": 300}),
    Fault("BOLT.api", "down"),
    Fault("BOLT", "read_only"),
    Fault("OLD", "slow_queries", {"delay": 200}),
    Fault("PRIMARY", "lock", {"table": "user_challenges", "mode": "row"}),
    Fault("OLD.gateway", "pause"),
    Fault("PRIMARY.api", "edge_status", {"status": 520}),
    Fault("PRIMARY", "tokens_expire"),
)
LISTED = {
    ("PRIMARY.api", "latency"),
    ("BOLT.api", "down"),
    ("BOLT", "read_only"),
    ("OLD", "slow_queries"),
    ("PRIMARY", "lock or connections_exhausted"),
    ("OLD.gateway", "pause"),
    ("PRIMARY.api", "edge_status"),
    ("PRIMARY", "tokens_expire"),
}


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    yield from undone_after(
        stack, toxics, clean=lambda: faults_on(Controls.of_stack(toxics, stack)) == (), healthy=True
    )


def test_every_family_is_listed_while_on_and_none_after_reset(stack: StackState, controls: Controls) -> None:
    assert faults_on(controls) == ()
    for fault in ONE_OF_EACH:
        fault.apply(controls)
    on = faults_on(controls)
    assert {(f.target, f.kind) for f in on} == LISTED
    assert next(f for f in on if f.kind == "latency").detail == "jitter=0 latency=300"
    assert "status=520" in next(f for f in on if f.kind == "edge_status").detail

    status = CliRunner().invoke(app, ["stack", "status", "--json", "--state-dir", str(stack.state_dir)])
    listed = json.loads(status.stdout)["active_faults"]
    assert len(listed) == len(LISTED) and "OLD.gateway pause" in listed


def test_a_paused_postgres_is_listed_without_waiting_for_its_probe(stack: StackState, controls: Controls) -> None:
    Fault("BOLT.postgres", "pause").apply(controls)
    assert [(f.target, f.kind) for f in faults_on(controls)] == [("BOLT.postgres", "pause")]
