"""The one error a scenario file can raise: every problem found, each as `file:line: field: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    """`faults[1].toxic`; empty when the problem is the file itself."""
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(ValueError):
    """One or more scenario files are malformed; `problems` lists each, in file and line order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=lambda p: (p.file, p.line or 0)))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in scenario files:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))
