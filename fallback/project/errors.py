"""The one error a project can raise: every problem found, each as `file:line: field: message`.

    ProjectError (ValueError)     a project directory or its `fallback.toml` is not usable;
                                  `problems` lists each, in file and line order

The shape matches `fallback.scenario.ScenarioError`, so the CLI prints both alike and exits 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ProjectError", "ProjectProblem"]


@dataclass(frozen=True)
class ProjectProblem:
    file: str
    line: int | None
    field: str
    """`sources[1].name`; empty when the problem is the file or folder itself."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ProjectError(ValueError):
    """One or more problems with a project; `problems` lists each."""

    def __init__(self, problems: Iterable[ProjectProblem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line or 0)))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the project:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))
