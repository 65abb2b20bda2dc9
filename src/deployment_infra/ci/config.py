"""The repository's `ci/` directory: coverage threshold (coverage.json) and where other files live.

ci/coverage.json: {"threshold": 80}  (percent of lines; 80 when the file is absent), optionally
  "overrides": {"<dir relative to the repository>": {"threshold": 60, "reason": "why"}}: a directory
  with its own threshold, which must say why (the reason is printed with every result).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from deployment_infra.ci.model import Project
from deployment_infra.errors import UsageError

DEFAULT_COVERAGE_THRESHOLD = 80.0


def config_dir(project: Project) -> Path | None:
    """`ci/` next to the checked directory, else at the repository root, else none (defaults)."""
    for base in (project.path, project.root):
        candidate = base / "ci"
        if candidate.is_dir():
            return candidate
    return None


@dataclass(frozen=True)
class CoverageThreshold:
    percent: float
    source: str  # the file it came from, or "default"
    reason: str = ""  # why this directory has its own threshold (an override)


def _percent(value: object, file: Path, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f'{file}: "{key}" must be a number of percent, e.g. {{"threshold": 80}}')
    if not 0 <= value <= 100:
        raise UsageError(f'{file}: "{key}" must be between 0 and 100, got {value}')
    return float(value)


def coverage_threshold(cfg: Path | None, relative: str = ".") -> CoverageThreshold:
    """The threshold for the directory `relative` (to the repository) from ci/coverage.json.

    A malformed file is bad input, never a silent default.
    """
    if cfg is None or not (cfg / "coverage.json").is_file():
        return CoverageThreshold(DEFAULT_COVERAGE_THRESHOLD, "default")
    file = cfg / "coverage.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f'{file}: expected an object such as {{"threshold": 80}}')
    default = _percent(data.get("threshold"), file, "threshold")
    overrides = data.get("overrides", {})
    if not isinstance(overrides, dict):
        raise UsageError(f'{file}: "overrides" must map directories to {{"threshold": N, "reason": "..."}}')
    for directory, entry in overrides.items():
        key = f"overrides.{directory}"
        if not isinstance(entry, dict) or not str(entry.get("reason", "")).strip():
            raise UsageError(f'{file}: "{key}" needs a "threshold" and a non-empty "reason"')
        value = _percent(entry.get("threshold"), file, f"{key}.threshold")
        if Path(directory) == Path(relative):
            return CoverageThreshold(value, str(file), f"override for {directory}: {entry['reason']}")
    return CoverageThreshold(default, str(file))
