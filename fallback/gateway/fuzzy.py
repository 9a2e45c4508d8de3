"""The closest match for a name, as PostgREST picks the "Perhaps you meant ..." hints (pure).

PostgREST uses the Haskell `fuzzyset` package with its defaults (gram sizes 3 then 2, Levenshtein
rescoring, minimum score 0.33); this is that algorithm, so that the hints name the same candidate.
difflib's ratio ranks differently (for `add_them(a, b, smthelse)` it finds nothing where PostgREST
suggests `(a, b)`), hence a port rather than the standard library.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

MIN_SCORE = 0.33
_NOT_GRAM = re.compile(r"[^\w, ]+")


def _grams(text: str, size: int) -> Counter[str]:
    padded = "-" + _NOT_GRAM.sub("", text.lower()) + "-"
    if len(padded) < size:
        padded += "-" * (size - len(padded))
    return Counter(padded[i : i + size] for i in range(len(padded) - size + 1))


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(count * b[gram] for gram, count in a.items())
    if not dot:
        return 0.0
    return dot / (math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values())))


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest(value: str, candidates: Iterable[str]) -> str | None:
    """The best candidate scoring at least MIN_SCORE, or None (fuzzyset's `getOne`)."""
    items = list(dict.fromkeys(candidates))
    lowered = value.lower()
    for size in (3, 2):
        grams = _grams(value, size)
        shared = [item for item in items if _cosine(grams, _grams(item, size)) > 0]
        scored = []
        for item in shared:
            longest = max(len(lowered), len(item)) or 1
            score = 1 - levenshtein(lowered, item.lower()) / longest
            if score >= MIN_SCORE:
                scored.append((score, item))
        if scored:
            return max(scored, key=lambda pair: pair[0])[1]
    return None
