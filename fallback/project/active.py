"""The process-wide active project.

A global on purpose: the project is chosen once per command (like the working directory), and
pydantic validators deep in the scenario model need its source and table names without every
caller threading it through. Tests switch projects with `activate(...)` as a context manager.
"""

from __future__ import annotations

from fallback.project.model import Project

__all__ = ["activate", "active"]

_active: Project | None = None


def active() -> Project:
    """The project commands work on; the built-in example until one is activated."""
    global _active
    if _active is None:
        from fallback.project.builtin import builtin_project  # lazy: reads the example's files

        _active = builtin_project()
    return _active


class activate:
    """`activate(project)` makes it the active project; `with activate(project):` restores the previous one after."""

    def __init__(self, project: Project) -> None:
        global _active
        self._previous = _active
        _active = project

    def __enter__(self) -> Project:
        return active()

    def __exit__(self, *exc: object) -> None:
        global _active
        _active = self._previous
