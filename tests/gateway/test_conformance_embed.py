"""Embedded resources: PostgREST's own request/response cases (conformance/embed.json) against the real gateway.

The cases are ported from PostgREST's spec tests over its fixture (conformance/embed_fixture.sql, schema
`test`), loaded into a real PostgreSQL behind the gateway. A case this gateway knowingly does not pass is
kept with its reason (xfail, strict: it fails the run once it starts passing). The pass ratio per spec
file is printed at the end of the module.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest

from ._cluster import run_sync
from .conftest import Source, _source

HERE = Path(__file__).parent / "conformance"
DATA = json.loads((HERE / "embed.json").read_text(encoding="utf-8"))
FIXTURE = (HERE / DATA["fixture"]).read_text(encoding="utf-8")
BOB = "22222222-2222-2222-2222-222222222222"
_results: Counter[tuple[str, str]] = Counter()


@dataclass(frozen=True)
class Case:
    spec: str
    name: str
    method: str
    path: str
    status: int
    body: object
    headers: dict[str, str]
    expect_headers: dict[str, str]
    xfail: str | None
    request_body: object = None


CASES = [
    Case(
        c["spec"],
        c["name"],
        c["method"],
        c["path"],
        c["status"],
        c["body"],
        c.get("headers", {}),
        c.get("expect_headers", {}),
        c.get("xfail"),
        c.get("request_body"),
    )
    for c in DATA["cases"]
]


def _load_fixture(source: Source) -> None:
    async def load() -> None:
        conn = await asyncpg.connect(source.pg.superuser_dsn)
        try:
            await conn.execute(FIXTURE)
            await conn.execute("NOTIFY pgrst, 'reload schema'")
        finally:
            await conn.close()

    run_sync(load)
    deadline = time.monotonic() + 20
    while True:
        gateway = source.gateway.proc
        if gateway is None or gateway.poll() is not None:
            raise RuntimeError(f"the gateway exited: {source.gateway.log_path.read_text()[-2000:]}")
        try:
            probe = httpx.get(
                f"{source.rest_url}/clients?select=id,projects(id)", headers={"apikey": source.service_key}, timeout=5
            )
            if probe.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the gateway did not serve the fixture's relationships within 20 s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def embed_source(pg_template: Path) -> Iterator[Source]:
    """A private source exposing schema `test` with PostgREST's fixture; the gateway reloads its cache on NOTIFY.

    Up to three attempts: other checkouts on this machine run the same test helpers, whose free-port pick
    (`_cluster.free_port`) can race with theirs, so that the gateway or database started here loses its port."""
    for attempt in range(3):
        gen = _source(pg_template, schemas=["test"])
        try:
            source = next(gen)
            _load_fixture(source)
        except (RuntimeError, OSError, asyncpg.PostgresError):
            gen.close()
            if attempt == 2:
                raise
            continue
        try:
            yield source
        finally:
            gen.close()
        return


def _headers(source: Source, case: Case) -> dict[str, str]:
    headers = {"apikey": source.service_key, **case.headers}
    who = headers.pop("Authorization", None)
    if who == "anon":
        headers["apikey"] = source.anon_key
    elif who == "bob":
        headers["Authorization"] = f"Bearer {source.token('authenticated', BOB)}"
    return headers


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c, id=f"{c.spec}:{c.name}", marks=[pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else []
        )
        for c in CASES
    ],
)
def test_embed_case(embed_source: Source, case: Case) -> None:
    _results[(case.spec, "total")] += 1
    response = httpx.request(
        case.method,
        embed_source.rest_url + case.path,
        headers=_headers(embed_source, case),
        json=case.request_body,
        timeout=10,
    )
    got = response.json() if response.content else None
    assert (response.status_code, got) == (case.status, case.body), response.text
    for name, value in case.expect_headers.items():
        assert response.headers.get(name) == value
    assert response.headers["content-type"].startswith("application/json")
    _results[(case.spec, "passed")] += 1


@pytest.fixture(scope="module", autouse=True)
def pass_ratio(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the pass ratio per spec file after the module (through pytest's terminal, so also without -s)."""
    yield
    lines = [
        f"embed conformance {spec}: {passed}/{total} passed ({100 * passed / max(total, 1):.0f}%)"
        for spec in sorted({spec for spec, _ in _results})
        for passed, total in [(_results[(spec, "passed")], _results[(spec, "total")])]
    ]
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n")
        for line in lines:
            reporter.write_line(line)


async def test_supabase_client_embeds(embed_source: Source) -> None:
    """The real supabase-py client: `.select("*, other(*)")`, an aliased `!inner` embed filtered through it, RLS."""
    from supabase import AsyncClientOptions, acreate_client

    async def connect(token: str | None = None):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        options = AsyncClientOptions(schema="test", postgrest_client_timeout=httpx.Timeout(10), headers=headers)
        return await acreate_client(embed_source.gateway.url, embed_source.anon_key, options=options)

    service = await connect(embed_source.service_key)
    one = await service.table("projects").select("*, clients(*)").eq("id", 1).single().execute()
    assert one.data == {"id": 1, "name": "Windows 7", "client_id": 1, "clients": {"id": 1, "name": "Microsoft"}}
    rows = await (
        service.table("clients")
        .select("name, work:projects!inner(name, tasks(name))")
        .eq("work.name", "IOS")
        .order("name")
        .order("name", foreign_table="work.tasks")
        .limit(1, foreign_table="work.tasks")
        .execute()
    )
    assert rows.data == [{"name": "Apple", "work": [{"name": "IOS", "tasks": [{"name": "Code IOS"}]}]}]
    bob = await connect(embed_source.token("authenticated", BOB))
    notes = await bob.table("projects").select("id, rls_notes(body)").eq("id", 1).execute()
    assert notes.data == [{"id": 1, "rls_notes": [{"body": "bob on w7"}]}]
