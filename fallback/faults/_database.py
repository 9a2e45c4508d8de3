"""The database appliers: faults played inside a source's PostgreSQL through its superuser DSN.

Their target is the source itself (`PRIMARY`): a read-only switch, a lock, a slow statement or a
full connection table is a property of the whole project, not of one link. All of them share one
family (`database`): `known_targets` are the stack's sources; `clear_target` and `reset` undo every
database kind on a source, and do nothing (no SQL that disturbs the gateway) when none is on.

- `ReadOnly`: what Supabase does on a full disk, for the API: `default_transaction_read_only = on`
  for the API roles, their sessions terminated so the gateway's pool reconnects and picks it up.
- `SlowQueries`: every API statement sleeps N ms inside PostgreSQL (`_slow.py` explains how).
- `Lock`, `ConnectionsExhausted` (`_holders.py`): a holder process keeps connections open.

SQL goes through asyncpg (the gateway's and the checker's driver), one short connection per call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from fallback.faults._registry import Controls, FaultError

if TYPE_CHECKING:
    from fallback.faults._fault import Fault

T = TypeVar("T")
API_ROLES = ("authenticator", "anon", "authenticated", "service_role")
"""Supabase's API roles (`fallback/stack/sql/00_roles.sql`): the gateway logs in as `authenticator`."""
HOLDER_APP = "fallback-fault"
"""`application_name` prefix of every connection a holder process keeps (`_holders.py`)."""
CONNECT_TIMEOUT_S = 10.0
RESERVED_SLOT_WAIT_S = 15.0

_TERMINATE_API = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid()"
)
_READ_ONLY_SET = (
    "SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
    "WHERE r.rolname = ANY($1::text[]) AND 'default_transaction_read_only=on' = ANY(s.setconfig)"
)


_PROBE = (
    "SELECT ARRAY[(SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'fallback-fault %') "
    "+ (SELECT count(*) FROM pg_roles WHERE rolname = 'fallback_fault_holder'), "
    "(SELECT count(*) FROM pg_policies WHERE policyname = 'fallback_faults_slow'), "
    f"({_READ_ONLY_SET.replace('$1::text[]', 'ARRAY' + repr(list(API_ROLES)))})]"
)
"""Which database faults are on: (holder connections + holder role, slow policies, read-only roles)."""


class DatabaseUnreachable(FaultError):
    """The source's PostgreSQL does not take connections (stopped, killed): nothing can be applied or undone."""


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` from sync code, also when called from a thread that runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _connect(dsn: str) -> asyncpg.Connection:
    """A superuser connection. 53300 is no outage: while a holder keeps every ordinary slot, the superuser has
    only the reserved ones (3), which the harness's own reads may hold for a moment; a reset that took it for
    "unreachable" passed the source over and left the holder keeping PRIMARY's slots after the run."""
    deadline = time.monotonic() + RESERVED_SLOT_WAIT_S
    while True:
        try:
            return await asyncpg.connect(
                dsn, timeout=CONNECT_TIMEOUT_S, server_settings={"application_name": "fallback"}
            )
        except asyncpg.TooManyConnectionsError as exc:
            if time.monotonic() > deadline:
                raise DatabaseUnreachable(f"no connection slot free for the superuser: {exc}") from exc
            await asyncio.sleep(0.05)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            raise DatabaseUnreachable(f"cannot reach the database to play a fault: {exc}") from exc


async def _execute(dsn: str, statements: tuple[tuple[str, tuple[object, ...]], ...]) -> list[object]:
    conn = await _connect(dsn)
    try:
        return [await conn.fetchval(sql, *args) for sql, args in statements]
    finally:
        await conn.close()


def sql(dsn: str, *statements: str | tuple[str, tuple[object, ...]]) -> list[object]:
    """Run each statement as the superuser on one connection, in order; the first value of each."""
    given = tuple((s, ()) if isinstance(s, str) else s for s in statements)
    return run_sync(_execute(dsn, given))


def terminate_api_sessions(dsn: str) -> int:
    """End every session of the API roles (the gateway's pool and LISTEN connection); how many ended."""
    (ended,) = sql(dsn, (_TERMINATE_API, (list(API_ROLES),)))
    return int(str(ended))


def probe(dsn: str) -> tuple[int, int, int]:
    """Which database faults are on: (holder connections + holder role, slow policies, read-only roles), in one
    query; an answer of another shape counts every family as on (the undo then looks at each itself)."""
    (found,) = sql(dsn, _PROBE)
    if not isinstance(found, list) or len(found) != 3:
        return (1, 1, 1)
    holders, slow, read_only = (int(str(n)) for n in found)
    return holders, slow, read_only


class DatabaseFamily:
    """What every database applier shares: the sources are the targets; undo everything on one or all."""

    family = "database"

    def envelope_error(self, kind: str, field: str) -> str | None:
        return f"`{kind}` acts inside PostgreSQL, not on a Toxiproxy stream: `{field}` does not apply"

    def known_targets(self, controls: Controls) -> tuple[str, ...]:
        return tuple(name for name, _ in controls.databases)

    def clear_target(self, target: str, controls: Controls) -> None:
        from fallback.faults._holders import release_holders  # they build on this module
        from fallback.faults._slow import remove_delay

        dsn = controls.database(target)
        holders, slow, read_only = probe(dsn)  # one connection when nothing is on
        if holders:
            release_holders(dsn)
        if slow:
            remove_delay(dsn)
        if read_only:
            _leave_read_only(dsn)

    def reset(self, controls: Controls) -> None:
        """Undo every database fault on every source that can be reached; a dead PostgreSQL is passed over
        (its process died mid-run: the run reports that, not a failed cleanup)."""

        def clear(name: str) -> None:
            with contextlib.suppress(DatabaseUnreachable):
                self.clear_target(name, controls)

        # The sources are independent: probing them at once makes the end of every run (and of each explored
        # schedule) as long as one probe, not one per source.
        names = [name for name, _ in controls.databases]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            list(pool.map(clear, names))


def _leave_read_only(dsn: str) -> None:
    """Undo `ReadOnly` when it is on (no session is terminated when it is not)."""
    (on,) = sql(dsn, (_READ_ONLY_SET, (list(API_ROLES),)))
    if int(str(on)):
        sql(dsn, *(f"ALTER ROLE {role} RESET default_transaction_read_only" for role in API_ROLES))
        terminate_api_sessions(dsn)


class ReadOnly(DatabaseFamily):
    """Supabase's read-only mode on a full disk, as the API sees it: every write fails with 25006.

    `ALTER ROLE ... SET default_transaction_read_only = on` for the API roles (the gateway's login role
    `authenticator` is the one that counts: role settings apply at login), then their sessions are
    terminated so the gateway's pooled connections reconnect with it (the gateway answers 503 for
    about its reconnect backoff, ~1 s, as PostgREST does when its connections are cut). The superuser
    stays writable, so seeding and the history checker still work. Clear: reset, terminate again."""

    def apply(self, fault: Fault, controls: Controls) -> None:
        dsn = controls.database(fault.target)
        sql(dsn, *(f"ALTER ROLE {role} SET default_transaction_read_only = on" for role in API_ROLES))
        terminate_api_sessions(dsn)

    def clear(self, fault: Fault, controls: Controls) -> None:
        _leave_read_only(controls.database(fault.target))
