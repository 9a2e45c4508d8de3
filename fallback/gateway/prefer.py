"""The `Prefer`, `Range`, `Accept` and profile headers (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import errors

_KNOWN = {
    "resolution": ("merge-duplicates", "ignore-duplicates"),
    "missing": ("default", "null"),
    "return": ("representation", "minimal", "headers-only"),
    "params": ("single-object",),
    "count": ("exact", "planned", "estimated"),
    "tx": ("commit", "rollback"),
    "handling": ("strict", "lenient"),
}
"""Every preference PostgREST 12.2 accepts (`max-affected=N` and `timezone=` are checked apart), in the order
of its `Preference-Applied` header."""
OBJECT_MEDIA = "application/vnd.pgrst.object+json"
_JSON_MEDIA = ("application/json", "application/vnd.pgrst.array+json", "*/*", "application/*")


@dataclass(frozen=True)
class Preferences:
    """The `Prefer` headers as PostgREST's `fromHeaders` reads them: the first valid value of each wins."""

    return_: str | None = None
    count: str | None = None
    resolution: str | None = None
    missing: str | None = None
    handling: str | None = None
    tx: str | None = None
    params: str | None = None
    max_affected: int | None = None
    timezone: str | None = None
    """`timezone=` for the transaction's `timezone` setting; PostgreSQL refuses a bad name (22023)."""
    invalid: tuple[str, ...] = ()
    """Preferences PostgREST does not know (PGRST122 under `handling=strict`)."""

    @property
    def strict(self) -> bool:
        return self.handling == "strict"

    def check_strict(self) -> None:
        """PGRST122 when `handling=strict` and a preference is not one PostgREST knows."""
        if self.strict and self.invalid:
            raise errors.GatewayError(
                400,
                "PGRST122",
                "Invalid preferences given with handling=strict",
                "Invalid preferences: " + ", ".join(self.invalid),
            )

    def applied(
        self,
        *,
        return_: bool = False,
        count: bool = False,
        insert: bool = False,
        resolution: bool | None = None,
        missing: bool = False,
        params: bool = False,
        max_affected: bool = False,
    ) -> str | None:
        """`Preference-Applied` for the preferences the request honoured, in PostgREST's order."""
        honoured = {
            "resolution": insert if resolution is None else resolution,
            "missing": insert or missing,
            "return": return_,
            "params": params,
            "count": count,
            "tx": True,
            "handling": True,
            "timezone": True,
        }
        values = {
            "resolution": self.resolution,
            "missing": self.missing,
            "return": self.return_,
            "params": self.params,
            "count": self.count,
            "tx": self.tx,
            "handling": self.handling,
            "timezone": self.timezone,
        }
        chosen = [f"{key}={value}" for key, value in values.items() if value is not None and honoured[key]]
        if max_affected and self.strict and self.max_affected is not None:
            chosen.append(f"max-affected={self.max_affected}")
        return ", ".join(chosen) or None


def parse_prefer(values: Iterable[str], *, tx_override: bool = False) -> Preferences:
    """`tx=` counts only where the configuration allows it (PostgREST's `db-tx-end = *-allow-override`)."""
    found: dict[str, str] = {}
    invalid: list[str] = []
    max_affected: int | None = None
    for value in values:
        for item in value.split(","):
            text = item.strip()
            key, _, val = text.partition("=")
            if key in _KNOWN and val in _KNOWN[key]:
                if key != "tx" or tx_override:
                    found.setdefault(key, val)
            elif key == "timezone" and val:
                found.setdefault(key, val)
            elif key == "max-affected" and _is_int(val):
                max_affected = int(val) if max_affected is None else max_affected
            else:
                invalid.append(text)
    return Preferences(
        return_=found.get("return"),
        count=found.get("count"),
        resolution=found.get("resolution"),
        missing=found.get("missing"),
        handling=found.get("handling"),
        tx=found.get("tx"),
        params=found.get("params"),
        max_affected=max_affected,
        timezone=found.get("timezone"),
        invalid=tuple(invalid),
    )


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


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
