"""PostgREST's multiple-schema cases (schemas.yaml: MultipleSchemaSpec.hs) against the real gateway on a real
PostgreSQL exposing PostgREST's `db-schemas` for that spec: `v1, v2, SPECIAL "@/\\#~_-"`.

Same runner as the RPC cases (cases.py): one test per case, a knowingly different answer is a strict xfail
with its reason, and the pass ratio is printed at the end of the run. The cases run in file order (the
writes undo one another).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import Source, _source
from .cases import Case, load
from .conftest import HERE, load_fixture, record

CASES = load("schemas.yaml")
SCHEMAS = ["v1", "v2", 'SPECIAL "@/\\#~_-']


@pytest.fixture(scope="module")
def schemas_source(pg_template: Path) -> Iterator[Source]:
    generator = _source(pg_template, schemas=SCHEMAS)
    source = next(generator)
    try:
        load_fixture(source, HERE / "schemas_fixture.sql")
        deadline = time.monotonic() + 20
        while httpx.get(f"{source.rest_url}/parents", headers={"apikey": source.anon_key}).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway never saw the fixture's tables")
            time.sleep(0.1)
        yield source
    finally:
        generator.close()


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.method} {case.path[:60]} | {case.it[:60]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_schemas_case(schemas_source: Source, case: Case) -> None:
    headers = {"apikey": schemas_source.anon_key, **case.headers}
    with httpx.Client(base_url=schemas_source.rest_url, timeout=15) as client:
        response = client.request(case.method, case.path, headers=headers, content=case.content())
    mismatches = case.mismatches(response)
    record(case.spec, "xfail" if case.xfail else ("failed" if mismatches else "passed"))
    assert not mismatches, "\n".join(mismatches)
