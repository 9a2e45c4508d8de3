"""PostgREST's RPC cases (rpc.yaml: RpcSpec.hs, SingularSpec.hs and OptionsSpec.hs on functions) against
the real gateway on a real PostgreSQL.

Each case is one test; a case this gateway knowingly answers differently is an xfail with its reason
(strict: it fails the run once it starts to pass, so the mark is removed with the fix). The summary
line at the end of the run gives the pass ratio.
"""

from __future__ import annotations

import httpx
import pytest

from ..conftest import Source
from .cases import Case, load
from .conftest import record

CASES = load("rpc.yaml")


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(reason=case.xfail, strict=True)] if case.xfail else []
    return pytest.param(case, id=f"{case.method} {case.path[:60]} | {case.it[:60]}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_rpc_case(spec_source: Source, case: Case) -> None:
    headers = {"apikey": spec_source.anon_key, **case.headers}
    with httpx.Client(base_url=spec_source.rest_url, timeout=15) as client:
        response = client.request(case.method, case.path, headers=headers, content=case.content())
    mismatches = case.mismatches(response)
    record(case.spec, "xfail" if case.xfail else ("failed" if mismatches else "passed"))
    assert not mismatches, "\n".join(mismatches)
