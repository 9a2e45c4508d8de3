"""Conformance cases: one request and PostgREST's answer each, loaded from a YAML data file.

The file format is described at the top of each data file (rpc.yaml). A malformed case fails loading,
naming the file, the case and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

HERE = Path(__file__).resolve().parent
JsonValue = Any  # a parsed JSON document from the data file; compared as a whole
_MISSING = object()


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    it: str
    spec: str = "RpcSpec.hs"
    """The PostgREST spec file the case is ported from."""
    method: str
    path: str
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: JsonValue = None
    has_json_body: bool = False
    body: str | None = None
    status: int = 200
    headers_expected: dict[str, str] = Field(default_factory=dict)
    absent: list[str] = Field(default_factory=list)
    expect_json: JsonValue = Field(default=None, alias="json")
    has_expect_json: bool = False
    body_expected: str | None = None
    error_format: bool = False
    note: str | None = None
    xfail: str | None = None

    def content(self) -> bytes | None:
        if self.has_json_body:
            return json.dumps(self.json_body).encode()
        return None if self.body is None else self.body.encode("utf-8", "surrogateescape")

    def mismatches(self, response: httpx.Response) -> list[str]:
        """What differs from PostgREST's answer (empty when the response conforms)."""
        found: list[str] = []
        if response.status_code != self.status:
            found.append(f"status {response.status_code} != {self.status} ({response.text[:300]})")
        for name, value in self.headers_expected.items():
            if response.headers.get(name) != value:
                found.append(f"header {name}: {response.headers.get(name)!r} != {value!r}")
        found += [f"header {name} present" for name in self.absent if name in response.headers]
        if self.has_expect_json:
            try:
                got = response.json()
            except ValueError:
                got = _MISSING
            if got is _MISSING or got != self.expect_json:
                found.append(f"body {response.text[:300]!r} != {json.dumps(self.expect_json)[:300]}")
        if self.body_expected is not None and response.text != self.body_expected:
            found.append(f"body {response.text[:300]!r} != {self.body_expected!r}")
        if self.error_format:
            try:
                keys = set(response.json())
            except (ValueError, TypeError):
                keys = set()
            if "message" not in keys or not keys <= {"message", "details", "hint", "code"}:
                found.append(f"not a PostgREST error body: {response.text[:300]!r}")
        return found


def load(name: str) -> list[Case]:
    path = HERE / name
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of cases")
    cases: list[Case] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"{path}: case {index + 1}: expected a mapping")
        data = {**item, "has_json_body": "json_body" in item, "has_expect_json": "json" in item}
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            raise ValueError(f"{path}: case {index + 1} ({item.get('it')}): {exc}") from None
        if case.method in ("GET", "HEAD", "DELETE") and case.content():
            raise ValueError(f"{path}: case {index + 1} ({case.it}): a {case.method} request has no body")
        cases.append(case)
    return cases
