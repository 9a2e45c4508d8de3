"""The floor of the gateway's speed: a bare Starlette + asyncpg endpoint, one process, uvicorn inside.

    python -m fallback.bench.bare_endpoint --dsn DSN --port PORT

It answers the benchmark's three requests (speed.py: `/select`, `/embed`, `/rpc`) with the same SQL the
gateway runs for them, in the same transaction shape and round trips: `BEGIN READ ONLY` (the RPC: read
write, as the gateway's POST), one `set_config` of the role and `request.jwt.claims`, the statement,
`COMMIT`, on a pool of as many connections as the gateway's, and the body exactly as PostgreSQL printed
it. What it leaves out is what the gateway adds on top: the apikey and JWT check, the PostgREST dialect
(parsing, the schema cache, SQL building), preferences, headers and error mapping.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROLE = "service_role"
CLAIMS = json.dumps({"role": ROLE})
SETUP_SQL = "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)"
BEGIN_READ = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED"


@dataclass(frozen=True)
class Query:
    sql: str
    read_only: bool = True
    args: tuple[object, ...] = ()


# What the gateway runs for the same requests (see speed.py's TARGETS), written out by hand.
QUERIES: dict[str, Query] = {
    "select": Query(
        "SELECT coalesce(json_agg(_t), '[]')::text FROM (SELECT t.id FROM public.user_challenges t LIMIT 1) _t"
    ),
    "embed": Query(
        "SELECT coalesce(json_agg(_t), '[]')::text FROM (SELECT p.id, p.title, "
        "(SELECT row_to_json(_a) FROM (SELECT a.name FROM public.bench_authors a WHERE a.id = p.author_id) _a) "
        "AS bench_authors FROM public.bench_posts p ORDER BY p.id LIMIT 10) _t"
    ),
    "rpc": Query("SELECT to_json(public.bench_post_count($1))::text", read_only=False, args=(1,)),
}


def create_app(dsn: str, pool_size: int = 10) -> Starlette:
    pool: asyncpg.Pool | None = None

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        try:
            yield
        finally:
            await pool.close()

    async def answer(request: Request) -> Response:
        query = QUERIES[request.path_params["name"]]
        assert pool is not None
        async with pool.acquire() as conn:
            await conn.execute(BEGIN_READ if query.read_only else BEGIN_WRITE)
            try:
                await conn.fetchrow(SETUP_SQL, ROLE, CLAIMS)
                body = await conn.fetchval(query.sql, *query.args)
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        return Response(body, 200, media_type="application/json")

    return Starlette(routes=[Route("/{name}", answer, methods=["GET", "POST"])], lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m fallback.bench.bare_endpoint", description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.dsn, args.pool_size),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        http="h11",  # the gateway's HTTP parser too (protocol.py)
        lifespan="on",
    )


if __name__ == "__main__":
    main()
