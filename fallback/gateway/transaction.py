"""One request = one transaction, set up as PostgREST sets it up.

BEGIN → set_config(role, request.jwt.claims, statement_timeout, request.*) → the statement →
COMMIT (or ROLLBACK when the statement, or a check on its result, fails).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from . import errors
from .auth import Principal
from .db import Database
from .gucs import RequestEnv
from .sql import Statement

SETUP_SQL = (
    "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true), "
    "set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true), "
    "set_config('statement_timeout', $4, true), set_config('request.method', $5, true), "
    "set_config('request.path', $6, true), set_config('request.headers', $7, true), "
    "set_config('request.cookies', $8, true), set_config('search_path', $9, true), "
    "CASE WHEN $10::text IS NULL THEN NULL ELSE set_config('timezone', $10, true) END"
)
BEGIN_READ = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"


@dataclass(frozen=True)
class Outcome:
    page_total: int
    """Rows in this response (or rows affected, for a minimal mutation)."""
    body: str | None = None
    """A JSON array as PostgreSQL printed it; None for a minimal mutation."""
    total: int | None = None
    """The exact count when one was asked for."""
    inserted: int | None = None
    """Rows an upsert inserted (not updated); None when the statement does not tell."""
    location: str | None = None
    """The inserted row's primary key as a JSON object (text), for `Location`; None unless asked for."""
    raw: bytes | None = None
    """The body as bytes, when the statement's body column is bytea (a function's raw `image/png`, ...)."""
    response_headers: str | None = None
    """What the statement's SQL left in `response.headers` (gucs.py); None when unset."""
    response_status: str | None = None
    """What it left in `response.status`; None when unset."""


def _affected(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


async def _end(conn: asyncpg.Connection, outcome: Outcome, rollback: bool, timeout: float) -> Outcome:
    async with asyncio.timeout(timeout):
        await conn.execute("ROLLBACK" if rollback else "COMMIT")
    return outcome


async def execute(
    db: Database,
    principal: Principal,
    statement: Statement,
    *,
    env: RequestEnv,
    read_only: bool,
    rows: bool,
    check: Callable[[Outcome], None] | None = None,
    rollback: bool = False,
    planned: Statement | None = None,
    explain: str | None = None,
) -> Outcome:
    """Run `statement` for `principal`. `rows`: it yields (page_total, body, total[, inserted, location]);
    else a command status. `rollback`: end the transaction with ROLLBACK even when it succeeds (`tx=rollback`).
    `planned`: a count query whose planner estimate (EXPLAIN's top "Plan Rows") becomes the total (`count=planned`),
    or the larger of it and the exact count when the statement counts too (`count=estimated`).
    `explain`: run `EXPLAIN (...)` of the statement instead; the plan (JSON or text lines) is the body."""
    timeout = db.io_timeout_s
    setup = (
        principal.role,
        principal.claims_json,
        principal.sub,
        str(db.config.statement_timeout_ms),
        env.method,
        env.path,
        env.headers,
        env.cookies,
        env.search_path,
        env.timezone,
    )

    async def work(conn: asyncpg.Connection) -> Outcome:
        async with asyncio.timeout(timeout):
            await conn.execute(BEGIN_READ if read_only else BEGIN_WRITE)
        try:
            async with asyncio.timeout(timeout):
                await conn.fetchrow(SETUP_SQL, *setup)
            async with asyncio.timeout(timeout):
                if explain is not None:
                    lines = await conn.fetch(f"{explain} {statement.sql}", *statement.params)
                    return await _end(conn, Outcome(0, "\n".join(str(line[0]) for line in lines)), rollback, timeout)
                if rows:
                    record = await conn.fetchrow(statement.sql, *statement.params)
                    assert record is not None
                    # page_total, body, total[, inserted, location], response.headers, response.status
                    extras = len(record) > 5
                    raw = record[1] if isinstance(record[1], bytes) else None
                    outcome = Outcome(
                        int(record[0]),
                        None if raw is not None else record[1],
                        record[2],
                        raw=raw,
                        inserted=record[3] if extras else None,
                        location=record[4] if extras else None,
                        response_headers=record[-2],
                        response_status=record[-1],
                    )
                else:
                    outcome = Outcome(_affected(await conn.execute(statement.sql, *statement.params)))
                if planned is not None:
                    plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {planned.sql}", *planned.params)
                    estimate = int(json.loads(plan)[0]["Plan"]["Plan Rows"])
                    total = estimate if outcome.total is None else max(outcome.total, estimate)
                    outcome = dataclasses.replace(outcome, total=total)
            if check is not None:
                check(outcome)
        except (asyncpg.PostgresError, errors.GatewayError):
            if not conn.is_closed():
                async with asyncio.timeout(timeout):
                    await conn.execute("ROLLBACK")
            raise
        return await _end(conn, outcome, rollback, timeout)

    try:
        return await db.run(work)
    except asyncpg.PostgresError as exc:
        raise errors.from_postgres(
            exc.sqlstate or "XX000",
            getattr(exc, "message", None) or str(exc),
            getattr(exc, "detail", None),
            getattr(exc, "hint", None),
            authed=principal.role != db.config.anon_role,
        ) from None
