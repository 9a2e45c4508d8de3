"""The data API, `/rest/v1/{table}`: one thin handler per HTTP method.

Each handler turns the request into a Statement (query.py → sql.py), runs it in one
transaction (transaction.py) and shapes the response as PostgREST does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from . import embed_sql, errors, plan_cache, sql
from .auth import Principal
from .db import Database
from .errors import JSON_UTF8
from .limits import MAX_JSON_DEPTH, json_deeper_than
from .prefer import OBJECT_MEDIA, Preferences, choose_schema, parse_prefer, parse_range, wants_object
from .query import ParsedQuery, has_embeds
from .schema_cache import Column, SchemaCache, Table
from .transaction import Outcome, execute

OBJECT_UTF8 = f"{OBJECT_MEDIA}; charset=utf-8"


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


def build_call(request: Request, principal: Principal, table: Table, cache: SchemaCache | None = None) -> Call:
    return Call(
        request,
        principal,
        table,
        plan_cache.parsed(request.scope["query_string"]),
        parse_prefer(request.headers.getlist("prefer")),
        wants_object(request.headers.get("accept")),
        cache,
    )


def _api_path(request: Request) -> str:
    """`request.path` as PostgREST sees it, behind Supabase's gateway that strips `/rest/v1`."""
    return request.url.path.removeprefix("/rest/v1")


def _json(body: bytes | str, status: int, headers: dict[str, str], singular: bool) -> Response:
    headers["Content-Type"] = OBJECT_UTF8 if singular else JSON_UTF8
    return Response(body, status, headers)


def _single(outcome: Outcome) -> None:
    if outcome.page_total != 1:
        raise errors.singular_cardinality(outcome.page_total)


def _body(outcome: Outcome, singular: bool) -> str:
    text = outcome.body or "[]"
    return text[1:-1] if singular else text


async def read(db: Database, call: Call) -> Response:
    q = call.query
    limit, offset = q.limit, q.offset
    ranged = parse_range(call.request.headers.get("range"))
    if ranged is not None:
        offset = offset if offset is not None else ranged[0]
        if ranged[1] is not None:
            limit = ranged[1] if limit is None else min(limit, ranged[1])
    counting = call.prefer.count is not None

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
        statement,
        method=call.request.method,
        path=_api_path(call.request),
        read_only=True,
        rows=True,
        check=_single if call.singular else None,
    )
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
    applied = call.prefer.applied(count=counting)
    if applied:
        headers["Preference-Applied"] = applied
    body = b"" if call.request.method == "HEAD" else _body(outcome, call.singular)
    return _json(body, status, headers, call.singular)


async def _payload(request: Request) -> object:
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
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


def _mutation_response(call: Call, outcome: Outcome, *, created: bool) -> Response:
    representation = call.prefer.return_ == "representation"
    count = call.prefer.count is not None
    total = str(outcome.page_total) if count else "*"
    span = "*" if created or outcome.page_total == 0 else f"0-{outcome.page_total - 1}"
    headers = {"Content-Range": f"{span}/{total}"}
    applied = call.prefer.applied(return_=True, count=count, insert=created)
    if applied:
        headers["Preference-Applied"] = applied
    if representation:
        return _json(_body(outcome, call.singular), 201 if created else 200, headers, call.singular)
    return Response(b"", 201 if created else 204, headers)


async def _run_mutation(db: Database, call: Call, statement: sql.Statement) -> Outcome:
    representation = call.prefer.return_ == "representation"
    return await execute(
        db,
        call.principal,
        statement,
        method=call.request.method,
        path=_api_path(call.request),
        read_only=False,
        rows=representation,
        check=_single if call.singular and representation else None,
    )


def _no_limits(query: ParsedQuery) -> None:
    if query.limit is not None or query.offset is not None:
        raise errors.parse_error("limit/offset are not supported on updates and deletes by this gateway")


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
        return _mutation_response(call, Outcome(0, "[]"), created=True)
    if not columns and len(rows) > 1:
        raise errors.invalid_body("Cannot insert several empty objects at once")
    resolution: sql.Resolution | None = None
    conflict: list[Column] = []
    if call.prefer.resolution:
        resolution = "merge" if call.prefer.resolution == "merge-duplicates" else "ignore"
        names = call.query.on_conflict or call.table.primary_key
        if not names:
            raise errors.parse_error(f"on_conflict is required: '{call.table.name}' has no primary key")
        conflict = [call.table.column(name) for name in names]
    statement = sql.insert(
        call.table,
        columns,
        json.dumps(rows, separators=(",", ":")),
        missing_default=call.prefer.missing == "default",
        on_conflict=conflict,
        resolution=resolution,
        returning=_returning(call),
    )
    return _mutation_response(call, await _run_mutation(db, call, statement), created=True)


async def update(db: Database, call: Call) -> Response:
    _no_limits(call.query)
    payload = await _payload(call.request)
    if not isinstance(payload, dict):
        raise errors.invalid_body("PATCH takes a single JSON object")
    columns = _columns(call.table, call.query, [payload])
    if not columns:
        return _mutation_response(call, Outcome(0, "[]"), created=False)
    statement = sql.update(
        call.table,
        columns,
        json.dumps(payload, separators=(",", ":")),
        call.query.where,
        returning=_returning(call),
    )
    return _mutation_response(call, await _run_mutation(db, call, statement), created=False)


async def delete(db: Database, call: Call) -> Response:
    _no_limits(call.query)
    statement = sql.delete(call.table, call.query.where, returning=_returning(call))
    return _mutation_response(call, await _run_mutation(db, call, statement), created=False)
