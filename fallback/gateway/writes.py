"""The table API's writes: POST (insert, upsert), PATCH and DELETE, as PostgREST answers them (handlers.py
has the call, the read, and the shared answer helpers; put.py the single-row PUT)."""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from . import embed_sql, errors, gucs, media, responses, sql, write_sql
from .db import Database
from .handlers import Call, _body, _json, _plan, _single
from .limits import MAX_JSON_DEPTH, json_deeper_than
from .query import ParsedQuery, has_embeds
from .schema_cache import Column, Table
from .transaction import Outcome, execute


async def _payload(request: Request) -> object:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type == "text/csv":
        return media.csv_rows(await request.body())
    if content_type not in ("application/json", ""):
        raise errors.unsupported_content_type(content_type)
    raw = await request.body()
    if json_deeper_than(raw, MAX_JSON_DEPTH):
        raise errors.json_too_deep(MAX_JSON_DEPTH)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_body() from None


def _columns(table: Table, query: ParsedQuery, rows: list[dict[str, object]]) -> list[Column]:
    if query.columns is not None:
        return [table.payload_column(name) for name in dict.fromkeys(query.columns)]
    keys = list(rows[0]) if rows else []
    wanted = set(keys)
    if any(set(row) != wanted for row in rows[1:]):
        raise errors.invalid_body("All object keys must match")
    return [table.payload_column(name) for name in keys]


def _returning(call: Call) -> sql.Represent | None:
    if call.prefer.return_ != "representation":
        return None
    if (has_embeds(call.query.select) or call.query.embedded) and call.cache is not None:
        return embed_sql.returning(call.cache, call.table, call.query)
    return embed_sql.plain(call.query.select)


def _mutation_response(
    call: Call, outcome: Outcome, kind: responses.Mutation, *, resolution_applies: bool = False
) -> Response:
    if call.media.plan:
        return _plan(outcome, call)
    headers = responses.mutation_headers(kind, call.prefer, outcome, resolution_applies=resolution_applies)
    status = responses.mutation_status(kind, call.prefer, outcome)
    if kind == "insert" and call.prefer.return_ == "headers-only":
        where = responses.location(call.table.name, outcome)
        if where is not None:
            headers = {"Location": where, **headers}
    if call.prefer.return_ == "representation":
        response = _json(_body(outcome, call.media), status, headers, call.media)
    else:
        response = Response(b"", status, headers)
    return gucs.apply(response, outcome.response_headers, outcome.response_status)


def _checks(call: Call) -> Callable[[Outcome], None]:
    def check(outcome: Outcome) -> None:
        if call.singular:
            _single(outcome)
        responses.check_max_affected(call.prefer, outcome)
        limit = call.query.limit if call.request.method in ("PATCH", "DELETE") else None
        if limit is not None and outcome.page_total > limit:
            raise errors.GatewayError(
                400,
                "PGRST110",
                "The maximum number of rows allowed to change was surpassed",
                f"Results contain {outcome.page_total} rows changed but the maximum number allowed is {limit}",
            )

    return check


async def _run_mutation(db: Database, call: Call, statement: sql.Statement, *, extras: bool = False) -> Outcome:
    """`extras`: the statement was built with `write_sql.Extras` (it yields rows even without a representation)."""
    return await execute(
        db,
        call.principal,
        media.shape(statement, call.media),
        env=gucs.RequestEnv.of(call.request, call.table.schema, db.config.db_extra_search_path, call.prefer.timezone),
        read_only=False,
        rows=extras or call.prefer.return_ == "representation",
        check=_checks(call),
        rollback=call.rollback,
        explain=call.media.plan.explain if call.media.plan else None,
    )


def _span(call: Call) -> write_sql.Span | None:
    """PostgREST's limited PATCH/DELETE: `limit`/`offset` need an `order` (PGRST109); the Range header is ignored."""
    query = call.query
    if query.limit is None and query.offset is None:
        return None
    if not query.order:
        raise errors.GatewayError(
            400,
            "PGRST109",
            "A 'limit' was applied without an explicit 'order'",
            hint="Apply an 'order' using unique column(s)",
        )
    return write_sql.Span(tuple(query.order), query.limit, query.offset)


async def insert(db: Database, call: Call) -> Response:
    payload = await _payload(call.request)
    if isinstance(payload, dict):
        rows = [payload]
    elif isinstance(payload, list) and all(isinstance(row, dict) for row in payload):
        rows = payload
    else:
        message = "All object keys must match" if isinstance(payload, list) else "Empty or invalid json"
        raise errors.invalid_body(message)
    columns = _columns(call.table, call.query, rows)
    if not rows:
        return _mutation_response(call, Outcome(0, "[]", inserted=0), "insert")
    resolution: write_sql.Resolution | None = None
    conflict: list[Column] = []
    names = call.query.on_conflict or call.table.primary_key
    if call.prefer.resolution and names:  # without a key to conflict on, PostgREST does a plain insert
        resolution = "merge" if call.prefer.resolution == "merge-duplicates" else "ignore"
        conflict = [call.table.column(name) for name in names]
    headers_only = call.prefer.return_ == "headers-only"
    extras = write_sql.Extras(
        upsert=resolution == "merge",
        location=tuple(call.table.column(n) for n in call.table.primary_key) if headers_only else (),
    )
    statement = write_sql.insert(
        call.table,
        columns,
        json.dumps(rows, separators=(",", ":")),
        missing_default=call.prefer.missing == "default",
        on_conflict=conflict,
        resolution=resolution,
        returning=_returning(call),
        extras=extras,
    )
    outcome = await _run_mutation(db, call, statement, extras=bool(extras.upsert or extras.location))
    applies = bool(call.table.primary_key or call.query.on_conflict)
    return _mutation_response(call, outcome, "insert", resolution_applies=applies)


async def update(db: Database, call: Call) -> Response:
    span = _span(call)
    payload = await _payload(call.request)
    if isinstance(payload, list) and len(payload) <= 1 and all(isinstance(row, dict) for row in payload):
        payload = payload[0] if payload else {}  # PostgREST takes [] and [{...}] too
    if not isinstance(payload, dict):
        raise errors.invalid_body("PATCH takes a single JSON object")
    columns = _columns(call.table, call.query, [payload])
    if not columns:
        return _mutation_response(call, Outcome(0, "[]"), "update")
    statement = write_sql.update(
        call.table,
        columns,
        json.dumps(payload, separators=(",", ":")),
        call.query.where,
        returning=_returning(call),
        missing_default=call.prefer.missing == "default",
        span=span,
    )
    return _mutation_response(call, await _run_mutation(db, call, statement), "update")


async def delete(db: Database, call: Call) -> Response:
    statement = write_sql.delete(call.table, call.query.where, returning=_returning(call), span=_span(call))
    return _mutation_response(call, await _run_mutation(db, call, statement), "delete")
