"""The one error a project can raise: every problem found, each as `file:line: field: message`.

    ProjectError (ValueError)     a project directory or its `fallback.toml` is not usable;
                                  `problems` lists each, in file and line order

The shape matches `fallback.scenario.ScenarioError`, so the CLI prints both alike and exits 2.
"""

from __future__ import annotations

from fallback.problems import Problem, Problems

__all__ = ["ProjectError", "ProjectProblem"]

ProjectProblem = Problem
"""A problem with the project: `field` is e.g. `sources[1].name`, empty when it is the file or folder itself."""


class ProjectError(Problems):
    """One or more problems with a project; `problems` lists each."""

    subject = "the project"
