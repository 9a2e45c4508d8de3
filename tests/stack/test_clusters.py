"""PostgreSQL clusters on disk: copies that appear whole or not at all, and a server that runs with the
`postgres` user's own group (defects 1 and 12 of issue 12)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from fallback.stack import postgres, wait
from fallback.stack.binaries import postgres_bindir
from fallback.stack.ports import HOST, port_is_free

pytestmark = pytest.mark.stack
TEST_BASE_PORT = int(os.environ.get("FALLBACK_TEST_BASE_PORT", "25500"))


def _free_port() -> int:
    """PostgreSQL's port in these tests: in the tester's block, beside the session's test stack; one free now (odd
    ones first: from 32768 up, Linux gives even ports to outgoing connections, which hold them in TIME_WAIT)."""
    block = TEST_BASE_PORT + 290
    for port in [*range(block + 1, block + 10, 2), *range(block, block + 10, 2)]:
        if port_is_free(port):
            return port
    pytest.fail(f"no free port from {TEST_BASE_PORT + 290} to {TEST_BASE_PORT + 299}")


as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to another user (`postgres`)")


@pytest.fixture
def state_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Inside the repository: PostgreSQL (run as `postgres` under root) cannot enter /tmp/pytest-of-root."""
    base = Path(__file__).resolve().parents[2] / ".stack-test-clusters" / request.node.name
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    yield base / "state"
    shutil.rmtree(base, ignore_errors=True)


def _serves_queries(state_dir: Path, name: str) -> int:
    """Start the source's server, check it answers a query with its own password, stop it; returns the answer."""
    port = _free_port()
    record = postgres.start(state_dir, name, port)
    try:
        argv = [str(postgres_bindir() / "pg_isready"), "-q", "-h", HOST, "-p", str(port)]
        log = postgres.cluster_paths(state_dir, name).log
        wait.until(lambda: subprocess.run(argv, check=False).returncode == 0, f"PostgreSQL of {name}", record, log)

        async def one() -> int:
            conn = await asyncpg.connect(postgres.superuser_dsn(state_dir, name, port), timeout=10)
            try:
                return int(await conn.fetchval("select 1"))
            finally:
                await conn.close()

        return asyncio.run(one())
    finally:
        postgres.stop(record)


@as_root
def test_a_half_copied_cluster_left_by_root_is_rebuilt(state_dir: Path) -> None:
    """Defect 1: an interrupted copy left a root-owned cluster with PG_VERSION; every later start failed with
    "postgresql.conf: Permission denied". The next start rebuilds it."""
    postgres.ensure_cluster(state_dir, "BOLT")  # makes the template
    half = postgres.cluster_paths(state_dir, "PRIMARY").data
    shutil.copytree(state_dir / "template-pgdata", half, symlinks=True)  # what the old in-place copy left ...
    shutil.rmtree(half / "global")  # ... half done, and never handed to `postgres`
    assert (half / "PG_VERSION").exists() and half.stat().st_uid == 0
    assert _serves_queries(state_dir, "PRIMARY") == 1
    assert half.stat().st_uid != 0


def test_an_interrupted_copy_leaves_no_cluster_behind(state_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defect 1: the copy is made aside and renamed into place only once it is complete and handed over."""
    real_chown = postgres._chown_to

    def interrupted(path: Path, run_as: object) -> None:
        if path.name.startswith("pgdata"):
            raise KeyboardInterrupt
        real_chown(path, run_as)  # type: ignore[arg-type]

    monkeypatch.setattr(postgres, "_chown_to", interrupted)
    with pytest.raises(KeyboardInterrupt):
        postgres.ensure_cluster(state_dir, "PRIMARY")
    data = postgres.cluster_paths(state_dir, "PRIMARY").data
    assert not (data / "PG_VERSION").exists(), "an interrupted copy must not look like a cluster"
    monkeypatch.setattr(postgres, "_chown_to", real_chown)
    paths = postgres.ensure_cluster(state_dir, "PRIMARY")
    assert (paths.data / "PG_VERSION").exists() and paths.superuser_password_file.exists()
    run_as = postgres.server_user()
    assert run_as is None or paths.data.stat().st_uid == run_as.user


@as_root
def test_the_server_runs_under_a_parent_of_mode_0701(state_dir: Path) -> None:
    """Defect 12: a project under a 0701 (or 0711) directory, e.g. a home directory: PostgreSQL ran with the
    `postgres` uid but root's gid, so the directory's group bits (none) shut it out. It now runs with its own group.
    """
    private = state_dir.parent / "home"
    private.mkdir()
    private.chmod(0o701)  # owner root, group root: only "others" may enter
    inner = private / "project" / "state"
    assert _serves_queries(inner, "OLD") == 1


@as_root
def test_an_unreachable_state_dir_is_named_before_anything_starts(state_dir: Path) -> None:
    private = state_dir.parent / "home"
    private.mkdir()
    private.chmod(0o770)  # owner and group root only
    with pytest.raises(postgres.StackError, match=rf"cannot enter {private} \(mode 770\)"):
        postgres.ensure_cluster(private / "state", "OLD")
