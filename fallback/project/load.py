"""Read a project directory: `fallback.toml` (optional) and the `supabase/` folder, into a `Project`.

    project = load_project(Path("my-app"))      # raises ProjectError listing every problem

The format of `fallback.toml` is in `fallback.project.model`'s docstring. Without the file a project
gets the defaults: one source, `PRIMARY`; schema `public`; every table of it; client `both`; the
scenario folder `scenarios/` when it exists. Every problem names its file, its line and the field
(`fallback.toml:7: sources[1].name: duplicate source name 'BOLT' (first on line 4)`), as scenario
files do: `tomllib` keeps no positions, so `_key_lines` finds each key's line in the text (table
headers and `key =` lines; a key it cannot place is reported on its table's line).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from fallback.names import unknown
from fallback.project.errors import ProjectError, ProjectProblem
from fallback.project.model import MAX_SOURCES, SOURCE_NAME, Project, SourceSpec

__all__ = ["CONFIG_FILE", "load_project", "migration_files"]

CONFIG_FILE = "fallback.toml"
MIGRATIONS = Path("supabase") / "migrations"
SEED = Path("supabase") / "seed.sql"
Loc = tuple[str | int, ...]
_CLIENT = re.compile(r"^(reference|spec|both|cmd:.+|[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)$")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _ProjectTable(_Table):
    name: str | None = None
    schemas: list[str] = ["public"]
    tables: list[str] | None = None
    client: str = "both"
    scenarios: str | None = None

    @field_validator("name", "scenarios")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("schemas", "tables")
    @classmethod
    def _names(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        if not names:
            raise ValueError("give at least one name (leave the key out for the default)")
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"named twice: {', '.join(twice)}")
        return names

    @field_validator("client")
    @classmethod
    def _client(cls, client: str) -> str:
        if not _CLIENT.match(client):
            raise ValueError(f"unknown client {client!r} (known: reference, spec, both, package.module:factory)")
        return client


class _SourceTable(_Table):
    name: str
    migrations: list[str] = []
    seed: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not SOURCE_NAME.match(name):
            raise ValueError(
                f"{name!r}: a source name is upper case letters, digits and '_', starting with a letter, "
                "at most 32 (it names env vars and the Toxiproxy proxies <SOURCE>.api), e.g. REPLICA_EU"
            )
        return name


class _Config(_Table):
    project: _ProjectTable = _ProjectTable()
    sources: list[_SourceTable] = [_SourceTable(name="PRIMARY")]

    @field_validator("sources")
    @classmethod
    def _count(cls, sources: list[_SourceTable]) -> list[_SourceTable]:
        if not 1 <= len(sources) <= MAX_SOURCES:
            raise ValueError(f"1 to {MAX_SOURCES} sources, in priority order; got {len(sources)}")
        return sources


_KNOWN: dict[str, tuple[str, ...]] = {
    "": tuple(_Config.model_fields),
    "project": tuple(_ProjectTable.model_fields),
    "sources": tuple(_SourceTable.model_fields),
}


def _key_lines(text: str) -> dict[Loc, int]:
    """The 1-based line of every table header and `key =` line: `("sources", 1, "name") -> 9`."""
    lines: dict[Loc, int] = {(): 1}
    table: Loc = ()
    arrays: dict[Loc, int] = {}
    in_string = False
    for number, raw in enumerate(text.splitlines(), start=1):
        opens_or_closes = bool(raw.count('"""') % 2 or raw.count("'''") % 2)  # a multi-line string
        line = raw.strip()
        skip = in_string or not line or line.startswith("#")
        in_string ^= opens_or_closes
        if skip:
            continue
        header = re.match(r"^(\[\[?)\s*([^\]]+?)\s*\]\]?", line)
        if header:
            path: Loc = tuple(part.strip().strip("\"'") for part in header.group(2).split("."))
            lines.setdefault(path, number)
            if header.group(1) == "[[":
                arrays[path] = arrays.get(path, -1) + 1
                path = (*path, arrays[path])
            table = path
            lines[table] = number
            continue
        key = re.match(r"^([A-Za-z0-9_\-\"'. ]+?)\s*=", line)
        if key:
            lines[(*table, *(part.strip().strip("\"'") for part in key.group(1).split(".")))] = number
    return lines


def _line(lines: dict[Loc, int], loc: Loc) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _field(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _message(error: Any) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        return unknown("key", loc[-1], _KNOWN[str(loc[0]) if len(loc) > 1 else ""])
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    if error["type"] == "missing":
        return "required, but missing"
    return f"{error['msg']} (got {error.get('input')!r})"


def migration_files(folder: Path) -> tuple[Path, ...]:
    """`folder/*.sql` in file-name order (the order `supabase db reset` applies them)."""
    return tuple(sorted(p for p in folder.glob("*.sql") if p.is_file()))


def _read_config(path: Path, problems: list[ProjectProblem]) -> tuple[_Config, dict[Loc, int]] | None:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(ProjectProblem(file, None, "", f"cannot read: {exc}"))
        return None
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        problems.append(ProjectProblem(file, int(at.group(1)) if at else None, "", f"not valid TOML: {message}"))
        return None
    lines = _key_lines(text)
    try:
        return _Config.model_validate(data), lines
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            problems.append(ProjectProblem(file, _line(lines, loc), _field(loc), _message(error)))
        return None


def _paths(root: Path, given: str, what: str) -> tuple[tuple[Path, ...], str | None]:
    """A file, or a folder's `*.sql` in name order, relative to the project; or why not."""
    path = (root / given).resolve()
    if path.is_dir():
        found = migration_files(path)
        return found, None if found else f"no *.sql in {given} (the {what} folder, relative to the project)"
    if path.is_file():
        return (path,), None
    return (), f"no such file or folder: {given} (relative to the project, {root})"


def _sources(
    config: _Config, root: Path, file: str, lines: dict[Loc, int], problems: list[ProjectProblem]
) -> tuple[SourceSpec, ...]:
    specs: list[SourceSpec] = []
    first: dict[str, int] = {}
    for index, source in enumerate(config.sources):
        if source.name in first:
            loc: Loc = ("sources", index, "name")
            message = f"duplicate source name {source.name!r} (first on line {first[source.name]})"
            problems.append(ProjectProblem(file, _line(lines, loc), _field(loc), message))
        first.setdefault(source.name, _line(lines, ("sources", index, "name")))
        migrations: list[Path] = []
        for item, given in enumerate(source.migrations):
            found, problem = _paths(root, given, "migrations")
            migrations += found
            if problem:
                loc = ("sources", index, "migrations", item)
                problems.append(ProjectProblem(file, _line(lines, loc), _field(loc), problem))
        seed: Path | None = None
        if source.seed is not None:
            seed = (root / source.seed).resolve()
            if not seed.is_file():
                loc = ("sources", index, "seed")
                message = f"no such file: {source.seed} (relative to the project, {root})"
                problems.append(ProjectProblem(file, _line(lines, loc), _field(loc), message))
        specs.append(SourceSpec(name=source.name, migrations=tuple(migrations), seed=seed))
    return tuple(specs)


def load_project(root: str | Path, *, builtin: bool = False) -> Project:
    """The project in `root`; raises `ProjectError` listing every problem (nothing is started)."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise ProjectError([ProjectProblem(str(root), None, "", "no such directory")])
    problems: list[ProjectProblem] = []
    migrations = migration_files(root / MIGRATIONS)
    if not migrations:
        message = "no migrations: a project needs supabase/migrations/*.sql (applied in file-name order)"
        problems.append(ProjectProblem(str(root / MIGRATIONS), None, "", message))
    config_path = root / CONFIG_FILE
    config = _Config()
    lines_by_key: dict[Loc, int] = {(): 1}
    if config_path.exists():
        read = _read_config(config_path, problems)
        if read is None:
            raise ProjectError(problems)
        config, lines_by_key = read
    file = str(config_path)
    sources = _sources(config, root, file, lines_by_key, problems)
    folder = root / (config.project.scenarios or "scenarios")
    scenario_dir = folder if folder.is_dir() else None
    if scenario_dir is None and config.project.scenarios is not None:
        loc: Loc = ("project", "scenarios")
        message = f"no such folder: {config.project.scenarios} (relative to the project, {root})"
        problems.append(ProjectProblem(file, _line(lines_by_key, loc), _field(loc), message))
    if problems:
        raise ProjectError(problems)
    tables = config.project.tables
    return Project(
        root=root,
        name=config.project.name or root.name,
        sources=sources,
        migrations=migrations,
        seed=(root / SEED) if (root / SEED).is_file() else None,
        schemas=tuple(config.project.schemas),
        tables=tuple(tables) if tables is not None else None,
        client=config.project.client,
        scenario_dir=scenario_dir,
        config_file=config_path if config_path.exists() else None,
        builtin=builtin,
    )
