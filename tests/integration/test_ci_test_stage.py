"""Property 2's real run: `infra ci test` on the reference service passes with its tests, and fails
the coverage gate when a test file is removed; property tests asking for fewer than 100 runs fail."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.ci import node
from tests.conftest import REPO

INFRA = str(Path(sys.executable).parent / "infra")
SERVICE = REPO / "examples" / "service"


def _ci_test(path: Path) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [INFRA, "ci", "test", "--path", str(path), "--json"], capture_output=True, text=True, timeout=1200
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.fixture
def service_copy(tmp_path: Path) -> Path:
    """A copy outside the repository (so the default threshold, 80%, applies) sharing node_modules."""
    assert node.ensure_installed(SERVICE, "npm ci") is None  # npm ci of the lockfile, when stale
    dest = tmp_path / "service"
    shutil.copytree(SERVICE, dest, ignore=shutil.ignore_patterns("node_modules", "dist", "coverage"))
    (dest / "node_modules").symlink_to(SERVICE / "node_modules")
    return dest


def test_the_gate_passes_with_the_tests_and_fails_without_one(service_copy: Path) -> None:
    code, report, _ = _ci_test(service_copy)
    step = report["steps"][0]
    assert (code, step["status"]) == (0, "passed"), step
    full = step["data"]["coverage_percent"]
    assert full >= 80 and step["data"]["threshold_source"] == "default"
    assert step["data"]["property_tests"] >= 1

    (service_copy / "test" / "entrypoints.test.ts").unlink()  # it alone covers the entry points
    code, report, err = _ci_test(service_copy)
    step = report["steps"][0]
    assert code == 1 and step["status"] == "failed", step
    assert step["data"]["coverage_percent"] < 80 <= full
    assert step["summary"].startswith("line coverage ") and "< 80%" in step["summary"]
    assert "error: test failed" in err


def test_a_threshold_from_ci_coverage_json_is_applied(service_copy: Path) -> None:
    (service_copy / "ci").mkdir()
    (service_copy / "ci" / "coverage.json").write_text('{"threshold": 100}')
    code, report, _ = _ci_test(service_copy)
    step = report["steps"][0]
    assert step["data"]["threshold_percent"] == 100
    assert (code == 0) is (step["data"]["covered"] == step["data"]["total"])


def test_property_tests_below_100_runs_fail_the_stage(service_copy: Path) -> None:
    prop = next((service_copy / "test").glob("*.property.test.ts"))
    text = prop.read_text()
    assert "numRuns: 100" in text
    prop.write_text(text.replace("numRuns: 100", "numRuns: 5"))
    code, report, _ = _ci_test(service_copy)
    step = report["steps"][0]
    assert code == 1 and "below 100 runs" in step["summary"], step
    assert any(prop.name in d for d in step["details"])


def _python_project(root: Path, *, tested: bool) -> Path:
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\n')
    (root / "src" / "pkg" / "__init__.py").write_text(
        "def double(x: int) -> int:\n    return 2 * x\n\n\ndef untested(x: int) -> int:\n"
        + "".join(f"    x += {i}\n" for i in range(20))
        + "    return x\n"
    )
    (root / "tests").mkdir()
    body = "from hypothesis import given, settings, strategies as st\nfrom pkg import double\n\n\n"
    body += "@settings(max_examples=100)\n@given(st.integers())\ndef test_double(x: int) -> None:\n"
    body += "    assert double(x) == x + x\n"
    if tested:
        body += "\n\ndef test_untested() -> None:\n    from pkg import untested\n\n"
        body += "    assert untested(0) == 190\n"
    (root / "tests" / "test_pkg.py").write_text(body)
    (root / "tests" / "conftest.py").write_text(
        "import sys, pathlib\nsys.path.insert(0, str(pathlib.Path(__file__).parents[1] / 'src'))\n"
    )
    return root


def test_the_python_gate_on_a_small_project(tmp_path: Path) -> None:
    good = _python_project(tmp_path / "good", tested=True)
    code, report, err = _ci_test(good)
    step = report["steps"][0]
    assert (code, step["step"], step["status"]) == (0, "pytest", "passed"), step
    assert step["data"]["coverage_percent"] == 100 and step["data"]["property_tests"] == 1
    assert "passed" in err  # pytest's own progress is streamed while the step runs
    bad = _python_project(tmp_path / "bad", tested=False)
    code, report, _ = _ci_test(bad)
    step = report["steps"][0]
    assert code == 1 and step["data"]["coverage_percent"] < 80, step
