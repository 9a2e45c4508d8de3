"""PostgREST's filter, operator, JSON-path and order cases (query.yaml: QuerySpec.hs, AndOrParamsSpec.hs,
JsonOperatorSpec.hs) against the real gateway on a real PostgreSQL holding PostgREST's fixture tables.

Each case is one test; a case this gateway knowingly answers differently is an xfail with its reason
(strict: it fails the run once it starts to pass). The summary line at the end gives the pass ratio per spec.
"""

from __future__ import annotations

import httpx
import pytest

from ..conftest import Source
from .cases import Case, load
from .conftest import record

CASES = load("query.yaml")


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.spec} {case.path[:70]} | {case.it[:50]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_query_case(query_source: Source, case: Case) -> None:
    headers = {"apikey": query_source.anon_key, **case.headers}
    with httpx.Client(base_url=query_source.rest_url, timeout=15) as client:
        response = client.request(case.method, case.path, headers=headers, content=case.content())
    mismatches = case.mismatches(response)
    record(case.spec, "xfail" if case.xfail else ("failed" if mismatches else "passed"))
    assert not mismatches, "\n".join(mismatches)
