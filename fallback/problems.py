"""Problems found in a user's file, each as `file:line: field: message`, and the error that lists them all.

Shared by the scenario files (`fallback.scenario.ScenarioError`) and the project (`fallback.project.ProjectError`),
so the CLI prints both alike and exits 2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Problem", "Problems"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    """`faults[1].toxic`, `sources[1].name`; empty when the problem is the file or folder itself."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class Problems(ValueError):
    """One or more problems; `problems` lists each, in file and line order. Subclasses name what was read."""

    subject = "the input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line or 0)))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {self.subject}:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))
