"""The project under test: its sources, its schema, its scenarios (`fallback.toml` + `supabase/`).

Every command works on one project (`--project DIR`; default: the current directory when it has
`fallback.toml` or `supabase/`, else the built-in example `examples/triple-fallback`). The active
project is process-wide: the CLI activates it once at start-up, and the layers that need its
sources or tables (scenario validation, the stack, the clients' default order) read `active()`.

    project = discover(given_dir)        # load_project(dir) / the current directory / builtin_project()
    with activate(project): ...          # what every layer then reads
    init_project(dir)                    # a starter fallback.toml + one example scenario

Every problem with a project is one `ProjectError` listing `file:line: field: message` problems.
"""

from __future__ import annotations

from fallback.project.active import activate, active
from fallback.project.discover import default_scenario_paths, discover
from fallback.project.errors import ProjectError, ProjectProblem
from fallback.project.init import init_project
from fallback.project.load import load_project
from fallback.project.model import MAX_SOURCES, SOURCE_NAME, Project, SourceSpec
from fallback.project.schema import Column, ForeignKey, ProjectSchema, TableSchema
from fallback.project.tables import project_tables

__all__ = [
    "MAX_SOURCES",
    "SOURCE_NAME",
    "Column",
    "ForeignKey",
    "Project",
    "ProjectError",
    "ProjectProblem",
    "ProjectSchema",
    "SourceSpec",
    "TableSchema",
    "activate",
    "active",
    "default_scenario_paths",
    "discover",
    "init_project",
    "load_project",
    "project_tables",
]
