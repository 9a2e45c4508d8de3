"""PostgREST's aggregate cases (aggregates.yaml: AggregateFunctionsSpec.hs) against the real gateway on a real
PostgreSQL holding PostgREST's fixture tables: `allowed` on a gateway with `db_aggregates_enabled` (the default),
`disallowed` (PGRST123) on one with it off.

Each case is one test; a case this gateway knowingly answers differently is an xfail with its reason
(strict: it fails the run once it starts to pass). The summary line at the end gives the pass ratio per spec.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import Source, _source
from .cases import Case, load
from .conftest import HERE, load_fixture, record, wait_for_table

CASES = load("aggregates.yaml")
DISALLOWED = " disallowed"
"""A spec name ending so runs on the gateway with `db_aggregates_enabled` off."""


def _serve(template: Path, **overrides: object) -> Iterator[Source]:
    generator = _source(template, schemas=["test"], **overrides)
    source = next(generator)
    try:
        load_fixture(source, HERE / "query_fixture.sql")
        load_fixture(source, HERE / "aggregates_fixture.sql")
        wait_for_table(source, "project_invoices")
        yield source
    finally:
        generator.close()


@pytest.fixture(scope="module")
def aggregates_on(pg_template: Path) -> Iterator[Source]:
    yield from _serve(pg_template)


@pytest.fixture(scope="module")
def aggregates_off(pg_template: Path) -> Iterator[Source]:
    yield from _serve(pg_template, db_aggregates_enabled=False)


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.spec} {case.path[:70]} | {case.it[:50]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_aggregate_case(request: pytest.FixtureRequest, case: Case) -> None:
    off = case.spec.endswith(DISALLOWED)
    source: Source = request.getfixturevalue("aggregates_off" if off else "aggregates_on")
    headers = {"apikey": source.anon_key, **case.headers}
    with httpx.Client(base_url=source.rest_url, timeout=15) as client:
        response = client.request(case.method, case.path, headers=headers, content=case.content())
    mismatches = case.mismatches(response)
    record(case.spec, "xfail" if case.xfail else ("failed" if mismatches else "passed"))
    assert not mismatches, "\n".join(mismatches)
