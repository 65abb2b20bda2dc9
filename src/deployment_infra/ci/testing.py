"""Test stage: unit tests with a coverage gate, and property tests held to at least 100 runs.

TypeScript: vitest with v8 coverage (json-summary) and fast-check; Python: pytest with pytest-cov
and Hypothesis. The threshold comes from ci/coverage.json (default 80%). Property tests that ask for
fewer than 100 runs (fast-check `numRuns`, Hypothesis `max_examples`) fail the step: the count is
part of what the pipeline promises.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from deployment_infra import ui
from deployment_infra.ci import config, coverage, node, process
from deployment_infra.ci.model import Project, StageContext, Step, StepResult
from deployment_infra.ci.project import walk
from deployment_infra.errors import UsageError

MIN_PROPERTY_RUNS = 100
# a run count written as a literal; a count computed at run time is not checked here
_TS_RUNS = re.compile(r"\bnumRuns\s*:\s*(\d+)")
_PY_RUNS = re.compile(r"\bmax_examples\s*=\s*(\d+)")
_TS_PROPERTY = re.compile(r"\bfc\.(assert|check)\s*\(")
_PY_PROPERTY = re.compile(r"@(?:hypothesis\.)?given\s*\(")
DEFAULT_PYTEST_ARGS = ("-m", "not integration")


@dataclass(frozen=True)
class PropertyRuns:
    properties: int  # property tests found
    too_few: tuple[str, ...]  # "file:line: numRuns 10 < 100"


def property_runs(
    files: list[Path], base: Path, runs: re.Pattern[str], prop: re.Pattern[str]
) -> PropertyRuns:
    count, too_few = 0, []
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        count += len(prop.findall(text))
        for m in runs.finditer(text):
            if int(m.group(1)) < MIN_PROPERTY_RUNS:
                line = text.count("\n", 0, m.start()) + 1
                too_few.append(f"{f.relative_to(base)}:{line}: {m.group(0)} < {MIN_PROPERTY_RUNS}")
    return PropertyRuns(count, tuple(too_few))


def _gate(
    name: str,
    *,
    tool: str,
    seconds: float,
    cov: coverage.Coverage,
    threshold: config.CoverageThreshold,
    props: PropertyRuns,
) -> StepResult:
    data = {
        "coverage_percent": round(cov.percent, 4),
        "covered": cov.covered,
        "total": cov.total,
        "report": cov.source,
        "threshold_percent": threshold.percent,
        "threshold_source": threshold.source,
        "threshold_reason": threshold.reason,
        "property_tests": props.properties,
    }
    where = "default" if threshold.source == "default" else "ci/coverage.json"
    if threshold.reason:
        where += f", {threshold.reason}"
    if props.too_few:
        return StepResult(
            name,
            "failed",
            f"{len(props.too_few)} property test(s) below {MIN_PROPERTY_RUNS} runs",
            tool,
            seconds,
            props.too_few,
            data=data,
        )
    if not coverage.passes(cov, threshold.percent):
        return StepResult(
            name,
            "failed",
            f"line coverage {cov.percent:.2f}% < {threshold.percent:g}% ({where}): "
            f"{cov.covered}/{cov.total} lines",
            tool,
            seconds,
            data=data,
        )
    return StepResult(
        name,
        "passed",
        f"line coverage {cov.percent:.2f}% >= {threshold.percent:g}% ({where}); "
        f"{props.properties} property test(s) at >= {MIN_PROPERTY_RUNS} runs",
        tool,
        seconds,
        data=data,
    )


class VitestStep:
    name = "vitest"

    def applies(self, project: Project) -> bool:
        return "typescript" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        path = ctx.project.path
        threshold = config.coverage_threshold(ctx.config_dir, _relative(ctx.project))
        broken = node.ensure_installed(path, self.name)
        if broken is not None:
            return broken
        exe = process.find_tool("vitest", node.bin_dir(path))
        if exe is None:
            return StepResult(self.name, "failed", "vitest is not in the project's devDependencies")
        report_dir = ctx.work / "coverage"
        summary = report_dir / "coverage-summary.json"
        summary.unlink(missing_ok=True)
        done = process.run(
            [
                str(exe),
                "run",
                "--coverage.enabled=true",
                "--coverage.reporter=json-summary",
                "--coverage.reporter=text-summary",
                f"--coverage.reportsDirectory={report_dir}",
            ],
            path,
            env={"CI": "true"},
        )
        tool = f"vitest {_version(process.version_of([str(exe), '--version'], path))}".strip()
        if done.returncode != 0:
            return StepResult(
                self.name,
                "failed",
                f"tests failed (vitest exit {done.returncode})",
                tool,
                done.seconds,
                done.tail(40),
            )
        tests = [f for f in walk(path, ".ts") if re.search(r"\.(test|spec)\.ts$", f.name)]
        props = property_runs(tests, path, _TS_RUNS, _TS_PROPERTY)
        try:
            cov = coverage.read(summary, "istanbul")
        except coverage.CoverageReportError as exc:
            return StepResult(self.name, "failed", str(exc), tool, done.seconds)
        return _gate(self.name, tool=tool, seconds=done.seconds, cov=cov, threshold=threshold, props=props)


class PytestStep:
    """pytest with pytest-cov over src/ (or the directory); arguments from ci/coverage.json's
    "python": {"pytest_args": [...]}, default `-m "not integration"`."""

    name = "pytest"

    def applies(self, project: Project) -> bool:
        return "python" in project.kinds

    def run(self, ctx: StageContext) -> StepResult:
        path = ctx.project.path
        threshold = config.coverage_threshold(ctx.config_dir, _relative(ctx.project))
        args = pytest_args(ctx.config_dir)
        report = ctx.work / "coverage.json"
        report.unlink(missing_ok=True)
        source = "src" if (path / "src").is_dir() else "."
        argv = [
            sys.executable,
            "-m",
            "pytest",
            *args,
            f"--cov={source}",
            f"--cov-report=json:{report}",
            "--cov-report=term:skip-covered",
            "-p",
            "no:cacheprovider",
        ]
        done = process.run_streaming(argv, path, ui.detail, timeout=3600)  # long: show pytest's progress
        pytest_version = process.version_of([sys.executable, "-m", "pytest", "--version"], path)
        tool = f"pytest {_version(pytest_version)}".strip()
        if done.returncode == 4 and "--cov" in done.output:
            return StepResult(
                self.name,
                "failed",
                "pytest-cov is not installed (pip install pytest-cov)",
                tool,
                done.seconds,
            )
        if done.returncode != 0:
            return StepResult(
                self.name,
                "failed",
                f"tests failed (pytest exit {done.returncode})",
                tool,
                done.seconds,
                done.tail(40),
            )
        tests = [f for f in walk(path, ".py") if f.name.startswith("test_") or f.name == "conftest.py"]
        props = property_runs(tests, path, _PY_RUNS, _PY_PROPERTY)
        try:
            cov = coverage.read(report, "coverage.py")
        except coverage.CoverageReportError as exc:
            return StepResult(self.name, "failed", str(exc), tool, done.seconds)
        return _gate(self.name, tool=tool, seconds=done.seconds, cov=cov, threshold=threshold, props=props)


def pytest_args(cfg: Path | None) -> list[str]:
    file = cfg / "coverage.json" if cfg else None
    if file is None or not file.is_file():
        return list(DEFAULT_PYTEST_ARGS)
    data = json.loads(file.read_text(encoding="utf-8"))  # validated by config.coverage_threshold
    python = data.get("python", {})
    args = python.get("pytest_args", list(DEFAULT_PYTEST_ARGS)) if isinstance(python, dict) else None
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise UsageError(f'{file}: "python": {{"pytest_args": [...]}} must be a list of strings')
    return args


def _relative(project: Project) -> str:
    path, root = project.path, project.root
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _version(text: str) -> str:
    match = re.search(r"\d+\.\d+(\.\d+)?", text)
    return match.group(0) if match else ""


STEPS: tuple[Step, ...] = (VitestStep(), PytestStep())
