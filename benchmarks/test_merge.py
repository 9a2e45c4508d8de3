"""(4) The merge alone, no network: the reference's dedup policy vs the spec's plain concat.

Rows look like `user_challenges` rows, split 45/33/22 % over the three sources as in the spec's
example, with 5 % of BOLT's ids also in PRIMARY so the dedup policy has duplicates to report.

Each round merges rows built for it (untimed setup), as each load merges the rows it decoded: the
reference client's rows are its own (`SourceRows(owned=True)`: decoded from this load's responses,
nobody else holds them), which its dedup tags in place; the spec's concat copies every row, as
`{...row, _db_source}` does. The setup ends with a full garbage collection, so no round is billed for
collecting the 100,000 dicts the setup itself allocated.
"""

from __future__ import annotations

import gc
import uuid
from typing import Any

import pytest

from fallback.bench.labels import MERGE, MERGE_SIZES, Label, Profile
from fallback.bench.measure import Benchmark
from fallback.client.merge import Concat, MergePolicy, PriorityDedup, SourceRows

POLICIES: dict[str, MergePolicy] = {"concat": Concat(), "dedup": PriorityDedup("id")}
CLIENT_OF = {"concat": "spec_faithful", "dedup": "reference"}


def row(i: int) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i)),
        "user_id": str(uuid.UUID(int=10**9 + i)),
        "email": f"user{i}@example.com",
        "account_size": "10000.00",
        "challenge_type": "CLASSIC 2-STEP",
        "status": "pending",
        "mt5_login": None,
        "mt5_password": None,
        "mt5_server": None,
        "created_at": "2024-10-01T00:00:00+00:00",
        "updated_at": "2024-10-01T00:00:00+00:00",
    }


def answers(total: int, *, owned: bool = False) -> list[SourceRows]:
    """Every row a dict of its own (BOLT's shared ids are copies, as if decoded from its response)."""
    primary, bolt = int(total * 0.45), int(total * 0.33)
    old = total - primary - bolt
    shared = bolt // 20
    primary_rows = [row(i) for i in range(primary)]
    bolt_rows = [row(i) for i in range(shared)] + [row(primary + i) for i in range(bolt - shared)]
    old_rows = [row(primary + bolt + i) for i in range(old)]
    return [
        SourceRows(name, rows, owned)
        for name, rows in (("PRIMARY", primary_rows), ("BOLT", bolt_rows), ("OLD", old_rows))
    ]


@pytest.mark.parametrize("variant", list(POLICIES))
@pytest.mark.parametrize("rows", MERGE_SIZES)
def test_merge(benchmark: Benchmark, profile: Profile, rows: int, variant: str) -> None:
    policy = POLICIES[variant]

    def fresh() -> tuple[tuple[list[SourceRows]], dict[str, Any]]:
        data = answers(rows, owned=variant == "dedup")
        gc.collect()
        return (data,), {}

    label = Label(
        MERGE, variant, role="floor" if variant == "concat" else "variant", client=CLIENT_OF[variant], rows=rows
    )
    benchmark.group = label.group
    benchmark.extra_info.update(label.extra_info())
    merged = benchmark.pedantic(policy, setup=fresh, rounds=profile.merge_rounds, warmup_rounds=1, iterations=1)
    benchmark.extra_info["outcomes"] = {f"ok:{len(merged.rows)} rows": profile.merge_rounds}
