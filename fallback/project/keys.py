"""Primary keys the harness writes: deterministic per (label, table, index), disjoint per label.

Seed rows get keys from their source's label and ordinal, so the same scenario always seeds the same
ids and rows of different sources never share one (a real multi-project setup has no shared ids;
duplicates are what the checker looks for). Keys drawn for created rows come from ranges no seed
block and no sequence reaches: uuids are version 4 from the seeded RNG, integers come from the upper
half of their type's range (sequences start at 1 and the seed blocks sit just above the midpoint).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = [
    "INT_BLOCKS",
    "SEED_NAMESPACE",
    "KeyPlan",
    "int_block",
    "int_random_range",
    "seed_id",
    "seed_user_id",
    "text_key",
]

SEED_NAMESPACE = uuid.UUID("6f1c2b1e-5a0e-4a59-9a51-2c1f8f6f0b7d")
INT_BLOCKS = 16
"""Each integer type's upper half is cut into 16 blocks: 0-7 for the seed of source 0-7, 8-15 for created rows."""
_INT_HALF: dict[str, tuple[int, int]] = {
    "int2": (2**14, 2**15 - 1),
    "int4": (2**30, 2**31 - 1),
    "int8": (2**62, 2**63 - 1),
}


def seed_id(source: str, table: str, index: int) -> uuid.UUID:
    """The uuid key of seed row `index` of `table` in `source` (stable across runs and versions)."""
    return uuid.uuid5(SEED_NAMESPACE, f"{source}:{table}:{index}")


def seed_user_id(source: str, index: int) -> uuid.UUID:
    """Seeded user `index` of `source` (owner of generated rows; `auth: user:SOURCE:index` signs in as them)."""
    return uuid.uuid5(SEED_NAMESPACE, f"{source}:user:{index}")


def _half(int_type: str) -> tuple[int, int]:
    return _INT_HALF.get(int_type, _INT_HALF["int4"])


def int_block(int_type: str, block: int) -> tuple[int, int]:
    """The inclusive range of integer keys of `block` (0-15) for `int2`, `int4` or `int8`."""
    low, high = _half(int_type)
    size = (high - low + 1) // INT_BLOCKS
    return low + block * size, low + (block + 1) * size - 1


def int_random_range(int_type: str) -> tuple[int, int]:
    """Where keys of created rows are drawn: blocks 8-15, clear of every seed block and of sequences."""
    return int_block(int_type, INT_BLOCKS // 2)[0], _half(int_type)[1]


def text_key(label: str, table: str, index: int, max_length: int | None) -> str:
    """A readable text key (`primary-orders-12`), or the seed uuid's hex when the column is too short for it."""
    readable = f"{label.lower()}-{table}-{index}"
    if max_length is None or len(readable) <= max_length:
        return readable
    return seed_id(label, table, index).hex[:max_length]


@dataclass(frozen=True)
class KeyPlan:
    """Deterministic keys for a batch: row i gets index `start + i` of `label` (e.g. the source's name).

    `block` (0-15) picks the integer keys' block: the seed uses the source's ordinal (0-7)."""

    label: str
    block: int
    start: int = 0
