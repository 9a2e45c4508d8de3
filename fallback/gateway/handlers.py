"""The data API, `/rest/v1/{table}`: one thin handler per HTTP method.

Each handler turns the request into a Statement (query.py → sql.py), runs it in one
transaction (transaction.py) and shapes the response as PostgREST does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from . import embed_sql, errors, gucs, media, plan_cache, sql
from .auth import Principal
from .db import Database
from .embed_select import has_aggregates
from .prefer import Preferences, choose_schema, parse_prefer, parse_range
from .query import ParsedQuery, has_embeds
from .schema_cache import SchemaCache, Table
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
