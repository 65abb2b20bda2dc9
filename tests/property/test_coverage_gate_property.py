"""Property 2, Test Coverage Requirement: the test stage passes iff line coverage >= the threshold.

Random coverage reports around the threshold, in both formats the stage reads (istanbul's
json-summary from vitest, coverage.py's JSON from pytest), written to disk and read back as the
stage does; the printed percentage is rounded the way the reporters round it, so a report one line
short of the threshold that *prints* as the threshold must still fail. The oracle is integer
arithmetic: covered * 100 >= threshold * total.
"""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.ci import coverage
from deployment_infra.ci.config import CoverageThreshold
from deployment_infra.ci.testing import PropertyRuns, _gate

thresholds = st.one_of(
    st.integers(min_value=0, max_value=100).map(float),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2).map(float),
)


@st.composite
def reports(draw: st.DrawFn) -> tuple[int, int, float]:
    """(covered, total, threshold), mostly within a few lines of the boundary."""
    threshold = draw(thresholds)
    # large totals too: one line short of 80% out of 40,000 prints as 80.00%
    total = draw(
        st.one_of(st.integers(min_value=0, max_value=2_000), st.integers(min_value=20_000, max_value=400_000))
    )
    boundary = int(Fraction(str(threshold)) * total / 100)
    covered = draw(
        st.one_of(
            st.integers(min_value=max(0, boundary - 3), max_value=min(total, boundary + 3)),
            st.integers(min_value=0, max_value=total),
        )
    )
    return covered, total, threshold


def _oracle(covered: int, total: int, threshold: float) -> bool:
    return total > 0 and Fraction(covered * 100) >= Fraction(str(threshold)) * total


def _istanbul(covered: int, total: int) -> dict[str, object]:
    pct = round(covered * 100 / total, 2) if total else 100  # istanbul prints 100 for nothing measured
    block = {"total": total, "covered": covered, "skipped": 0, "pct": pct}
    return {"total": {"lines": block, "statements": block, "functions": block, "branches": block}}


def _coverage_py(covered: int, total: int) -> dict[str, object]:
    pct = covered * 100 / total if total else 100.0
    return {
        "meta": {"format": 3},
        "totals": {
            "covered_lines": covered,
            "num_statements": total,
            "percent_covered": pct,
            "percent_covered_display": f"{pct:.0f}",
            "missing_lines": total - covered,
        },
    }


@settings(max_examples=100, deadline=None)
@given(report=reports(), fmt=st.sampled_from(["istanbul", "coverage.py"]))
def test_stage_passes_iff_coverage_reaches_the_threshold(report: tuple[int, int, float], fmt: str) -> None:
    covered, total, threshold = report
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "report.json"
        body = _istanbul(covered, total) if fmt == "istanbul" else _coverage_py(covered, total)
        file.write_text(json.dumps(body))
        cov = coverage.read(file, fmt)
    assert (cov.covered, cov.total) == (covered, total)
    result = _gate(
        "test",
        tool="t",
        seconds=0.0,
        cov=cov,
        threshold=CoverageThreshold(threshold, "ci/coverage.json"),
        props=PropertyRuns(1, ()),
    )
    expected = _oracle(covered, total, threshold)
    assert coverage.passes(cov, threshold) is expected
    assert result.status == ("passed" if expected else "failed"), (covered, total, threshold, result.summary)
    assert result.data["threshold_percent"] == threshold
