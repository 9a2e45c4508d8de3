"""The data API, `/rest/v1/{table}`: one thin handler per HTTP method.

Each handler turns the request into a Statement (query.py → sql.py), runs it in one
transaction (transaction.py) and shapes the response as PostgREST does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from . import embed_sql, errors, gucs, media, plan_cache, responses, sql, write_sql
from .auth import Principal
from .db import Database
from .embed_select import has_aggregates
from .limits import MAX_JSON_DEPTH, json_deeper_than
from .prefer import Preferences, choose_schema, parse_prefer, parse_range
from .query import ParsedQuery, has_embeds
from .schema_cache import Column, SchemaCache, Table
from .transaction import Outcome, execute


@dataclass(frozen=True)
class Call:
    """Everything a handler needs about one request."""

    request: Request
    principal: Principal
    table: Table
    query: ParsedQuery
    prefer: Preferences
    singular: bool
    cache: SchemaCache | None = None
    """For embedded resources (the relationships); None only where no embed can be served."""
    rollback: bool = False
    """End the transaction with ROLLBACK (`Prefer: tx=rollback`, or `db_tx_end = rollback*`)."""
    media: media.Media = field(default_factory=media.Media)
    """What the client accepts (JSON array or object, CSV, nulls stripped)."""


def schema_for(request: Request, exposed: list[str]) -> str:
    """PostgREST's getSchema: `Content-Profile` for POST/PATCH/PUT/DELETE, `Accept-Profile` otherwise."""
    write = request.method in ("POST", "PATCH", "PUT", "DELETE")
    return choose_schema(request.headers.get("content-profile" if write else "accept-profile"), exposed)


def with_profile(response: Response, request: Request, schema: str, exposed: list[str]) -> Response:
    """PostgREST's profileHeader: a success names its schema in `Content-Profile` when it was negotiated,
    i.e. a profile header was sent or more than one schema is exposed."""
    if len(exposed) > 1 or "accept-profile" in request.headers or "content-profile" in request.headers:
        response.headers["Content-Profile"] = schema
    return response


def build_call(
    request: Request,
    principal: Principal,
    table: Table,
    cache: SchemaCache | None = None,
    *,
    tx_end: str = "commit",
    aggregates: bool = True,
    plan: bool = False,
) -> Call:
    """`tx_end`: the gateway's `db_tx_end` (PostgREST's `db-tx-end`); `aggregates`: its `db_aggregates_enabled`;
    `plan`: its `db_plan_enabled`."""
    query = plan_cache.parsed(request.scope["query_string"])
    if not aggregates and has_aggregates(query.select):
        raise errors.aggregates_disabled()
    prefer = parse_prefer(request.headers.getlist("prefer"), tx_override=tx_end.endswith("-allow-override"))
    prefer.check_strict()
    accepted = media.negotiate(request.headers.get("accept"), plan_enabled=plan)
    return Call(
        request,
        principal,
        table,
        query,
        prefer,
        accepted.singular,
        cache,
        prefer.tx == "rollback" or (prefer.tx is None and tx_end.startswith("rollback")),
        accepted,
    )


def _plan(outcome: Outcome, call: Call) -> Response:
    """`application/vnd.pgrst.plan`: the statement's EXPLAIN, as PostgREST answers it (200, no Content-Range)."""
    body = b"" if call.request.method == "HEAD" else (outcome.body or "")
    return Response(body, 200, {"Content-Type": call.media.content_type})


def _json(body: bytes | str, status: int, headers: dict[str, str], accepted: media.Media) -> Response:
    headers["Content-Type"] = accepted.content_type
    return Response(body, status, headers)


def _single(outcome: Outcome) -> None:
    if outcome.page_total != 1:
        raise errors.singular_cardinality(outcome.page_total)


def _body(outcome: Outcome, accepted: media.Media) -> str:
    text = outcome.body or "[]"
    if accepted.kind == "csv":
        return outcome.body or ""
    return text[1:-1] if accepted.singular else text


async def read(db: Database, call: Call) -> Response:
    q = call.query
    limit, offset = q.limit, q.offset
    ranged = parse_range(call.request.headers.get("range"))
    if ranged is not None:
        offset = offset if offset is not None else ranged[0]
        if ranged[1] is not None:
            limit = ranged[1] if limit is None else min(limit, ranged[1])
    # `estimated` counts exactly and takes the planner's figure where it is larger: PostgREST's rule when the
    # exact count passes db-max-rows, which is always so without db-max-rows (MainTx.hs: Just n > Nothing).
    counting = call.prefer.count in ("exact", "estimated")

    def build() -> sql.Statement:
        if (has_embeds(q.select) or q.embedded) and call.cache is not None:
            return embed_sql.read(call.cache, call.table, q, limit=limit, offset=offset, count=counting)
        select = embed_sql.plain(q.select)
        return sql.read(call.table, select, q.where, q.order, limit=limit, offset=offset, count=counting)

    plan = (call.table.schema, call.table.name, call.request.scope["query_string"], limit, offset, counting)
    statement = plan_cache.READS.statement(call.cache, plan, build)
    outcome = await execute(
        db,
        call.principal,
        media.shape(statement, call.media),
        env=gucs.RequestEnv.of(call.request, call.table.schema, db.config.db_extra_search_path, call.prefer.timezone),
        read_only=True,
        rows=True,
        check=_single if call.singular else None,
        rollback=call.rollback,
        planned=sql.count_query(call.table, q.where) if call.prefer.count in ("planned", "estimated") else None,
        explain=call.media.plan.explain if call.media.plan else None,
    )
    if call.media.plan:
        return _plan(outcome, call)
    lower = offset or 0
    upper = lower + outcome.page_total - 1
    total = outcome.total
    if total is not None and lower > total and not (lower == 0 and total == 0):
        raise errors.GatewayError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            f"An offset of {lower} was requested, but there are only {total} rows.",
            headers={"Content-Range": f"*/{total}"},
        )
    status = 206 if total is not None and (1 + upper - lower) < total else 200
    span = f"{lower}-{upper}" if outcome.page_total > 0 and total != 0 else "*"
    headers = {"Content-Range": f"{span}/{'*' if total is None else total}"}
    applied = call.prefer.applied(count=True)
    if applied:
        headers["Preference-Applied"] = applied
    body = b"" if call.request.method == "HEAD" else _body(outcome, call.media)
    return gucs.apply(_json(body, status, headers, call.media), outcome.response_headers, outcome.response_status)


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
