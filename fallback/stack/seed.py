"""Seed rows, written with SQL straight to each source's database (the schema is loaded by `migrate`).

Seed rows are deterministic: the same (source, table, index) always gives the same uuid,
so a scenario can name a row, and rows of different sources never share an id (a real
multi-project setup has no shared ids either; duplicates are what the checker looks for).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

import asyncpg

from fallback.stack.state import SourceEndpoints, StackState

Seed = Mapping[str, Mapping[str, int]]
"""Rows per table per source: `{"user_challenges": {"PRIMARY": 45, ...}, ...}`."""
SEED_NAMESPACE = uuid.UUID("6f1c2b1e-5a0e-4a59-9a51-2c1f8f6f0b7d")
TABLES: tuple[str, ...] = ("profiles", "user_challenges")
SPEC_SEED: dict[str, dict[str, int]] = {
    "profiles": {"PRIMARY": 50, "BOLT": 30, "OLD": 20},
    "user_challenges": {"PRIMARY": 45, "BOLT": 25, "OLD": 15},
}
ACCOUNT_SIZES = (5000, 10000, 25000, 50000, 100000)
CHALLENGE_TYPES = ("CLASSIC 2-STEP", "RAPID 1-STEP", "SCALING")


def seed_id(source: str, table: str, index: int) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{source}:{table}:{index}")


def seed_user_id(source: str, index: int) -> uuid.UUID:
    """The user that owns profile `index` of `source` (and some of its challenges)."""
    return uuid.uuid5(SEED_NAMESPACE, f"{source}:user:{index}")


def _email(source: str, user_index: int) -> str:
    return f"user{user_index}@{source.lower()}.example"


async def seed_source(dsn: str, source: str, counts: Mapping[str, int]) -> None:
    """Truncate both tables and insert `counts[table]` rows, in one transaction."""
    unknown = set(counts) - set(TABLES)
    if unknown:
        raise ValueError(f"cannot seed unknown tables {sorted(unknown)} (known: {', '.join(TABLES)})")
    users = max(counts.get("profiles", 0), 1)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        async with conn.transaction():
            await conn.execute("TRUNCATE public.profiles, public.user_challenges")
            profiles = [
                (seed_id(source, "profiles", i), seed_user_id(source, i), _email(source, i), f"User {i}")
                for i in range(counts.get("profiles", 0))
            ]
            await conn.copy_records_to_table(
                "profiles", records=profiles, columns=["id", "user_id", "email", "full_name"]
            )
            challenges = [
                (
                    seed_id(source, "user_challenges", i),
                    seed_user_id(source, i % users),
                    _email(source, i % users),
                    ACCOUNT_SIZES[i % len(ACCOUNT_SIZES)],
                    CHALLENGE_TYPES[i % len(CHALLENGE_TYPES)],
                )
                for i in range(counts.get("user_challenges", 0))
            ]
            await conn.copy_records_to_table(
                "user_challenges",
                records=challenges,
                columns=["id", "user_id", "email", "account_size", "challenge_type"],
            )
    finally:
        await conn.close()


async def seed_all(sources: tuple[SourceEndpoints, ...], seed: Seed) -> None:
    """Truncate and seed every source at once (tables not named in `seed` are emptied)."""
    per_source = {s.name: {table: counts.get(s.name, 0) for table, counts in seed.items()} for s in sources}
    await asyncio.gather(*(seed_source(s.db_dsn, s.name, per_source[s.name]) for s in sources))


def reseed(state: StackState, seed: Seed) -> None:
    """Truncate and reseed every source of a running stack (tables not named in `seed` are emptied)."""
    asyncio.run(seed_all(state.sources, seed))
