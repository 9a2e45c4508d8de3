"""The auth fault `jwt_rotated` on the real test stack: applied, seen by real HTTP requests holding the
stack's keys and a user token (401 PGRST301), cleared (200 again), and nothing left rotated on every
path: the fault's own clear, `fault SOURCE clear`, `fault all clear`, a run's `clear_all` and `reset_all`
(what `stack down` calls first)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.engine.faults import FaultTimeline
from fallback.faults import Controls, Fault, FaultConflict, fault_kind, reset_all
from fallback.stack import keys
from fallback.stack import stack as stack_lib
from fallback.stack.restart import rotated_jwt_secret
from fallback.stack.state import StackState
from fallback.toxics import Toxiproxy

from .conftest import undone_after

pytestmark = pytest.mark.stack
USER = "00000000-0000-0000-0000-0000000000bb"


@pytest.fixture
def controls(stack: StackState, toxics: Toxiproxy) -> Iterator[Controls]:
    yield from undone_after(stack, toxics, clean=lambda: rotated(stack) == {}, healthy=True)


def rotated(stack: StackState) -> dict[str, str]:
    """Each source whose gateway does not verify with the stack's own secret: a rotation note, or a config."""
    found: dict[str, str] = {}
    for source in stack.sources:
        if rotated_jwt_secret(stack, source.name) is not None:
            found[source.name] = "note"
        config = json.loads((Path(stack.state_dir) / source.name / "gateway.json").read_text())
        if config["jwt_secret"] != source.jwt_secret:
            found[source.name] = "gateway config"
    return found


def status(stack: StackState, source: str, token: str | None = None) -> tuple[int, str | None]:
    """(HTTP status, PostgREST code) of a read of `source` with its service_role key (and `token`)."""
    endpoints = stack.source(source)
    bearer = token or endpoints.service_role_key
    response = httpx.get(
        f"{endpoints.api_url}/rest/v1/user_challenges?select=id",
        headers={"apikey": endpoints.service_role_key, "Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    code = response.json().get("code") if response.status_code >= 400 else None
    return response.status_code, code


def test_jwt_rotated_refuses_every_key_and_token_with_401_pgrst301(stack: StackState, controls: Controls) -> None:
    bolt = stack.source("BOLT")
    user = keys.user_token(bolt.jwt_secret, USER)
    assert status(stack, "BOLT") == (200, None) and status(stack, "BOLT", user) == (200, None)
    fault = Fault("BOLT", "jwt_rotated")
    fault.apply(controls)
    with pytest.raises(FaultConflict):
        fault.apply(controls)
    assert status(stack, "BOLT") == (401, "PGRST301")
    assert status(stack, "BOLT", bolt.anon_key) == (401, "PGRST301")
    assert status(stack, "BOLT", user) == (401, "PGRST301")
    assert status(stack, "PRIMARY") == (200, None)  # one project's secret only
    assert rotated(stack) == {"BOLT": "gateway config"}
    assert stack.latest().source("BOLT").service_role_key == bolt.service_role_key  # clients hold these
    fault.clear(controls)
    assert status(stack, "BOLT") == (200, None) and status(stack, "BOLT", user) == (200, None)
    assert rotated(stack) == {}


def test_a_gateway_killed_during_the_window_comes_back_rotated(stack: StackState, controls: Controls) -> None:
    Fault("BOLT", "jwt_rotated").apply(controls)
    kill = Fault("BOLT.gateway", "kill", {"restart_after": 0})
    kill.apply(controls)
    kill.clear(controls)  # restarted, from the stack's state and the rotation note
    assert status(stack, "BOLT") == (401, "PGRST301")


def test_every_cleanup_path_restores_the_secret(stack: StackState, controls: Controls) -> None:
    def fault(*args: str) -> int:
        return CliRunner().invoke(app, ["fault", *args, "--state-dir", stack.state_dir]).exit_code

    assert fault("OLD", "jwt_rotated") == 0  # from the command line, as another process
    assert status(stack, "OLD") == (401, "PGRST301")
    assert fault("OLD", "clear") == 0
    assert status(stack, "OLD") == (200, None) and rotated(stack) == {}

    assert fault("OLD", "jwt_rotated") == 0
    assert fault("all", "clear") == 0
    assert status(stack, "OLD") == (200, None) and rotated(stack) == {}

    Fault("PRIMARY", "jwt_rotated").apply(controls)
    FaultTimeline(controls, ()).clear_all(0.0)  # the end of every run, failure and Ctrl-C included
    assert status(stack, "PRIMARY") == (200, None) and rotated(stack) == {}

    Fault("PRIMARY", "jwt_rotated").apply(controls)
    reset_all(controls)  # what `stack down` does first
    assert rotated(stack) == {}
    reset_all(controls)  # nothing on: no restart
    assert stack_lib.is_healthy(stack)


def test_jwt_rotated_takes_no_envelope_and_acts_on_a_source() -> None:
    kind = fault_kind("jwt_rotated")
    assert kind.target_shapes == "`<SOURCE>`" and not kind.takes_envelope() and kind.exclusive
    with pytest.raises(ValueError, match=re.escape("acts on `<SOURCE>`, not 'BOLT.api'")):
        kind.check_target("BOLT.api")
