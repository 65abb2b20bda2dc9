"""`infra ci security` for real: detect-secrets, checkov, bandit and the dependency audits on small
directories made here, and on the reference service. (The repository itself is scanned by
`make security`, the same command on `--path .`.)

The AWS key is generated at test time (a random AKIA... id): a key written in this repository
would be caught by the repository's own secrets scan, which is the point.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration

INFRA = str(Path(sys.executable).parent / "infra")
SERVICE = REPO / "examples" / "service"
ENCRYPTED_BUCKET = """
resource "aws_kms_key" "data" {
  description         = "bucket key"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "encrypted" {
  bucket = "encrypted-data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "encrypted" {
  bucket = aws_s3_bucket.encrypted.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data.arn
    }
  }
}
"""


def security(path: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [INFRA, "ci", "security", "--path", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step"]: s for s in report["steps"]}


def aws_access_key_id() -> str:
    alphabet = string.ascii_uppercase + "234567"  # an access key id's characters
    return "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_a_planted_aws_key_fails_the_secrets_step(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "planted"\nversion = "0.1.0"\n')
    (repo / "app" / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{aws_access_key_id()}"\n')
    # the same kind of key in an ignored build directory: not the project's files, not scanned
    (repo / "build").mkdir()
    (repo / "build" / "settings.py").write_text(f'KEY = "{aws_access_key_id()}"\n')
    (repo / ".gitignore").write_text("build/\n")
    git(repo, "init", "-q")
    git(repo, "add", "pyproject.toml", ".gitignore")  # settings.py untracked: caught before a commit

    code, report, _ = security(repo)

    assert code == 1, report
    secrets_step = steps(report)["secrets"]
    assert secrets_step["status"] == "failed"
    [blocking] = secrets_step["data"]["blocking"]
    assert (blocking["rule"], blocking["location"], blocking["line"]) == (
        "AWS Access Key",
        "app/settings.py",
        1,
    )
    assert any("app/settings.py:1" in d for d in secrets_step["details"])
    assert steps(report)["code"]["status"] == "passed"


def test_an_unencrypted_bucket_fails_the_iac_step(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        ENCRYPTED_BUCKET + '\nresource "aws_s3_bucket" "plain" {\n  bucket = "customer-data"\n}\n'
    )

    code, report, _ = security(tmp_path)

    assert code == 1, report
    iac = steps(report)["iac"]
    assert iac["status"] == "failed" and "checkov 3.3.30" in iac["tool"]
    kms = {(f["rule"], f["resource"]) for f in iac["data"]["blocking"] if f["rule"] == "CKV_AWS_145"}
    assert kms == {("CKV_AWS_145", "aws_s3_bucket.plain")}  # the encrypted bucket passes that check
    assert any("CKV_AWS_145 main.tf:" in d and "aws_s3_bucket.plain" in d for d in iac["details"])
    assert steps(report)["secrets"]["status"] == "passed"


def test_a_known_vulnerable_pin_never_passes_the_dependency_audit(tmp_path: Path) -> None:
    # requests 2.19.0 has published advisories (PYSEC-2018-28, CVE-2018-18074). Without its service
    # pip-audit says "No known vulnerabilities found" and exits 0: the step must say "not run"
    # (accepted off GitHub, so the rest of this clean project passes). Where the service answers
    # (GitHub) the advisory must fail the stage.
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "clean"\nversion = "0.1.0"\ndependencies = ["requests==2.19.0"]\n'
    )
    (tmp_path / "src" / "clean").mkdir(parents=True)
    (tmp_path / "src" / "clean" / "__init__.py").write_text(
        'def greet(name: str) -> str:\n    return f"hi {name}"\n'
    )

    code, report, stderr = security(tmp_path)

    by = steps(report)
    assert by["secrets"]["status"] == "passed" and by["code"]["status"] == "passed", report
    deps = by["dependencies"]
    if deps["data"]["audits"]["pip-audit"]["outcome"] == "not run":
        assert deps["status"] == "not run" and deps["runs_on_github"] is True, deps
        assert code == (1 if report["on_github"] else 0), (report, stderr)
    else:
        assert deps["status"] == "failed" and code == 1, deps
        assert any(f["location"] == "requests==2.19.0" for f in deps["data"]["blocking"]), deps


def test_malformed_security_config_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "security.toml").write_text(
        '[[suppress]]\nscanner = "checkov"\nrule = "CKV_DOCKER_2"\npath = "Dockerfile"\n'
    )

    code, _, stderr = security(tmp_path)

    assert code == 2
    assert '"reason" must be a non-empty string' in stderr


def test_the_reference_service_passes_and_npm_audit_is_never_a_silent_pass() -> None:
    assert (SERVICE / "package-lock.json").is_file(), "examples/service is missing its package-lock.json"

    code, report, stderr = security(SERVICE)

    by = steps(report)
    assert set(by) == {"secrets", "dependencies", "iac"}
    assert by["secrets"]["status"] == "passed" and by["iac"]["status"] == "passed", report
    assert "dockerfile" in by["iac"]["tool"]
    deps = by["dependencies"]
    if deps["data"]["audits"]["npm-audit"]["outcome"] == "ran":  # the advisory service answered
        assert code == (0 if deps["status"] == "passed" else 1), report
        return
    # here: npm's bulk advisory endpoint refuses (HTTP 405), so the audit did not run
    assert deps["status"] == "not run" and deps["runs_on_github"] is True, deps
    assert code == 0, (report, stderr)
    # the same run as on GitHub Actions, where the audit must really run: 'not run' fails there
    gh_code, gh_report, _ = security(SERVICE, env={**os.environ, "GITHUB_ACTIONS": "true"})
    assert gh_code == 1 and gh_report["status"] == "failed"


def test_the_secrets_baseline_accepts_an_audited_value_and_only_that_value(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "audited"\nversion = "0.1.0"\n')
    (repo / "ci" / "security.toml").write_text('[scanner.detect-secrets]\nbaseline = "secrets.baseline"\n')
    settings = json.loads((REPO / "ci" / "secrets.baseline").read_text())  # the same plugins and filters
    (repo / "ci" / "secrets.baseline").write_text(json.dumps({**settings, "results": {}}))
    fake = "-".join(["hunter2"] * 2)  # spelled out here, this line would be in the repository's baseline
    (repo / "test_login.py").write_text(f'PASSWORD = "{fake}"  # a fake one for the test\n')
    git(repo, "init", "-q")

    code, report, _ = security(repo)
    assert code == 1 and steps(report)["secrets"]["data"]["blocking"][0]["location"] == "test_login.py"

    accept = subprocess.run(
        [
            sys.executable,
            "-m",
            "deployment_infra.ci.secrets",
            "--path",
            str(repo),
            "--accept",
            "fake test value",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert accept.returncode == 0 and "accepted: Secret Keyword test_login.py:1" in accept.stdout, (
        accept.stderr
    )
    for _ in range(2):  # the second run must not trip over the first run's scratch files in .infra/
        code, report, _ = security(repo)
        assert code == 0, report
        [accepted] = steps(report)["secrets"]["data"]["accepted"]
        assert (accepted["location"], accepted["reason"]) == ("test_login.py", "fake test value")

    (repo / "test_login.py").write_text(f'\n\nPASSWORD = "{fake.replace("2", "3")}"  # moved and changed\n')
    code, report, _ = security(repo)
    assert code == 1, report  # a different value is a new finding; the old entry is reported stale
    assert any("matches nothing now" in d for d in steps(report)["secrets"]["details"])
