"""Media types of the table API, as PostgREST 12.2 negotiates them (pure).

    Accept                                            → answer
    application/json, vnd.pgrst.array+json, */*       → a JSON array (`application/json`)
    application/vnd.pgrst.object+json                 → one JSON object, PGRST116 unless exactly one row
    ...;nulls=stripped (array or object)              → the same without null object fields (json_strip_nulls)
    text/csv                                          → a header line and one line per row, as PostgREST's asCsvF
    application/geo+json                              → a GeoJSON FeatureCollection (PostGIS's ST_AsGeoJSON)
    application/vnd.pgrst.plan[+json|+text]           → EXPLAIN of the statement for the media type of its `for`
        (default application/json) with its `options` (analyze|verbose|settings|buffers|wal), when the
        gateway's `db_plan_enabled` is on (PostgREST's `db-plan-enabled`; else it is not acceptable)
    the name of a domain a function returns            → the function's value itself (rpc.py)
    anything else                                     → 406 PGRST107

Requests may send `text/csv` bodies too (`csv_rows`). The output is built by PostgreSQL, like PostgREST:
`shape` rewrites the statement's aggregate of the rows (`json_agg(pgrst_t)`), so values print as their types do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import Literal

from . import errors
from .sql import Statement

__all__ = ["Media", "Plan", "csv_of", "csv_rows", "geojson_of", "negotiate", "shape"]

_ROWS = "coalesce(json_agg(pgrst_t), '[]')::text"
_TEXT_TYPES = ("text/plain", "text/xml", "text/csv", "application/json")
"""Media types PostgREST's toContentType gives a charset; another raw one (image/png, text/html) has none."""


def csv_of(rows: str) -> str:
    """PostgREST's asCsvF over the relation `rows`: a header line from the first row's keys, then each row."""
    return (
        f"coalesce((SELECT string_agg(pgrst_k, ',') FROM json_object_keys((array_agg(row_to_json({rows})))[1]) "
        f"AS pgrst_h(pgrst_k)), '') || chr(10) || coalesce(string_agg(substring({rows}::text, 2, "
        f"length({rows}::text) - 2), chr(10)), '')"
    )


def geojson_of(rows: str) -> str:
    """PostgREST's asGeoJsonF: a FeatureCollection of the rows (PostGIS's ST_AsGeoJSON of each)."""
    return (
        "json_build_object('type', 'FeatureCollection', 'features', "
        f"coalesce(json_agg(ST_AsGeoJSON({rows})::json), '[]'))::text"
    )


_CSV = csv_of("pgrst_t")
_GEOJSON = geojson_of("pgrst_t")
_PLAN_OPTIONS = ("analyze", "verbose", "settings", "buffers", "wal")
_ARRAY = ("application/json", "application/vnd.pgrst.array+json", "application/vnd.pgrst.array", "*/*")
_OBJECT = ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object")


@dataclass(frozen=True)
class Plan:
    """`application/vnd.pgrst.plan`: EXPLAIN in `format` with `options` (PostgREST's order), instead of the rows."""

    format: Literal["json", "text"] = "text"
    options: tuple[str, ...] = ()

    @property
    def explain(self) -> str:
        return f"EXPLAIN ({', '.join([f'FORMAT {self.format.upper()}', *(o.upper() for o in self.options)])})"


@dataclass(frozen=True)
class Media:
    kind: Literal["json", "object", "csv", "geojson", "raw"] = "json"
    strip_nulls: bool = False
    plan: Plan | None = None
    """Set: the answer is the plan of the statement that would answer in this media type."""
    raw: str = ""
    """kind `raw`: the media type a function's result is a domain of (`text/plain`, `image/png`, ...)."""

    @property
    def singular(self) -> bool:
        return self.kind == "object" and self.plan is None

    @property
    def mime(self) -> str:
        """PostgREST's toMime: the media type without charset."""
        if self.kind == "csv":
            return "text/csv"
        if self.kind == "geojson":
            return "application/geo+json"
        if self.kind == "raw":
            return self.raw
        if self.kind == "object":
            base = "application/vnd.pgrst.object+json"
        else:
            base = "application/vnd.pgrst.array+json" if self.strip_nulls else "application/json"
        return f"{base};nulls=stripped" if self.strip_nulls else base

    @property
    def content_type(self) -> str:
        if self.plan is not None:
            options = f"; options={'|'.join(self.plan.options)}" if self.plan.options else ""
            return f'application/vnd.pgrst.plan+{self.plan.format}; for="{self.mime}"{options}; charset=utf-8'
        if self.kind == "raw" and self.raw not in _TEXT_TYPES:
            return self.raw
        return f"{self.mime}; charset=utf-8"


def _weighted(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept header, highest `q` first (stable for equal weights)."""
    ranges: list[tuple[float, int, str, dict[str, str]]] = []
    for index, part in enumerate(accept.split(",")):
        name, *raw_params = (p.strip() for p in part.split(";"))
        params = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in raw_params if p)}
        try:
            weight = float(params.pop("q", "1"))
        except ValueError:
            weight = 1.0
        ranges.append((-weight, index, name.lower(), params))
    return [(name, params) for _, _, name, params in sorted(ranges)]


def _one(name: str, params: dict[str, str]) -> Media | None:
    strip = params.get("nulls") == "stripped"
    if name in _OBJECT:
        return Media("object", strip)
    if name in _ARRAY or name == "application/*":
        return Media("json", strip and name.startswith("application/vnd.pgrst.array"))
    if name in ("text/csv", "text/*"):
        return Media("csv")
    if name == "application/geo+json":
        return Media("geojson")
    return None


def _plan(name: str, params: dict[str, str]) -> Media | None:
    """PostgREST's decodeMediaType of `application/vnd.pgrst.plan[+json|+text]; for="..."; options=a|b`."""
    formats: dict[str, Literal["json", "text"]] = {"": "text", "+text": "text", "+json": "json"}
    fmt = formats.get(name.removeprefix("application/vnd.pgrst.plan"))
    if not name.startswith("application/vnd.pgrst.plan") or fmt is None:
        return None
    target, *raw = (p.strip() for p in params.get("for", "application/json").strip('"').split(";"))
    inner_params = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in raw if p)}
    inner = _one(target.lower(), inner_params)
    if inner is None:
        return None
    wanted = params.get("options", "").split("|")
    return replace(inner, plan=Plan(fmt, tuple(o for o in _PLAN_OPTIONS if o in wanted)))


def negotiate(accept: str | None, *, plan_enabled: bool = False, raw: str | None = None) -> Media:
    """The first media type of `accept` this gateway produces; 406 PGRST107 when there is none.
    `raw`: the media type a function returns as a domain (PostgREST's media type handlers for a scalar
    function, e.g. `RETURNS "text/plain"`); asked for by name, the function's value is the body."""
    if not accept or not accept.strip():
        return Media()
    for name, params in _weighted(accept):
        if raw is not None and name == raw.lower():
            return Media("raw", raw=raw)
        found = _one(name, params) or (_plan(name, params) if plan_enabled else None)
        if found is not None:
            return found
    raise errors.not_acceptable(accept)


def shape(statement: Statement, media: Media) -> Statement:
    """The statement with its rows aggregated for `media` (a JSON array as built, or CSV, or nulls stripped)."""
    if media.kind == "csv":
        return replace(statement, sql=statement.sql.replace(_ROWS, _CSV, 1))
    if media.kind == "geojson":
        return replace(statement, sql=statement.sql.replace(_ROWS, _GEOJSON, 1))
    if media.strip_nulls:
        stripped = "coalesce(json_agg(json_strip_nulls(row_to_json(pgrst_t))), '[]')::text"
        return replace(statement, sql=statement.sql.replace(_ROWS, stripped, 1))
    return statement


def csv_rows(raw: bytes) -> list[dict[str, object]]:
    """A `text/csv` body as PostgREST reads it: a header line, then rows; `NULL` is SQL NULL."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.invalid_body() from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines:
        raise errors.invalid_body()
    header, body = lines[0], [line for line in lines[1:] if line]
    if any(len(line) != len(header) for line in body):
        raise errors.invalid_body("All lines must have same number of fields")
    return [{k: (None if v == "NULL" else v) for k, v in zip(header, line, strict=True)} for line in body]
