"""Load scenario files, rejecting a malformed one before anything starts.

PyYAML's node tree (`compose`) keeps the line of every key and list item; pydantic's error
locations are mapped back to those lines, so each problem reads
`scenarios/x.yaml:14: faults[1].toxic: unknown toxic 'lag' (known: down, latency, ...)`.
All problems of all files are collected and raised together as one `ScenarioError`.

YAML anchors and aliases are refused while the file is parsed, before anything is built: a few
hundred bytes of nested aliases (a "billion laughs") otherwise expand to gigabytes. Files larger
than `limits.MAX_FILE_BYTES` are not read.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from fallback.scenario._types import unknown
from fallback.scenario.errors import Problem, ScenarioError
from fallback.scenario.limits import MAX_FILE_BYTES
from fallback.scenario.model import Loc, Scenario, cross_check, format_loc

_TAGS = ("Step", "Group")
"""Discriminator tags pydantic puts in error locations (see `workload.StepOrGroup`)."""
Lines = dict[Loc, int]
SUFFIXES = (".yaml", ".yml")
"""What a directory's scenario files end with, in any case (`.YAML` too)."""


class _AliasFound(yaml.MarkedYAMLError):
    """An anchor (`&name`) or alias (`*name`) in a scenario file."""


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases as soon as the parser meets one.

    The check runs on parser events, before any node is composed, so an alias bomb costs nothing.
    """

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:  # type: ignore[override]
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _AliasFound(problem="anchor or alias", problem_mark=event.start_mark)
        return super().compose_node(parent, index)  # type: ignore[arg-type]


def _index_lines(node: yaml.Node, path: Loc, lines: Lines, file: str, problems: list[Problem]) -> None:
    """Record the 1-based line of every key and list item; report duplicate keys (PyYAML keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(file, line, format_loc((*path, key)), f"duplicate key (first on line {seen[key]})")
                )
                continue
            seen[key] = line
            lines[(*path, key)] = line
            _index_lines(value_node, (*path, key), lines, file, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _index_lines(item, (*path, index), lines, file, problems)


def _line(lines: Lines, loc: Loc) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tuple(members)
            tp = members[0]
        else:
            return tp


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model whose fields apply at `loc` (pydantic's raw location, tags included)."""
    tp: Any = Scenario
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, tuple):  # a tagged union: the tag picks the member
            tp = next((_unwrap(m) for m in tp if getattr(_unwrap(m), "__name__", None) == part), None)
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            field = tp.model_fields.get(part)
            tp = field.annotation if field else None
        elif get_origin(tp) in (tuple, list) and isinstance(part, int):
            tp = get_args(tp)[0]
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Any) -> str:
    kind, raw_loc = error["type"], tuple(error["loc"])
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        model = _model_at(raw_loc[:-1])
        known = tuple(model.model_fields) if model else ()
        known = tuple(k for k in known if k != "file")
        return unknown("key", raw_loc[-1], known) if known else f"unknown key {raw_loc[-1]!r}"
    if kind in ("value_error", "assertion_error"):
        return str(error["ctx"]["error"])
    return f"{error['msg']} (got {_short(error.get('input'))})"


def _clean(loc: Iterable[str | int]) -> Loc:
    return tuple(p for p in loc if p not in _TAGS and p != "[key]")


def _read(path: Path, problems: list[Problem]) -> str | None:
    file = str(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            problems.append(Problem(file, None, "", f"larger than {MAX_FILE_BYTES} bytes: not a scenario file"))
            return None
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file, None, "", f"cannot read: {exc}"))
        return None


def _parse(path: Path, problems: list[Problem]) -> tuple[Any, Lines] | None:
    file = str(path)
    text = _read(path, problems)
    if text is None:
        return None
    loader = _NoAliasLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            problems.append(Problem(file, 1, "", "empty file: a scenario needs at least name, description, workload"))
            return None
        lines: Lines = {(): 1}
        _index_lines(node, (), lines, file, problems)
        data = loader.construct_document(node)
    except _AliasFound as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        message = "YAML anchors and aliases (&name, *name) are not allowed: write the value out in full"
        problems.append(Problem(file, line, "", message))
        return None
    except RecursionError:
        problems.append(Problem(file, None, "", "nested too deeply: not a scenario file"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(file, line, "", f"not valid YAML: {exc.problem or exc.context}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(file, None, "", f"not valid YAML: {exc}"))
        return None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problems.append(Problem(file, 1, "", f"a scenario is a mapping of keys, got {type(data).__name__}"))
        return None
    return data, lines


def _load(path: Path, problems: list[Problem]) -> tuple[Scenario, Lines] | None:
    parsed = _parse(path, problems)
    if parsed is None:
        return None
    data, lines = parsed
    file = str(path)
    try:
        scenario = Scenario.model_validate(data, context={"defer_cross_checks": True})
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = _clean(error["loc"])
            problems.append(Problem(file, _line(lines, loc), format_loc(loc), _message(error)))
        return None
    found = [Problem(file, _line(lines, loc), format_loc(loc), message) for loc, message in cross_check(scenario)]
    problems.extend(found)
    return None if found else (scenario.model_copy(update={"file": file}), lines)


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, directories expanded to their `*.yaml` / `*.yml` (any case), each file once.

    A file named twice, or both directly and through its directory, appears once, where first
    named. A directory holding no scenario file is a problem (a mistyped path must not pass);
    raises `ScenarioError` naming every such directory.
    """
    found: dict[Path, Path] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and not p.is_dir())
            if not inside:
                problems.append(Problem(str(path), None, "", f"no scenarios found in {path} (no *.yaml or *.yml)"))
        else:
            inside = [path]
        for file in inside:
            found.setdefault(_identity(file), file)
    if problems:
        raise ScenarioError(problems)
    return list(found.values())


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the loader reports it when it reads the file
        return path.absolute()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one file; raises `ScenarioError` listing every problem in it."""
    return load_scenarios([path])[0]


def load_scenarios(paths: Iterable[str | Path]) -> list[Scenario]:
    """Read and validate every file; raises one `ScenarioError` listing the problems of all of them.

    Scenario names must be unique across the files (they name report entries); a file given
    twice is read once.
    """
    problems: list[Problem] = []
    scenarios: list[Scenario] = []
    first_file: dict[str, str] = {}
    unique: dict[Path, Path] = {}
    for raw in paths:
        unique.setdefault(_identity(Path(raw)), Path(raw))
    for path in unique.values():
        loaded = _load(path, problems)
        if loaded is None:
            continue
        scenario, lines = loaded
        if scenario.name in first_file:
            line = _line(lines, ("name",))
            problems.append(
                Problem(str(path), line, "name", f"{scenario.name!r} is also used by {first_file[scenario.name]}")
            )
            continue
        first_file[scenario.name] = str(path)
        scenarios.append(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenarios
