"""The project under test: its sources, its schema, its scenarios (`fallback.toml` + `supabase/`).

Every command works on one project (`--project DIR`; default: the current directory when it has
`fallback.toml` or `supabase/`, else the built-in example `examples/triple-fallback`). The active
project is process-wide: the CLI activates it once at start-up, and the layers that need its
sources or tables (scenario validation, the stack, the clients' default order) read `active()`.
"""

from __future__ import annotations

from fallback.project.active import activate, active
from fallback.project.model import MAX_SOURCES, SOURCE_NAME, Project, SourceSpec
from fallback.project.schema import Column, ForeignKey, ProjectSchema, TableSchema

__all__ = [
    "MAX_SOURCES",
    "SOURCE_NAME",
    "Column",
    "ForeignKey",
    "Project",
    "ProjectSchema",
    "SourceSpec",
    "TableSchema",
    "activate",
    "active",
]
