"""The running test stack: a state dir is never taken over, `status` shows faults, each source has its own
passwords, Toxiproxy keeps one short log per start (issue 12: defect 2 and rough edges)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from typer.testing import CliRunner

from fallback.cli import app
from fallback.stack import compose
from fallback.stack import stack as stack_lib
from fallback.stack.errors import StateDirInUse
from fallback.stack.ports import HOST
from fallback.stack.state import StackState, state_path
from fallback.toxics import Toxiproxy, latency

pytestmark = pytest.mark.stack
EXTERNAL = """
sources:
  - {name: PRIMARY, url: "https://primary.example.supabase.co", anon_key: p}
"""


@pytest.fixture
def guarded_state_file(stack: StackState) -> Iterator[Path]:
    """The test stack's state file, put back as it was if a test overwrote it (so the session can still stop it)."""
    path = state_path(Path(stack.state_dir))
    before = path.read_bytes()
    yield path
    if path.read_bytes() != before:
        path.write_bytes(before)


def test_external_up_refuses_a_state_dir_where_an_embedded_stack_runs(
    stack: StackState, guarded_state_file: Path, tmp_path: Path
) -> None:
    """Defect 2: `stack up --stack external --state-dir D` overwrote the state of the embedded stack running in D;
    `stack down` then stopped nothing and 7 processes were orphaned."""
    before = guarded_state_file.read_bytes()
    config = tmp_path / "external.yaml"
    config.write_text(EXTERNAL)
    args = ["stack", "up", "--stack", "external", "--config", str(config), "--state-dir", stack.state_dir]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert f"holds a running embedded stack ({len(stack.processes)} processes" in result.output
    assert f"fallback-harness stack down --state-dir {stack.state_dir}" in result.output
    assert guarded_state_file.read_bytes() == before
    with pytest.raises(StateDirInUse, match="running embedded stack"):
        options = compose.ComposeOptions(state_dir=Path(stack.state_dir), run_docker=False, env_file=tmp_path / "e")
        stack_lib.start(compose.ComposeStack(options))
    assert guarded_state_file.read_bytes() == before


def test_status_lists_the_faults_that_are_on(stack: StackState, toxics: Toxiproxy) -> None:
    """After `kill -9` of a run its faults stay on: `status` says so instead of a bare "healthy"."""
    status = ["stack", "status", "--state-dir", stack.state_dir]
    clean = CliRunner().invoke(app, [*status, "--json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["active_faults"] == []
    toxics.down("PRIMARY.api")
    toxics.add("BOLT.db", latency(300, jitter=20))
    seen = CliRunner().invoke(app, [*status, "--json"])
    assert seen.exit_code == 0
    assert json.loads(seen.stdout)["active_faults"] == ["BOLT.db latency jitter=20 latency=300", "PRIMARY.api down"]
    text = CliRunner().invoke(app, status).output
    assert "2 faults are on" in text and "PRIMARY.api down" in text and "fault all clear" in text


def _password(dsn: str) -> str:
    return urlsplit(dsn).password or ""


async def _refused(user: str, password: str, port: int) -> bool:
    try:
        conn = await asyncpg.connect(
            host=HOST, port=port, user=user, password=password, database="postgres", timeout=10
        )
    except asyncpg.InvalidPasswordError:
        return True
    await conn.close()
    return False


async def test_each_source_has_its_own_superuser_and_authenticator_password(stack: StackState) -> None:
    supers = [_password(s.db_dsn) for s in stack.sources]
    authenticators = [s.authenticator_password for s in stack.sources]
    assert len(set(supers)) == len(set(authenticators)) == len(stack.sources) and all(supers + authenticators)
    primary, bolt = stack.source("PRIMARY"), stack.source("BOLT")
    assert await _refused("postgres", _password(primary.db_dsn), bolt.pg_port)
    assert await _refused("authenticator", primary.authenticator_password, bolt.pg_port)
    assert not await _refused("authenticator", bolt.authenticator_password, bolt.pg_port)
    assert "authenticator_password" not in json.dumps(stack.public_view())
    assert primary.redacted()["authenticator_password"] == "***"


def test_toxiproxy_logs_at_info_level(stack: StackState, toxics: Toxiproxy) -> None:
    """It logged every API call at debug level, appended forever (2.9 MB in 30 min); now one log per start."""
    for _ in range(20):
        toxics.proxies()  # each was a debug line
    log = Path(stack.state_dir) / "toxiproxy.log"
    levels = {json.loads(line)["level"] for line in log.read_text().splitlines() if line.startswith("{")}
    assert levels and levels <= {"info", "warn", "error"}, levels
    assert log.read_text().count('"Starting Toxiproxy"') == 1
