"""The one small protocol CI steps share, and the verdict of a stage.

A step ends `passed`, `failed` or `not run` (the tool could not get what it needs here, e.g. a
vulnerability database without internet). `not run` never counts as a pass: it is accepted only off
GitHub Actions and only for a step the workflow runs there (`runs_on_github`); anywhere else it
fails the stage, so a scanner that silently stops running turns the pipeline red.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Status = Literal["passed", "failed", "not run"]
STAGES = ("lint", "test", "security", "build")
# kinds of content a directory can hold; steps say which they apply to
KINDS = ("typescript", "python", "terraform", "docker", "workflows")


@dataclass(frozen=True)
class StepResult:
    step: str
    status: Status
    summary: str  # one line a person reads
    tool: str = ""  # what ran, with its version ("eslint 9.39.1")
    seconds: float = 0.0
    details: tuple[str, ...] = ()  # findings, failing files: one line each
    runs_on_github: bool = False  # a `not run` step that the GitHub workflow does run
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable extras (coverage %, findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "status": self.status,
            "summary": self.summary,
            "tool": self.tool,
            "seconds": round(self.seconds, 2),
            "details": list(self.details),
            "runs_on_github": self.runs_on_github,
            "data": self.data,
        }


@dataclass(frozen=True)
class Project:
    """The directory a stage runs on."""

    path: Path  # absolute
    root: Path  # the repository holding it (git top level), where `ci/` is read
    kinds: frozenset[str]
    sha: str  # the commit being checked ("0000000" outside git)


@dataclass(frozen=True)
class StageContext:
    project: Project
    config_dir: Path | None  # <root>/ci, None when the repository has none (defaults apply)
    work: Path  # scratch directory for reports (under <root>/.infra/ci/)
    on_github: bool


class Step(Protocol):
    """One check of a stage: `applies` looks at the project, `run` does the work and never raises
    for a finding (only UsageError for bad input such as a malformed ci/ file)."""

    @property
    def name(self) -> str: ...

    def applies(self, project: Project) -> bool: ...

    def run(self, ctx: StageContext) -> StepResult: ...


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def verdict(results: tuple[StepResult, ...] | list[StepResult], *, on_github: bool) -> Status:
    """`passed` iff nothing failed and every `not run` is one the GitHub workflow runs, off GitHub."""
    if not results:
        return "failed"
    for r in results:
        if r.status == "failed":
            return "failed"
        if r.status == "not run" and (on_github or not r.runs_on_github):
            return "failed"
    return "passed"


@dataclass(frozen=True)
class StageReport:
    stage: str
    path: Path
    results: tuple[StepResult, ...]
    on_github: bool

    @property
    def status(self) -> Status:
        return verdict(self.results, on_github=self.on_github)

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "passed" else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "path": str(self.path),
            "status": self.status,
            "on_github": self.on_github,
            "steps": [r.to_dict() for r in self.results],
        }
