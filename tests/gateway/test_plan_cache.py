"""The hot path's cache (plan_cache.py): same text, same plan; a schema reload or a new text, a new one."""

from __future__ import annotations

import pytest

from fallback.gateway import errors
from fallback.gateway.plan_cache import PlanCache, parsed
from fallback.gateway.schema_cache import SchemaCache
from fallback.gateway.sql import Statement


def test_parsed_is_shared_for_the_same_text_and_decodes_like_starlette() -> None:
    first = parsed(b"select=id&limit=1&email=eq.a%2Bb")
    assert first is parsed(b"select=id&limit=1&email=eq.a%2Bb")
    assert first.limit == 1 and "a+b" in repr(first.where)


def test_parse_errors_are_raised_every_time() -> None:
    for _ in range(2):
        with pytest.raises(errors.GatewayError):
            parsed(b"limit=-1")


def test_a_plan_is_built_once_per_key_and_schema_cache() -> None:
    plans = PlanCache()
    built: list[str] = []

    def build(text: str) -> Statement:
        built.append(text)
        return Statement(text)

    schema = SchemaCache()
    assert plans.statement(schema, "k", lambda: build("a")).sql == "a"
    assert plans.statement(schema, "k", lambda: build("b")).sql == "a"
    assert plans.statement(schema, "other", lambda: build("c")).sql == "c"
    reloaded = SchemaCache()
    assert plans.statement(reloaded, "k", lambda: build("d")).sql == "d"
    assert built == ["a", "c", "d"]


def test_no_schema_cache_means_no_caching() -> None:
    plans = PlanCache()
    assert plans.statement(None, "k", lambda: Statement("a")).sql == "a"
    assert plans.statement(None, "k", lambda: Statement("b")).sql == "b"


def test_the_plan_cache_is_bounded_least_recently_used_first() -> None:
    plans = PlanCache(limit=2)
    schema = SchemaCache()
    plans.statement(schema, 1, lambda: Statement("1"))
    plans.statement(schema, 2, lambda: Statement("2"))
    plans.statement(schema, 1, lambda: Statement("x"))  # 1 is now the most recently used
    plans.statement(schema, 3, lambda: Statement("3"))  # evicts 2
    assert plans.statement(schema, 1, lambda: Statement("new")).sql == "1"
    assert plans.statement(schema, 2, lambda: Statement("new")).sql == "new"
