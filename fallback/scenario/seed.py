"""A scenario's `seed:`: generated rows per table per source, and/or named SQL files.

    seed:                                   # rows generated from the schema (fallback.project.rows)
      organizations: {PRIMARY: 5, LEGACY: 2}
      invoices: {PRIMARY: 40, LEGACY: 10}
    seed:
      file: seeds/demo.sql                  # run into every source (path relative to the project)
    seed:
      file: {PRIMARY: seeds/a.sql, LEGACY: [seeds/legacy.sql, seeds/extra.sql]}   # per source
      invoices: {PRIMARY: 10}               # files first, then generated rows (their FKs may point at the files' rows)

Every table of the project is emptied first; a table or source left out gets no rows. `file` is the one
reserved key (a table named `file` cannot be seeded by count). Without `seed:`, the built-in example
gets the spec's figures and another project its own seed files (`supabase/seed.sql`, then each source's
`seed`), or empty tables when it has none.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from fallback.project import Project, ProjectSchema, active, seeding
from fallback.project.seeding import project_seed_files
from fallback.scenario._types import Record, Source
from fallback.scenario.limits import MAX_SEED_ROWS

__all__ = ["SPEC_SEED", "SeedSpec", "project_schema", "seed_problems"]

Loc = tuple[str | int, ...]
Count = Annotated[int, Field(ge=0, le=MAX_SEED_ROWS)]
Paths = str | list[str]
SeedFile = Paths | dict[Source, Paths]
"""One SQL file (or a list) for every source, or per source."""
SPEC_SEED: dict[str, dict[str, int]] = {
    "profiles": {"PRIMARY": 50, "BOLT": 30, "OLD": 20},
    "user_challenges": {"PRIMARY": 45, "BOLT": 25, "OLD": 15},
}
"""The figures of the spec's console logs; the built-in example's seed when a scenario gives none."""


class SeedSpec(Record):
    model_config = ConfigDict(frozen=True, extra="allow")
    __pydantic_extra__: dict[str, dict[Source, Count]]  # table: {SOURCE: rows}

    file: SeedFile | None = None

    @classmethod
    def default(cls) -> SeedSpec:
        """The seed of a scenario that gives none (see the module docstring)."""
        project = active()
        if project.builtin:
            return cls.model_validate(SPEC_SEED)
        files = {
            name: [_relative(p, project.root) for p in found] for name, found in project_seed_files(project).items()
        }
        return cls.model_validate({"file": files} if files else {})

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per table per source."""
        return {table: dict(per_source) for table, per_source in (self.__pydantic_extra__ or {}).items()}

    def count(self, table: str, source: str) -> int:
        return self.counts.get(table, {}).get(source, 0)

    def file_names(self, source: str) -> tuple[str, ...]:
        """The SQL files run into `source`, as written (relative to the project)."""
        chosen: Paths | None = self.file.get(source) if isinstance(self.file, dict) else self.file
        if chosen is None:
            return ()
        return (chosen,) if isinstance(chosen, str) else tuple(chosen)

    def files_for(self, source: str, root: Path) -> tuple[Path, ...]:
        return tuple((root / name).resolve() for name in self.file_names(source))

    def problems(self, root: Path, sources: tuple[str, ...]) -> list[tuple[Loc, str]]:
        """SQL files that do not exist, each located at its key (`seed.file`, `seed.file.<SOURCE>[i]`)."""
        found: list[tuple[Loc, str]] = []
        for source in sources:
            for index, name in enumerate(self.file_names(source)):
                path = (root / name).resolve()
                if not path.is_file():
                    where: Loc = ("seed", "file")
                    if isinstance(self.file, dict):
                        where += (source,)
                    if isinstance(self.file.get(source) if isinstance(self.file, dict) else self.file, list):
                        where += (index,)
                    found.append((where, f"{name}: no such file (paths are relative to the project, {root})"))
        return list(dict.fromkeys(found))

    @model_validator(mode="wrap")
    @classmethod
    def _known_tables(cls, data: Any, handler: ModelWrapValidatorHandler[SeedSpec]) -> SeedSpec:
        """Table names are checked here, each error at its key (`seed.<table>`), with the values' errors."""
        if not isinstance(data, dict):
            return handler(data)
        errors: list[InitErrorDetails] = []
        table = TypeAdapter(_table_type())
        for key in data:
            if key == "file":
                continue
            try:
                table.validate_python(key)
            except ValidationError as exc:
                message = exc.errors()[0]["msg"].removeprefix("Value error, ")
                errors.append(
                    InitErrorDetails(type=PydanticCustomError("unknown_table", message), loc=(key, "[key]"), input=key)
                )
        if not errors:
            return handler(data)
        try:
            handler({k: v for k, v in data.items() if k == "file" or k not in {e["loc"][0] for e in errors}})
        except ValidationError as exc:
            errors += [
                InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], ctx=e.get("ctx", {}))
                for e in exc.errors()
            ]  # type: ignore[typeddict-item]
        raise ValidationError.from_exception_data(cls.__name__, errors)

    @model_serializer(mode="wrap")
    def _flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("file") is None:
            data.pop("file", None)
        return data


def _table_type() -> Any:
    from fallback.scenario._types import Table  # P's project-aware table names

    return Table


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def project_schema() -> ProjectSchema | None:
    """The active project's schema for checking seeds (`fallback.project.cache`, built once and cached);
    None for the built-in example, whose two tables have no foreign keys and whose users follow the
    spec's rule (one per profile)."""
    project = active()
    return None if project.builtin else _schema_of(project)


@functools.cache
def _schema_of(project: Project) -> ProjectSchema | None:
    """Once per project and process: scenarios are validated by the hundred (explore builds them in code)."""
    try:
        from fallback.project.cache import cached_schema  # lazy: it needs the stack's scratch cluster
    except ImportError:  # a harness without the stack's migration loading: the seed is checked when it runs
        return None
    return cached_schema(project)


def seed_problems(seed: SeedSpec, schema: ProjectSchema | None) -> list[tuple[Loc, str]]:
    """What is wrong with `seed` for the active project: SQL files that do not exist and,
    with the project's `schema`, foreign keys into tables the seed leaves empty (`fallback.project.seeding`)."""
    project = active()
    found = seed.problems(project.root, project.source_names)
    if schema is None:
        return found
    with_files = frozenset(s for s in project.source_names if seed.file_names(s))
    kept = frozenset(() if project.tables is None else set(schema.table_names) - set(project.tables))
    known = [name for name in seed.counts if name in schema.table_names]  # other names: the table validator's
    counts = {name: seed.counts[name] for name in known}
    for table, message in seeding.seed_problems(schema, counts, with_files, kept):
        found.append((("seed", table) if table else ("seed",), message))
    return found
