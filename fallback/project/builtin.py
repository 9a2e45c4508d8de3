"""The built-in example project: the spec's app, `examples/triple-fallback/` in the repository."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fallback.project.model import Project

__all__ = ["BUILTIN_ROOT", "builtin_project"]

BUILTIN_ROOT = Path(__file__).resolve().parents[2] / "examples" / "triple-fallback"


@cache
def builtin_project() -> Project:
    """The spec's app as a project (sources PRIMARY, BOLT, OLD; tables profiles and user_challenges),
    read from its `fallback.toml` like any other project."""
    from fallback.project.load import load_project  # lazy: load imports fallback.names, which reads active()

    return load_project(BUILTIN_ROOT, builtin=True)
