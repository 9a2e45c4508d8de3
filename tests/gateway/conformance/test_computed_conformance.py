"""PostgREST's computed-relationship cases (computed.yaml: ComputedRelsSpec.hs) against the real gateway on a
real PostgreSQL holding PostgREST's fixture tables and functions. Every request is rolled back
(`db_tx_end: rollback`, as in PostgREST's spec), so the mutation cases change nothing for the others.

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

CASES = load("computed.yaml")


@pytest.fixture(scope="module")
def computed_source(pg_template: Path) -> Iterator[Source]:
    generator = _source(pg_template, schemas=["test"], db_tx_end="rollback")
    source = next(generator)
    try:
        load_fixture(source, HERE / "query_fixture.sql")
        load_fixture(source, HERE / "computed_fixture.sql")
        wait_for_table(source, "videogames")
        yield source
    finally:
        generator.close()


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.spec} {case.path[:70]} | {case.it[:50]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_computed_case(computed_source: Source, case: Case) -> None:
    headers = {"apikey": computed_source.anon_key, **case.headers}
    with httpx.Client(base_url=computed_source.rest_url, timeout=15) as client:
        response = client.request(case.method, case.path, headers=headers, content=case.content())
    mismatches = case.mismatches(response)
    record(case.spec, "xfail" if case.xfail else ("failed" if mismatches else "passed"))
    assert not mismatches, "\n".join(mismatches)
