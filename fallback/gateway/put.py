"""PUT `/rest/v1/{table}?pk=eq.value`: PostgREST's single-row upsert with its checks.

    PGRST114 (400)  `limit`/`offset` given
    PGRST105 (405)  the filters are not exactly one `eq` on each primary key column
    PGRST115 (400)  the payload's primary key differs from the URL's

The first object of the payload is inserted, or merged into the row with that key (ON CONFLICT DO UPDATE);
201 when it was inserted, 200 when updated (with a representation), 204 otherwise.
"""

from __future__ import annotations

import json

from starlette.responses import Response

from . import errors, write_sql
from .db import Database
from .handlers import Call
from .query import Filter
from .writes import _columns, _mutation_response, _payload, _returning, _run_mutation

__all__ = ["upsert"]


def _url_key(call: Call) -> dict[str, str]:
    """The primary key values the URL names, or PGRST105/PGRST114."""
    query = call.query
    if query.limit is not None or query.offset is not None:
        raise errors.GatewayError(400, "PGRST114", "limit/offset querystring parameters are not allowed for PUT")
    eqs = {
        f.column: f.value
        for f in query.where
        if isinstance(f, Filter) and f.op == "eq" and not f.negated and isinstance(f.value, str)
    }
    primary = call.table.primary_key
    if not primary or len(eqs) != len(query.where) or set(eqs) != set(primary):
        raise errors.GatewayError(
            405, "PGRST105", "Filters must include all and only primary key columns with 'eq' operators"
        )
    return {name: str(value) for name, value in eqs.items()}


def _as_text(value: object) -> str | None:
    """A JSON value as PostgreSQL would print it for a key column (strings bare)."""
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


async def upsert(db: Database, call: Call) -> Response:
    key = _url_key(call)
    payload = await _payload(call.request)
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        row = payload[0]
    elif isinstance(payload, dict):
        row = payload
    else:
        raise errors.invalid_body()
    if any(_as_text(row.get(name)) != value for name, value in key.items()):
        raise errors.GatewayError(400, "PGRST115", "Payload values do not match URL in primary key column(s)")
    statement = write_sql.insert(
        call.table,
        _columns(call.table, call.query, [row]),
        json.dumps([row], separators=(",", ":")),
        on_conflict=[call.table.column(name) for name in call.table.primary_key],
        resolution="merge",
        returning=_returning(call),
        extras=write_sql.Extras(upsert=True),
    )
    return _mutation_response(call, await _run_mutation(db, call, statement, extras=True), "upsert")
