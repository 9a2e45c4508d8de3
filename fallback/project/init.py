"""`fallback-harness init [DIR]`: a starter `fallback.toml` and one example scenario for an existing
`supabase/` folder.

The starter names two sources, PRIMARY and FALLBACK (a fallback needs somewhere to fall back to; rename
them to your projects' names), lists the tables the migrations create (commented out: the default is all
of them) and uses the reference client (the spec-faithful one is the example app's own code). The example
scenario takes PRIMARY's API down and reads the first table from FALLBACK. Nothing is overwritten: an
existing `fallback.toml` or example scenario is a `ProjectError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from fallback.project.active import activate
from fallback.project.errors import ProjectError, ProjectProblem
from fallback.project.load import CONFIG_FILE, load_project
from fallback.project.tables import project_tables, root_table

__all__ = ["EXAMPLE_SCENARIO", "init_project"]

EXAMPLE_SCENARIO = Path("scenarios") / "example-primary-down.yaml"
SEED_ROWS = 5

_CONFIG = """\
# The project `fallback-harness` tests (written by `fallback-harness init`; every key is optional).
# The format: `fallback/project/model.py`; the README's "Test your own project".
[project]
name = {name}
schemas = ["public"]             # the exposed schemas (PostgREST's db-schemas), the first is the default
# tables the scenarios may touch; default: every table of `schemas`. The migrations create:
# tables = [{tables}]
client = "reference"             # reference, spec, both, or package.module:factory
scenarios = "scenarios"          # the default scenario folder, relative to this file

# The sources, in the priority order the client tries them: 1 to 8, names in upper case.
# Each may add its own migrations (applied after supabase/migrations) and seed file:
#   migrations = ["legacy/migrations"]
#   seed = "legacy/seed.sql"
[[sources]]
name = "PRIMARY"

[[sources]]
name = "FALLBACK"
"""

_SCENARIO = """\
name: example-primary-down
description: |
  Written by `fallback-harness init`: PRIMARY's API is down, so {table} is read from FALLBACK
  alone, and the client says it is degraded. Copy this file to write your own (fallback/scenario/FORMAT.md).
seed:
  {table}: {{PRIMARY: {rows}, FALLBACK: {rows}}}
faults:
  - {{at: 0s, target: PRIMARY.api, toxic: down}}
workload:
  steps:
    - {{op: load, table: {table}, count: 1}}
expect:
  merged_count: {rows}
  source_counts: {{PRIMARY: 0, FALLBACK: {rows}}}
  degraded: true
"""


def init_project(root: str | Path) -> tuple[Path, ...]:
    """Write `fallback.toml` and the example scenario into `root`; returns their paths.

    `root` must hold `supabase/migrations/*.sql`; raises `ProjectError` (naming the file) when it does not, when
    either file exists already, or when the migrations create no table in `public`.
    """
    root = Path(root).resolve()
    config, scenario = root / CONFIG_FILE, root / EXAMPLE_SCENARIO
    existing = [path for path in (config, scenario) if path.exists()]
    if existing:
        message = "already exists: `init` never overwrites (edit it, or move it away and run `init` again)"
        raise ProjectError([ProjectProblem(str(path), None, "", message) for path in existing])
    draft = load_project(root)  # no fallback.toml yet: the defaults; a folder without migrations fails here
    tables = project_tables(draft)
    if not tables:
        message = "the migrations create no table in schema public: nothing for a scenario to read"
        raise ProjectError([ProjectProblem(str(root / "supabase" / "migrations"), None, "", message)])
    listed = ", ".join(json.dumps(table) for table in tables)  # a JSON string is a TOML basic string
    config.write_text(_CONFIG.format(name=json.dumps(root.name), tables=listed), encoding="utf-8")
    scenario.parent.mkdir(parents=True, exist_ok=True)
    scenario.write_text(_SCENARIO.format(table=root_table(draft, tables), rows=SEED_ROWS), encoding="utf-8")
    with activate(load_project(root)):  # what was written loads: the same checks `validate` makes
        from fallback.scenario import load_scenario  # lazy: the scenario package imports the project package

        load_scenario(scenario)
    return config, scenario
