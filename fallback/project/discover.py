"""Which project a command works on: `--project DIR`, else the current directory when it looks like one
(`fallback.toml` or `supabase/` in it), else the built-in example.

    project = discover(given=None)             # ProjectError when the chosen directory is not a usable project
    default_scenario_paths(project)            # [<project>/scenarios] (ProjectError: it has none yet)
"""

from __future__ import annotations

from pathlib import Path

from fallback.project.builtin import builtin_project
from fallback.project.errors import ProjectError, ProjectProblem
from fallback.project.load import CONFIG_FILE, load_project
from fallback.project.model import Project

__all__ = ["default_scenario_paths", "discover", "looks_like_project"]


def looks_like_project(folder: Path) -> bool:
    """`fallback.toml` or a `supabase/` folder in it (a bad one is reported, not skipped)."""
    return (folder / CONFIG_FILE).is_file() or (folder / "supabase").is_dir()


def discover(given: Path | None = None, cwd: Path | None = None) -> Project:
    """The project `--project` names; without it the current directory's, or the built-in example."""
    if given is not None:
        return load_project(given)
    here = Path.cwd() if cwd is None else cwd
    return load_project(here) if looks_like_project(here) else builtin_project()


def default_scenario_paths(project: Project) -> list[Path]:
    """What `run` and `validate` read when given no path: the project's scenario folder."""
    if project.scenario_dir is None:
        message = (
            "no scenarios folder: give scenario files, or write a first one with "
            f"`fallback-harness init` (the folder is `{project.root / 'scenarios'}`)"
        )
        raise ProjectError([ProjectProblem(str(project.root), None, "", message)])
    return [project.scenario_dir]
