"""A throwaway PostgreSQL cluster: a temp dir, a free port, gone at the end of the block.

    async with scratch_postgres() as dsn:       # the superuser's DSN of an empty, running cluster
        conn = await asyncpg.connect(dsn)
    with scratch_postgres_sync() as dsn: ...   # the same from synchronous code
    schema = await schema_from_scratch(project, "LEGACY")   # what a source's migrations build, no stack

For work that needs a real PostgreSQL but no stack: building a project's schema from its migrations
to cache it (`fallback.project.cache`), tests. The cluster is made and run by the stack's own
functions (`postgres.ensure_cluster`, `postgres.start`, `postgres.wait_accepting`, `postgres.stop`):
same server settings, same superuser-password handling, same run-as-`postgres` rule when we are root.
Its data lives in a fresh temp dir that is removed with it, also on failure and Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fallback.project.introspect import introspect
from fallback.project.model import Project
from fallback.project.schema import ProjectSchema
from fallback.stack import postgres, process
from fallback.stack.errors import StartFailed
from fallback.stack.load import migrations_digest
from fallback.stack.migrate import load_source, plan_for
from fallback.stack.ports import HOST

__all__ = ["schema_from_scratch", "scratch_postgres", "scratch_postgres_sync"]

_NAME = "SCRATCH"
_ATTEMPTS = 3


def _free_port() -> int:
    """A port the kernel says is free now (from its ephemeral range: another process may take it before
    PostgreSQL binds it, so a start that fails to bind is retried on another port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _make_dir(parent: Path | None) -> Path:
    root = Path(tempfile.mkdtemp(prefix="fallback-scratch-pg-", dir=parent))
    # PostgreSQL may run as the `postgres` user (we are root): it must be able to enter the dir to reach its data.
    root.chmod(0o711)
    return root


@contextmanager
def scratch_postgres_sync(*, port: int | None = None, parent: Path | None = None) -> Iterator[str]:
    """A running empty cluster for the block; yields the superuser's DSN (database `postgres`).

    `port`: where it listens (default: a free port); `parent`: where its temp dir goes (default: the
    system's temp dir). Raises StartFailed (with the server log's tail) when it does not start.
    """
    root = _make_dir(parent)
    try:
        postgres.check_reachable(root, postgres.server_user())
        postgres.ensure_cluster(root, _NAME)
        chosen = _start(root, port)
        yield postgres.superuser_dsn(root, _NAME, chosen)
    finally:
        # Every server started on this dir, also one whose record an interrupt kept from us (see process.spawned).
        for record in process.spawned().values():
            if record.cmdline_hint == str(postgres.cluster_paths(root, _NAME).data):
                postgres.stop(record)
        shutil.rmtree(root, ignore_errors=True)


def _start(root: Path, port: int | None) -> int:
    """Start the server on `port` or on a free one (retried when another process took it first); its port."""
    for attempt in range(1, _ATTEMPTS + 1):
        chosen = port if port is not None else _free_port()
        record = postgres.start(root, _NAME, chosen)
        try:
            postgres.wait_accepting(record, root, _NAME, chosen, timeout_s=30)
            return chosen
        except StartFailed as exc:
            postgres.stop(record)
            if port is not None or attempt == _ATTEMPTS or "already in use" not in str(exc):
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


@asynccontextmanager
async def scratch_postgres(*, port: int | None = None, parent: Path | None = None) -> AsyncIterator[str]:
    """`scratch_postgres_sync` for async code: starting and stopping run in a worker thread, off the loop."""
    stack = contextlib.ExitStack()
    entering = asyncio.ensure_future(
        asyncio.to_thread(stack.enter_context, scratch_postgres_sync(port=port, parent=parent))
    )
    try:
        dsn = await asyncio.shield(entering)
    except BaseException:
        # Cancelled (Ctrl-C) while the server starts: the thread goes on; let it finish, then stop what it started.
        with contextlib.suppress(BaseException):
            await entering
        await asyncio.to_thread(stack.close)
        raise
    try:
        yield dsn
    finally:
        await asyncio.shield(asyncio.to_thread(stack.close))


async def schema_from_scratch(
    project: Project, source: str | None = None, *, parent: Path | None = None
) -> ProjectSchema:
    """The schema `source`'s migrations and seeds build (default: the first source's), read from a scratch cluster
    loaded as `stack up` loads a source; MigrationFailed (file, line, PostgreSQL's message) when one fails."""
    name = source if source is not None else project.source_names[0]
    plan = plan_for(project, name)
    async with scratch_postgres(parent=parent) as dsn:
        password = secrets.token_urlsafe(16)
        await load_source(dsn, plan, source=name, authenticator_password=password, schemas=project.schemas)
        schema = await introspect(dsn, project.schemas)
    return schema.model_copy(update={"migrations_digest": migrations_digest(plan)})
