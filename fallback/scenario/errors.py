"""The one error a scenario file can raise: every problem found, each as `file:line: field: message`."""

from __future__ import annotations

from fallback.problems import Problem, Problems

__all__ = ["Problem", "ScenarioError"]


class ScenarioError(Problems):
    """One or more scenario files are malformed; `problems` lists each, in file and line order."""

    subject = "scenario files"
