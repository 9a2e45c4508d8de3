"""Protocol 2 on both Python clients, against fake PostgREST projects (httpx.MockTransport): any
number of sources with any names, composite keys, deletes, calls, PostgREST queries on loads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fallback.client import Deadline, ReferenceClient, SourceConfig, SpecFaithfulClient, TableKey, sources_from_env

NAMES = ("EU", "US_EAST", "REPLICA_2", "LEGACY", "ARCHIVE")
CONFIGS = [SourceConfig(name, f"http://{name.lower()}.test", f"key-{name}") for name in NAMES]
DEADLINE = Deadline(connect=0.2, read=0.2, write=0.2, pool=0.2, total=0.3)
KEYS = {"orders": TableKey(("tenant_id", "id"), generated=False), "notes": TableKey(("id",), generated=True)}


class Projects:
    """One fake project per source; every request is recorded as (source, method, query pairs, body)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            name: [{"tenant_id": "acme", "id": i, "status": "open"} for i in range(n)]
            for name, n in zip(NAMES, (2, 1, 0, 3, 1), strict=True)
        }
        self.rows["US_EAST"] = [
            {"tenant_id": "acme", "id": 10, "status": "open"},
            {"tenant_id": "acme", "id": 0, "status": "copy"},  # EU's row 0 again
        ]
        self.down: set[str] = set()
        self.seen: list[tuple[str, str, list[tuple[str, str]], Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        name = next(n for n in NAMES if request.url.host == f"{n.lower()}.test")
        if name in self.down:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        body = json.loads(request.content) if request.content else None
        self.seen.append((name, request.method, list(request.url.params.multi_items()), body))
        wanted = {k: v.removeprefix("eq.") for k, v in request.url.params.items() if k in ("tenant_id", "id")}
        matching = [r for r in self.rows[name] if all(str(r[k]) == v for k, v in wanted.items())]
        if request.method == "DELETE":
            self.rows[name] = [r for r in self.rows[name] if r not in matching]
            return httpx.Response(200, json=matching)
        if request.method == "PATCH":
            return httpx.Response(200, json=[{**r, **body} for r in matching])
        if request.method == "POST":
            return httpx.Response(201, json=[{"id": 99, **body}])
        return httpx.Response(200, json=self.rows[name])


@pytest.fixture
def projects() -> Projects:
    return Projects()


@pytest.fixture
async def reference(projects: Projects, tmp_path: Path) -> AsyncIterator[ReferenceClient]:
    async with ReferenceClient(
        CONFIGS, deadline=DEADLINE, cache_dir=tmp_path, transport=httpx.MockTransport(projects), tables=KEYS
    ) as client:
        yield client


async def test_five_sources_in_priority_order_merged_by_the_composite_key(reference: ReferenceClient) -> None:
    result = await reference.load("orders")
    assert [a.source for a in result.attempts] == list(NAMES)
    assert result.counts() == {"EU": 2, "US_EAST": 1, "REPLICA_2": 0, "LEGACY": 1, "ARCHIVE": 0}
    kept = {d.key: (d.kept, d.dropped) for d in result.duplicates}
    assert kept['["acme","0"]'] == ("EU", ("US_EAST", "LEGACY", "ARCHIVE"))


async def test_load_passes_select_filters_and_order_through(reference: ReferenceClient, projects: Projects) -> None:
    await reference.load("orders", select="id,customer:customers(name)", filters=["status=eq.open"], order="id.desc")
    params = {name: pairs for name, method, pairs, _ in projects.seen if method == "GET"}
    assert params["LEGACY"] == [("select", "id,customer:customers(name)"), ("status", "eq.open"), ("order", "id.desc")]


async def test_a_filtered_load_is_never_served_the_whole_tables_snapshot(
    reference: ReferenceClient, projects: Projects
) -> None:
    await reference.load("orders")
    await reference.aclose()  # the background snapshot is written
    projects.down.update(NAMES)
    whole = await reference.load("orders")
    filtered = await reference.load("orders", filters=["status=eq.open"])
    assert whole.stale and whole.rows
    assert not filtered.stale and filtered.outcome == "fail" and not filtered.rows


async def test_update_and_delete_go_to_the_rows_source_by_its_whole_key(
    reference: ReferenceClient, projects: Projects
) -> None:
    row = {"tenant_id": "acme", "id": 2, "_db_source": "LEGACY"}
    updated = await reference.update("orders", row, {"status": "op-3"})
    removed = await reference.delete("orders", row)
    assert (updated.outcome, updated.source, updated.row_id) == ("ok", "LEGACY", '["acme","2"]')
    assert (removed.outcome, removed.source, removed.row and removed.row["id"]) == ("ok", "LEGACY", 2)
    writes = [(name, method, pairs) for name, method, pairs, _ in projects.seen if method in ("PATCH", "DELETE")]
    assert {name for name, _, _ in writes} == {"LEGACY"}
    assert all(("tenant_id", "eq.acme") in pairs and ("id", "eq.2") in pairs for _, _, pairs in writes)
    again = await reference.delete("orders", row)
    assert again.outcome == "fail" and again.attempts[-1].kind == "not_found"


async def test_a_delete_while_its_source_is_down_fails_and_touches_no_other(
    reference: ReferenceClient, projects: Projects
) -> None:
    projects.down.add("EU")
    result = await reference.delete("orders", {"tenant_id": "acme", "id": 0, "_db_source": "EU"})
    assert result.outcome == "fail" and result.attempts[0].kind == "refused"
    assert not [s for s in projects.seen if s[1] == "DELETE"]
    with pytest.raises(Exception, match="did not take the delete"):
        result.raise_for_outcome()


async def test_other_flows_are_the_database_function_on_the_rows_source(
    reference: ReferenceClient, projects: Projects
) -> None:
    row = {"tenant_id": "acme", "id": 2, "_db_source": "LEGACY"}
    result = await reference.call("pay_invoice", {"row": row, "table": "orders", "invoice_id": 2})
    assert (result.outcome, result.source, result.row_id) == ("ok", "LEGACY", '["acme","2"]')
    [(name, method, _, body)] = projects.seen
    assert (name, method, body) == ("LEGACY", "POST", {"invoice_id": 2})  # the row and table stay client-side
    projects.down.add("LEGACY")
    failed = await reference.call("pay_invoice", {"row": row, "table": "orders", "invoice_id": 2})
    assert failed.outcome == "fail" and [a.source for a in failed.attempts] == ["LEGACY"]  # never elsewhere


async def test_the_spec_client_has_only_the_specs_flow(projects: Projects) -> None:
    spec = SpecFaithfulClient(CONFIGS, tables=KEYS)
    try:
        result = await spec.call("refund", {"row": {"tenant_id": "acme", "id": 0, "_db_source": "EU"}})
        assert (result.outcome, result.unsupported, result.attempts) == ("fail", True, ())
        assert projects.seen == []
    finally:
        await spec.aclose()


async def test_the_spec_client_lets_the_database_choose_a_generated_key_only(projects: Projects) -> None:
    spec = SpecFaithfulClient(CONFIGS, tables=KEYS)
    for source in spec.sources:  # the spec's defaults, on the fake network
        source._client.postgrest.session._transport = httpx.MockTransport(projects)
    try:
        note = await spec.create("notes", {"id": "harness-1", "body": "op-1@harness.test"})
        order = await spec.create("orders", {"tenant_id": "acme", "id": 5, "status": "new"})
        posted = [body for _, method, _, body in projects.seen if method == "POST"]
        assert posted == [{"body": "op-1@harness.test"}, {"tenant_id": "acme", "id": 5, "status": "new"}]
        assert note.row_id == "99" and order.source == "EU"
        routed = await spec.delete("orders", {"tenant_id": "acme", "id": 1, "_db_source": "SOMEWHERE"})
        assert routed.source == "ARCHIVE"  # the spec's ternary: an unknown tag goes to the last source
    finally:
        await spec.aclose()


def test_env_sources_follow_the_names_given_the_first_from_plain_supabase_url() -> None:
    env = {"SUPABASE_URL": "http://main", "SUPABASE_ANON_KEY": "k0", "REPLICA_EU_SUPABASE_URL": "http://eu"}
    env["REPLICA_EU_SUPABASE_ANON_KEY"] = "k1"
    sources = sources_from_env(env, names=("MAIN", "REPLICA_EU", "LEGACY"))
    assert [(s.name, s.url) for s in sources] == [("MAIN", "http://main"), ("REPLICA_EU", "http://eu")]
