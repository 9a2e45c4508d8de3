"""Work that depends only on a request's text, done once per distinct text (the hot path's cache).

A client repeats the same few requests (`?select=id&limit=1`), so the parsed query string and the read
statement built from it are kept, keyed by exactly what they are computed from:

- `parsed(query_string)`: the query string's ParsedQuery (immutable: tuples of frozen dataclasses).
- `PlanCache.statement(cache, key, build)`: a Statement per key, for one schema cache; a reload (a new
  SchemaCache object) starts an empty plan cache, so no plan outlives the catalog it was built from.

Errors are never cached (a parse error raises again each time). Both are bounded (least recently used
entries go first), so a client sending endless distinct query strings costs memory only up to the bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import lru_cache

from starlette.datastructures import QueryParams

from .query import ParsedQuery, parse_query
from .schema_cache import SchemaCache
from .sql import Statement

__all__ = ["MAX_PLANS", "PlanCache", "parsed"]

MAX_PLANS = 1024


@lru_cache(maxsize=MAX_PLANS)
def parsed(query_string: bytes) -> ParsedQuery:
    """`parse_query` of the raw query string, decoded as Starlette's `request.query_params` decodes it."""
    return parse_query(QueryParams(query_string).multi_items())


class PlanCache:
    def __init__(self, limit: int = MAX_PLANS) -> None:
        self._limit = limit
        self._schema: SchemaCache | None = None
        self._plans: OrderedDict[Hashable, Statement] = OrderedDict()

    def statement(self, schema: SchemaCache | None, key: Hashable, build: Callable[[], Statement]) -> Statement:
        if schema is None:
            return build()
        if schema is not self._schema:
            self._schema = schema
            self._plans.clear()
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
            return found
        made = build()
        self._plans[key] = made
        if len(self._plans) > self._limit:
            self._plans.popitem(last=False)
        return made


READS = PlanCache()
"""The read statements of this process (one gateway per process)."""
