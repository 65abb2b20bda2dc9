"""The repository's `ci/` directory: coverage threshold (coverage.json) and where other files live.

ci/coverage.json: {"threshold": 80}  (percent of lines; 80 when the file is absent)
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


def coverage_threshold(cfg: Path | None) -> CoverageThreshold:
    """The threshold from ci/coverage.json; a malformed file is bad input, never a silent default."""
    if cfg is None or not (cfg / "coverage.json").is_file():
        return CoverageThreshold(DEFAULT_COVERAGE_THRESHOLD, "default")
    file = cfg / "coverage.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{file}: not valid JSON ({exc})") from None
    value = data.get("threshold") if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f'{file}: "threshold" must be a number of percent, e.g. {{"threshold": 80}}')
    if not 0 <= value <= 100:
        raise UsageError(f'{file}: "threshold" must be between 0 and 100, got {value}')
    return CoverageThreshold(float(value), str(file))
