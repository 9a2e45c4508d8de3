"""The built-in example project: the spec's app, `examples/triple-fallback/` in the repository."""

from __future__ import annotations

from pathlib import Path

from fallback.project.model import Project, SourceSpec

__all__ = ["BUILTIN_ROOT", "builtin_project"]

BUILTIN_ROOT = Path(__file__).resolve().parents[2] / "examples" / "triple-fallback"


def builtin_project() -> Project:
    """The spec's app as a project (sources PRIMARY, BOLT, OLD; tables profiles and user_challenges)."""
    migrations = tuple(sorted((BUILTIN_ROOT / "supabase" / "migrations").glob("*.sql")))
    scenarios = BUILTIN_ROOT / "scenarios"
    return Project(
        root=BUILTIN_ROOT,
        name="triple-fallback",
        sources=tuple(SourceSpec(name=name) for name in ("PRIMARY", "BOLT", "OLD")),
        migrations=migrations,
        tables=("profiles", "user_challenges"),
        scenario_dir=scenarios if scenarios.is_dir() else None,
        config_file=BUILTIN_ROOT / "fallback.toml",
        builtin=True,
    )
