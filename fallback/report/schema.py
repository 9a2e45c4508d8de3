"""`reports/schema.json`: the JSON Schema (draft 2020-12) of `report.json`, generated from
`RunRecord`. The committed file is checked against this generator by a test, so the two never
drift; regenerate with `python -m fallback.report.schema`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from fallback.report.model import RunRecord

DRAFT = "https://json-schema.org/draft/2020-12/schema"
COMMITTED = Path(__file__).resolve().parents[2] / "reports" / "schema.json"


def report_schema() -> dict[str, Any]:
    schema = RunRecord.model_json_schema(mode="serialization")
    return {"$schema": DRAFT, **schema, "title": "fallback-harness run report (report.json)"}


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else COMMITTED
    target.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
