"""Coverage reports and the gate: the stage passes iff line coverage >= the threshold.

Percentages are recomputed from covered/total counts: reporters round (istanbul to two decimals,
so 79.996% prints as 80), and a gate must not pass on rounding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from deployment_infra.errors import InfraError


class CoverageReportError(InfraError):
    """The test run produced no readable coverage report."""


@dataclass(frozen=True)
class Coverage:
    covered: int
    total: int
    source: str  # "istanbul json-summary" or "coverage.py json"

    @property
    def ratio(self) -> Fraction:
        # no measurable lines: nothing was measured, which is not 100% coverage
        return Fraction(self.covered, self.total) if self.total else Fraction(0)

    @property
    def percent(self) -> float:
        return float(self.ratio * 100)


def passes(coverage: Coverage, threshold_percent: float) -> bool:
    """The gate, exactly: covered/total >= threshold/100 (no float rounding at the boundary)."""
    return coverage.total > 0 and coverage.ratio * 100 >= Fraction(str(threshold_percent))


def _counts(block: Any, where: str) -> tuple[int, int]:
    try:
        covered, total = block["covered"], block["total"]
    except (TypeError, KeyError):
        raise CoverageReportError(f"{where}: no covered/total line counts") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (covered, total)):
        raise CoverageReportError(f"{where}: covered/total must be non-negative integers")
    if covered > total:
        raise CoverageReportError(f"{where}: {covered} covered lines out of {total}")
    return covered, total


def from_istanbul_summary(data: Any) -> Coverage:
    """vitest/istanbul `json-summary` (coverage-summary.json): total.lines.{covered,total}."""
    total = data.get("total") if isinstance(data, dict) else None
    covered, lines = _counts(total.get("lines") if isinstance(total, dict) else None, "coverage-summary.json")
    return Coverage(covered, lines, "istanbul json-summary")


def from_coverage_py(data: Any) -> Coverage:
    """coverage.py `json` report: totals.{covered_lines,num_statements}."""
    totals = data.get("totals") if isinstance(data, dict) else None
    if not isinstance(totals, dict):
        raise CoverageReportError("coverage.json: no totals")
    block = {"covered": totals.get("covered_lines"), "total": totals.get("num_statements")}
    covered, statements = _counts(block, "coverage.json")
    return Coverage(covered, statements, "coverage.py json")


def read(file: Path, kind: str) -> Coverage:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CoverageReportError(f"the test run wrote no coverage report ({file})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CoverageReportError(f"{file}: unreadable coverage report ({exc})") from None
    return from_istanbul_summary(data) if kind == "istanbul" else from_coverage_py(data)
