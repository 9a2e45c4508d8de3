"""A project: the app under test, as a directory a team already has.

    my-app/
      fallback.toml             # optional: sources, exposed schemas, tables, default client
      supabase/migrations/*.sql # applied in file-name order into every source
      supabase/seed.sql         # optional: run after the migrations
      scenarios/*.yaml          # the default scenario folder

`fallback.toml` (every key optional; see `fallback.project.load` for the rules and errors):

    [project]
    name = "my-app"                     # default: the directory's name
    schemas = ["public"]                # exposed schemas, the first is the default (PostgREST's db-schemas)
    tables = ["orders", "customers"]    # the tables scenarios may touch (default: every table of `schemas`)
    client = "reference"                # default client: reference, spec, both, or package.module:factory
    scenarios = "scenarios"             # default scenario folder, relative to the project

    [[sources]]                         # in priority order, 1 to 8; default: one source, PRIMARY
    name = "PRIMARY"
    [[sources]]
    name = "LEGACY"
    migrations = ["legacy/migrations"]  # extra migration folders or files, applied after the shared ones
    seed = "legacy/seed.sql"            # its own seed file, run after the shared seed

These are plain frozen values: loading and checking live in `fallback.project.load`, the schema
a project's migrations build lives in `fallback.project.schema`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_SOURCES", "SOURCE_NAME", "Project", "SourceSpec"]

MAX_SOURCES = 8
SOURCE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
"""A source's name: upper case letters, digits and `_`, starting with a letter (it names env vars,
Toxiproxy proxies `<SOURCE>.api` and log lines)."""


@dataclass(frozen=True)
class SourceSpec:
    """One Supabase project of the app, in the priority order the client tries them."""

    name: str
    migrations: tuple[Path, ...] = ()
    """Extra migration files for this source only (folders expanded, in file-name order), applied after
    the project's shared migrations: a legacy project often has an older or wider schema."""
    seed: Path | None = None
    """This source's own seed file, run after the shared `supabase/seed.sql`."""


@dataclass(frozen=True)
class Project:
    root: Path
    """The project directory (absolute)."""
    name: str
    sources: tuple[SourceSpec, ...]
    migrations: tuple[Path, ...]
    """`supabase/migrations/*.sql`, in file-name order (absolute paths)."""
    seed: Path | None = None
    """`supabase/seed.sql` when it exists."""
    schemas: tuple[str, ...] = ("public",)
    tables: tuple[str, ...] | None = None
    """Tables scenarios may touch; None means every table of the exposed schemas."""
    client: str = "both"
    scenario_dir: Path | None = None
    """Where the project's scenarios live (absolute); None when the project has none yet."""
    config_file: Path | None = None
    """`fallback.toml` when the project has one (error messages name it)."""
    builtin: bool = False
    """The example shipped with the harness, used when no project is given or found."""

    @property
    def source_names(self) -> tuple[str, ...]:
        """In priority order."""
        return tuple(s.name for s in self.sources)

    def source(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        raise KeyError(f"no source named {name!r} in project {self.name} (known: {', '.join(self.source_names)})")
