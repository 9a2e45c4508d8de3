"""The `Prefer`, `Range`, `Accept` and profile headers (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import errors

_KNOWN = {
    "return": {"minimal", "representation", "headers-only"},
    "count": {"exact", "planned", "estimated"},
    "resolution": {"merge-duplicates", "ignore-duplicates"},
    "missing": {"default", "null"},
    "handling": {"lenient", "strict"},
}
OBJECT_MEDIA = "application/vnd.pgrst.object+json"
_JSON_MEDIA = ("application/json", "application/vnd.pgrst.array+json", "*/*", "application/*")


@dataclass(frozen=True)
class Preferences:
    return_: str | None = None
    count: str | None = None
    resolution: str | None = None
    missing: str | None = None

    def applied(self, *, return_: bool = False, count: bool = False, insert: bool = False) -> str | None:
        """`Preference-Applied` for the preferences the request honoured."""
        parts: list[str] = []
        if insert and self.resolution:
            parts.append(f"resolution={self.resolution}")
        if insert and self.missing:
            parts.append(f"missing={self.missing}")
        if return_ and self.return_:
            parts.append(f"return={self.return_}")
        if count and self.count:
            parts.append(f"count={self.count}")
        return ", ".join(parts) or None


def parse_prefer(values: Iterable[str]) -> Preferences:
    """Unknown or invalid preferences are ignored (PostgREST's default `handling=lenient`)."""
    found: dict[str, str] = {}
    for value in values:
        for item in value.split(","):
            key, _, val = item.strip().partition("=")
            if key in _KNOWN and val in _KNOWN[key] and key not in found:
                found[key] = val
    return Preferences(found.get("return"), found.get("count"), found.get("resolution"), found.get("missing"))


def parse_range(header: str | None) -> tuple[int, int | None] | None:
    """`Range: 0-24` → (offset 0, limit 25); `Range: 10-` → (10, None)."""
    if not header:
        return None
    text = header.strip()
    if text.startswith("items="):
        text = text[len("items=") :]
    low, sep, high = text.partition("-")
    if not sep or not low.isdigit() or (high and not high.isdigit()):
        return None
    lower = int(low)
    if not high:
        return lower, None
    upper = int(high)
    if upper < lower:
        raise errors.range_not_satisfiable("The lower boundary must be lower than or equal to the upper boundary")
    return lower, upper - lower + 1


def wants_object(accept: str | None) -> bool:
    """True for `application/vnd.pgrst.object+json`; 406 for media types this gateway cannot produce."""
    if not accept:
        return False
    media = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if OBJECT_MEDIA in media:
        return True
    if any(m in _JSON_MEDIA for m in media) or all(not m for m in media):
        return False
    raise errors.not_acceptable(accept)


def choose_schema(profile: str | None, exposed: list[str]) -> str:
    if not profile:
        return exposed[0]
    if profile not in exposed:
        raise errors.invalid_schema(profile, exposed)
    return profile
