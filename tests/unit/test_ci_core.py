"""The CI framework: verdicts, configuration, project detection, coverage reports, run counts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from deployment_infra import cli
from deployment_infra.ci import config, coverage, process, project, testing
from deployment_infra.ci.model import StepResult, verdict
from deployment_infra.errors import UsageError


def _r(status: str, *, on_github_runs: bool = False) -> StepResult:
    return StepResult("s", status, "x", runs_on_github=on_github_runs)  # type: ignore[arg-type]


def test_not_run_never_passes_on_github_nor_for_a_step_github_does_not_run() -> None:
    assert verdict([_r("passed")], on_github=False) == "passed"
    assert verdict([_r("passed"), _r("not run", on_github_runs=True)], on_github=False) == "passed"
    assert verdict([_r("passed"), _r("not run", on_github_runs=True)], on_github=True) == "failed"
    assert verdict([_r("passed"), _r("not run")], on_github=False) == "failed"
    assert verdict([_r("passed"), _r("failed")], on_github=False) == "failed"
    assert verdict([], on_github=False) == "failed"


def test_coverage_threshold_defaults_to_80_and_rejects_malformed_files(tmp_path: Path) -> None:
    assert config.coverage_threshold(None) == config.CoverageThreshold(80.0, "default")
    assert config.coverage_threshold(tmp_path).percent == 80.0
    for body in ("{", '{"threshold": "80"}', '{"threshold": 101}', '{"threshold": true}', "[]"):
        (tmp_path / "coverage.json").write_text(body)
        with pytest.raises(UsageError, match=r"coverage\.json"):
            config.coverage_threshold(tmp_path)
    (tmp_path / "coverage.json").write_text('{"threshold": 92.5}')
    assert config.coverage_threshold(tmp_path).percent == 92.5


def test_detect_kinds_and_refuse_what_has_nothing_to_check(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text("")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "bad.tf").write_text("")
    found = project.detect(tmp_path)
    assert found.kinds == {"docker", "terraform"}
    assert project.terraform_dirs(tmp_path) == [tmp_path / "m"]  # fixtures are wrong on purpose
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="nothing to check"):
        project.detect(empty)
    with pytest.raises(UsageError, match="no such directory"):
        project.detect(tmp_path / "missing")


def test_cli_bad_path_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ci", "lint", "--path", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "no such directory" in err and "Traceback" not in err
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "coverage.json").write_text('{"threshold": -1}')
    assert cli.main(["ci", "lint", "--path", str(tmp_path)]) == 2  # malformed ci/: before any step
    assert "between 0 and 100" in capsys.readouterr().err


def test_coverage_reports_refuse_impossible_counts(tmp_path: Path) -> None:
    f = tmp_path / "c.json"
    for body in (
        {"total": {"lines": {"covered": 5, "total": 4}}},
        {"total": {"lines": {"covered": -1, "total": 4}}},
        {"total": {}},
        [],
    ):
        f.write_text(json.dumps(body))
        with pytest.raises(coverage.CoverageReportError):
            coverage.read(f, "istanbul")
    with pytest.raises(coverage.CoverageReportError, match="no coverage report"):
        coverage.read(tmp_path / "absent.json", "coverage.py")
    nothing = coverage.Coverage(0, 0, "x")
    assert not coverage.passes(nothing, 0)  # nothing measured is not coverage


def test_property_tests_below_100_runs_are_found(tmp_path: Path) -> None:
    (tmp_path / "a.test.ts").write_text("fc.assert(fc.property(fc.nat(), f), { numRuns: 100 });\n")
    (tmp_path / "b.test.ts").write_text("\nfc.assert(p, {numRuns: 10});\nfc.check(q)\n")
    runs = testing.property_runs(
        sorted(tmp_path.glob("*.ts")), tmp_path, testing._TS_RUNS, testing._TS_PROPERTY
    )
    assert runs.properties == 3
    assert runs.too_few == ("b.test.ts:2: numRuns: 10 < 100",)
    (tmp_path / "test_p.py").write_text(
        "@settings(max_" + "examples=50)\n@given(st.none())\ndef test(): ...\n"
    )
    py = testing.property_runs([tmp_path / "test_p.py"], tmp_path, testing._PY_RUNS, testing._PY_PROPERTY)
    assert (py.properties, py.too_few) == (1, ("test_p.py:1: max_" + "examples=50 < 100",))


def test_a_directory_may_have_its_own_threshold_only_with_a_reason(tmp_path: Path) -> None:
    body = {"threshold": 80, "overrides": {"tools/x": {"threshold": 60, "reason": "legacy, ratchet up"}}}
    (tmp_path / "coverage.json").write_text(json.dumps(body))
    assert config.coverage_threshold(tmp_path, "examples/service").percent == 80
    special = config.coverage_threshold(tmp_path, "tools/x")
    assert (special.percent, special.reason) == (60, "override for tools/x: legacy, ratchet up")
    body["overrides"] = {"tools/x": {"threshold": 60, "reason": " "}}
    (tmp_path / "coverage.json").write_text(json.dumps(body))
    with pytest.raises(UsageError, match="non-empty"):
        config.coverage_threshold(tmp_path, "tools/x")


def test_long_steps_stream_their_output_as_it_comes(tmp_path: Path) -> None:
    seen: list[str] = []
    script = (
        "import sys\nfor i in range(3): print(f'line {i}', flush=True)\n"
        "print('oops', file=sys.stderr)\nsys.exit(3)"
    )
    done = process.run_streaming([sys.executable, "-c", script], tmp_path, seen.append)
    assert seen == ["line 0", "line 1", "line 2"]
    assert (done.returncode, done.stderr.strip()) == (3, "oops")
    assert done.stdout.splitlines() == seen
    slow = process.run_streaming(
        [sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, seen.append, timeout=1
    )
    assert slow.returncode == 124 and "timed out" in slow.stderr
    missing = process.run_streaming([str(tmp_path / "no-such-tool")], tmp_path, seen.append)
    assert missing.returncode == 127
