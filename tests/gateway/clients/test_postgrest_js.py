"""postgrest-js's own integration suite (jest, inline snapshots of a real PostgREST 12.2) against the gateway.

Skipped, with the reason, when npm is missing (or `POSTGREST_JS_REPO` names a copy that does not exist; see suite.py).
Every test of the suite must pass except those listed in postgrest_js_known.yaml with the reason the gateway
answers differently; a listed test that starts to pass fails the run too, so the list stays true.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import yaml

from .._cluster import run_sync
from ..conftest import Source, _source
from . import suite
from .conftest import SUMMARY

KNOWN = Path(__file__).resolve().parent / "postgrest_js_known.yaml"


def known_failures() -> dict[str, str]:
    """`file :: full test name` → why the gateway answers differently (or why the test cannot pass here)."""
    raw = yaml.safe_load(KNOWN.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v for v in raw.values()):
        raise ValueError(f"{KNOWN}: expected a mapping of `file :: test name` to a non-empty reason")
    return {str(k): v for k, v in raw.items()}


@pytest.fixture(scope="module")
def js_source(pg_template: Path) -> Iterator[Source]:
    generator = _source(
        pg_template, schemas=["public", "personal"], db_tx_end="commit-allow-override", db_plan_enabled=True
    )
    yield next(generator)
    generator.close()


def _has_postgis(source: Source) -> bool:
    return bool(source.sql("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"))


def _load(source: Source, sql: str) -> None:
    async def apply() -> None:
        conn = await asyncpg.connect(source.pg.superuser_dsn)
        try:
            await conn.execute(sql)
            await conn.execute("NOTIFY pgrst, 'reload schema'")
        finally:
            await conn.close()

    run_sync(apply)


def test_postgrest_js_suite(pg_template: Path, request: pytest.FixtureRequest) -> None:
    repo = suite.checkout()
    if repo is None:
        pytest.skip("no checkout of supabase/postgrest-js (set POSTGREST_JS_REPO to one)")
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    reason = suite.ensure_node_modules()
    if reason is not None:
        pytest.skip(reason)
    source: Source = request.getfixturevalue("js_source")
    _load(source, suite.fixture_sql(repo, _has_postgis(source)))
    source.gateway.wait_ready()
    with tempfile.TemporaryDirectory(prefix="postgrest-js-suite-") as tmp:
        work = Path(tmp)
        suite.prepare(repo, work, source.rest_url)
        _wait_for_schema(source)
        outcomes = suite.run_jest(work, source.service_key)
    known = known_failures()
    by_file: dict[str, Counter[bool]] = {}
    for outcome in outcomes:
        by_file.setdefault(outcome.file, Counter())[outcome.passed] += 1
    passed = sum(o.passed for o in outcomes)
    SUMMARY.append(f"postgrest-js suite: {passed}/{len(outcomes)} tests pass ({passed / len(outcomes):.0%})")
    SUMMARY.extend(f"  {file}: {c[True]}/{c[True] + c[False]}" for file, c in sorted(by_file.items()))
    unexpected = [o for o in outcomes if not o.passed and f"{o.file} :: {o.name}" not in known]
    fixed = [o for o in outcomes if o.passed and f"{o.file} :: {o.name}" in known]
    seen = {f"{o.file} :: {o.name}" for o in outcomes}
    stale = sorted(set(known) - seen)
    problems = [f"FAILS {o.file} :: {o.name}\n{o.message}" for o in unexpected]
    problems += [f"PASSES now (remove it from {KNOWN.name}): {o.file} :: {o.name}" for o in fixed]
    problems += [f"not in the suite any more (remove it from {KNOWN.name}): {name}" for name in stale]
    assert not problems, "\n\n".join(problems)


def _wait_for_schema(source: Source) -> None:
    """The schema cache reloads in the background after NOTIFY; wait until it knows the fixture's tables."""
    import time

    import httpx

    deadline = time.monotonic() + 20
    headers = {"apikey": source.service_key, "Accept-Profile": "personal"}
    while time.monotonic() < deadline:
        if httpx.get(f"{source.rest_url}/users?limit=0", headers=headers, timeout=5).status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError("the gateway never saw postgrest-js's fixture")
