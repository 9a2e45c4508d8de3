"""Functions at `/rest/v1/rpc/{fn}`: PostgREST 12.2's RPC, one thin handler.

    POST     named arguments from a JSON object (or the first object of an array), a form or CSV (rpc_body.py);
             `Prefer: params=single-object` or a single unnamed json/jsonb parameter takes the whole body
    GET/HEAD arguments from the query string (repeat a VARIADIC one); a query value that reads as a
             filter (`id=gt.2`) filters the result instead. Runs READ ONLY, so a function that writes
             fails there with PostgreSQL's 25006 (405), as in PostgREST
    OPTIONS  200 with `Allow`
    other    405 PGRST101

The result takes `select`, filters, `order`, `limit`/`offset`, `Range` (GET only, as PostgREST ignores
it on other methods), `Prefer: count=exact` and `Accept: application/vnd.pgrst.object+json`.
A void function answers 204 without a body. The call runs in one transaction for the request's role
and claims, exactly like a table request (transaction.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response

from . import embed_sql, errors, gucs, media, responses, rpc_body, rpc_resolve, rpc_sql, sql
from .auth import Principal
from .db import Database
from .embed_select import has_aggregates
from .errors import GatewayError
from .prefer import parse_prefer, parse_range
from .query import ParsedQuery, SelectItem, parse_query
from .routines import Returns, Routine
from .schema_cache import SchemaCache
from .transaction import Outcome, execute

READ_METHODS = ("GET", "HEAD")
_NOT_ARGUMENTS = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict", "apikey", "or", "and"})
_OPERATORS = frozenset(
    {
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "like",
        "ilike",
        "match",
        "imatch",
        "in",
        "is",
        "isdistinct",
        "fts",
        "plfts",
        "phfts",
        "wfts",
        "cs",
        "cd",
        "ov",
        "sl",
        "sr",
        "nxl",
        "nxr",
        "adj",
    }
)
"""Every PostgREST filter operator: a GET value starting with one of these (or `not.`) is a filter."""


def _is_filter(value: str) -> bool:
    if value.startswith("not."):
        return True
    head, dot, _ = value.partition(".")
    return bool(dot) and head.split("(", 1)[0] in _OPERATORS


def _is_argument(key: str, value: str) -> bool:
    last = key.rsplit(".", 1)[-1]
    return key not in _NOT_ARGUMENTS and last not in _NOT_ARGUMENTS and not _is_filter(value)


def _single_object(request: Request) -> bool:
    """`Prefer: params=single-object` (deprecated in PostgREST 12, removed in 13; served as 12.2 does)."""
    values = request.headers.getlist("prefer")
    return any(item.strip() == "params=single-object" for value in values for item in value.split(","))


def _query_arguments(routine_params: Sequence[tuple[str, str]], variadic: frozenset[str]) -> str:
    """PostgREST's `jsonRpcParams`: the last value of a repeated name wins, a VARIADIC one collects them all."""
    found: dict[str, object] = {}
    for key, value in routine_params:
        if key in variadic:
            collected = found.setdefault(key, [])
            assert isinstance(collected, list)
            collected.append(value)
        else:
            found[key] = value
    return json.dumps(found, separators=(",", ":"))


def allow(routine: Routine) -> str:
    return "OPTIONS,POST" if routine.volatility == "volatile" else "OPTIONS,GET,HEAD,POST"


async def handle(
    db: Database, request: Request, principal: Principal, cache: SchemaCache, schema: str, *, aggregates: bool = True
) -> Response:
    """`aggregates`: the gateway's `db_aggregates_enabled` (PGRST123 for an aggregate when off)."""
    method = request.method
    if method not in (*READ_METHODS, "POST", "OPTIONS"):
        raise GatewayError(405, "PGRST101", f"Cannot use the {method} method on RPC")
    name = request.path_params["function"]
    read = method != "POST"
    single_object = _single_object(request)
    content = rpc_resolve.content_kind(request.headers.get("content-type"))
    items = request.query_params.multi_items()
    query_args = [(k, v) for k, v in items if read and _is_argument(k, v)]
    query = parse_query([(k, v) for k, v in items if not (read and _is_argument(k, v))])
    if not aggregates and has_aggregates(query.select):
        raise errors.aggregates_disabled()
    if read:
        body = rpc_body.Body("{}", frozenset(k for k, _ in query_args), tuple(query_args))
    else:
        content_type = request.headers.get("content-type", "")
        body = rpc_body.read(await request.body(), content, content_type, query.columns)
    keys = body.keys
    routine = rpc_resolve.find(
        cache.functions, schema, name, keys, single_object=single_object, content=content, post=not read
    )
    if method == "OPTIONS":
        return Response(b"", 200, {"Allow": allow(routine), "Access-Control-Allow-Origin": "*"})
    payload = body.payload
    if body.pairs is not None:
        payload = _query_arguments(body.pairs, frozenset(p.name for p in routine.params if p.variadic))
    if routine.params and (single_object or (len(routine.params) == 1 and not routine.params[0].name)):
        arguments = rpc_sql.Arguments(payload, positional=routine.params[0])
    else:
        arguments = rpc_sql.Arguments(payload, named=tuple(p for p in routine.params if p.name in keys))
    return await _run(db, request, principal, routine, arguments, query, single_object, cache)


def _span(request: Request, limit: int | None, offset: int | None) -> tuple[int, int | None]:
    """The top-level range: `limit`/`offset` intersected with `Range` (which only GET honours)."""
    lower, upper = offset or 0, None if limit is None else (offset or 0) + limit - 1
    ranged = parse_range(request.headers.get("range")) if request.method == "GET" else None
    if ranged is not None:
        lower = max(lower, ranged[0])
        if ranged[1] is not None:
            high = ranged[0] + ranged[1] - 1
            upper = high if upper is None else min(upper, high)
    return lower, None if upper is None else upper - lower + 1


async def _run(
    db: Database,
    request: Request,
    principal: Principal,
    routine: Routine,
    arguments: rpc_sql.Arguments,
    query: ParsedQuery,
    single_object: bool,
    cache: SchemaCache,
) -> Response:
    accepted = media.negotiate(
        request.headers.get("accept"), plan_enabled=db.config.db_plan_enabled, raw=routine.media_type or None
    )
    singular = accepted.singular
    tx_end = db.config.db_tx_end
    prefer = parse_prefer(request.headers.getlist("prefer"), tx_override=tx_end.endswith("-allow-override"))
    prefer.check_strict()
    rollback = prefer.tx == "rollback" or (prefer.tx is None and tx_end.startswith("rollback"))
    counting = prefer.count is not None
    offset, limit = _span(request, query.limit, query.offset)
    statement = rpc_sql.call(
        routine,
        arguments,
        _select(routine, query, cache),
        query.where,
        query.order,
        limit=max(limit, 0) if limit is not None else None,
        offset=offset,
        count=counting,
        accepted=accepted,
    )

    def check(outcome: Outcome) -> None:
        if singular and outcome.page_total != 1:
            raise errors.singular_cardinality(outcome.page_total)
        responses.check_max_affected(prefer, outcome)

    read_only = request.method in READ_METHODS or routine.volatility != "volatile"
    outcome = await execute(
        db,
        principal,
        statement,
        env=gucs.RequestEnv.of(request, routine.schema, db.config.db_extra_search_path, prefer.timezone),
        read_only=read_only,
        rows=True,
        check=check,
        rollback=rollback,
        explain=accepted.plan.explain if accepted.plan else None,
    )
    if accepted.plan:
        body = b"" if request.method == "HEAD" else (outcome.body or "")
        return Response(body, 200, {"Content-Type": accepted.content_type})
    total = outcome.total
    upper = offset + outcome.page_total - 1
    if total is not None and offset > total:
        raise GatewayError(
            416,
            "PGRST103",
            "Requested range not satisfiable",
            f"An offset of {offset} was requested, but there are only {total} rows.",
            headers={"Content-Range": f"*/{total}"},
        )
    status = 206 if total is not None and (1 + upper - offset) < total else 200
    span = f"{offset}-{upper}" if total != 0 and offset <= upper else "*"
    headers = {"Content-Range": f"{span}/{'*' if total is None else total}"}
    applied = prefer.applied(params=single_object, count=True, max_affected=True)
    if applied:
        headers["Preference-Applied"] = applied
    if routine.returns is Returns.VOID:
        return gucs.apply(Response(b"", 204, headers), outcome.response_headers, outcome.response_status)
    headers["Content-Type"] = accepted.content_type
    if request.method == "HEAD":
        body = b""
    elif accepted.kind == "raw":
        body = outcome.raw if outcome.raw is not None else (outcome.body or "").encode()
    else:
        body = (outcome.body or "null").encode()
    return gucs.apply(Response(body, status, headers), outcome.response_headers, outcome.response_status)


def _select(routine: Routine, query: ParsedQuery, cache: SchemaCache) -> tuple[SelectItem, ...] | sql.Returning:
    """The `select=` of a function's result. Embeds follow the relationships of the table whose row type the
    function returns (PostgREST's `funcTableName`), built as over a mutation's rows (embed_sql.returning)."""
    columns = tuple(item for item in query.select if isinstance(item, SelectItem))
    embedded = [item for item in query.select if not isinstance(item, SelectItem)]
    if not embedded and not query.embedded:
        return columns
    table = None if routine.scalar else cache.tables.get(routine.return_type)
    if table is None:
        target = embedded[0].key if embedded else query.embedded[0].path[0]
        raise GatewayError(
            400,
            "PGRST200",
            f"Could not find a relationship between '{routine.name}' and '{target}' in the schema cache",
            f"Searched for a foreign key relationship between '{routine.name}' and '{target}' in the schema "
            f"'{routine.schema}', but no matches were found.",
        )
    return embed_sql.returning(cache, table, query)
