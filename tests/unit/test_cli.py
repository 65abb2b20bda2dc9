"""The CLI's contract for bad input: one line on stderr, exit 2, nothing created."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_infra


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("cli"))


def one_line_error(stderr: str) -> str:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--env", "nope"],
        ["up", "--env", "../etc"],
        ["status", "--env", ""],
        ["down", "--env", "dev\udcff"],  # a non-UTF-8 byte on the command line
        ["plan", "--env", "dev", "--target", "mars"],
        ["plan"],
        ["frobnicate"],
        ["plan", "--env", "dev", "--no-such-flag"],
        ["policy", "check", "tests/fixtures/plans/tf111-mixed.json", "--as-of", "next tuesday"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(proj: Path, args: list[str]) -> None:
    result = run_infra(proj, *args)
    assert result.returncode == 2, result.stderr
    one_line_error(result.stderr)
    assert not list((proj / ".infra").glob("emulator-*.json"))  # nothing was started


def test_unknown_environment_lists_the_valid_ones(proj: Path) -> None:
    result = run_infra(proj, "plan", "--env", "nope")
    assert "valid: dev" in one_line_error(result.stderr)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "not found"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe\xfa", "UTF-8"),
        (json.dumps({"hello": "world"}).encode(), "not a terraform plan"),
    ],
)
def test_policy_check_of_unreadable_input_exits_2(
    proj: Path, tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_bytes(content)
    result = run_infra(proj, "policy", "check", str(path))
    assert result.returncode == 2
    assert fragment.lower() in one_line_error(result.stderr).lower()


def test_invalid_settings_exit_2(tmp_path: Path) -> None:
    proj = copy_project(tmp_path / "p")
    (proj / "infra.toml").write_text(
        (proj / "infra.toml").read_text().replace('name = "ngapp"', 'name = "NG APP"')
    )
    result = run_infra(proj, "plan", "--env", "dev")
    assert result.returncode == 2
    assert "project.name" in one_line_error(result.stderr)


def test_apply_without_a_saved_plan_is_refused(proj: Path) -> None:
    result = run_infra(proj, "apply", "--env", "dev")
    assert result.returncode == 1
    assert "no saved plan for dev" in one_line_error(result.stderr)


def test_help_teaches_with_examples(proj: Path) -> None:
    for args in (["--help"], ["up", "--help"], ["plan", "--help"], ["policy", "check", "--help"]):
        result = run_infra(proj, *args)
        assert result.returncode == 0
        assert "Example" in result.stdout


def test_aws_target_without_credentials_is_one_line(proj: Path, tmp_path: Path) -> None:
    env: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_WEB_IDENTITY_TOKEN_FILE": None,
    }
    result = run_infra(proj, "plan", "--env", "dev", "--target", "aws", env=env)
    assert result.returncode == 1
    assert "no AWS credentials for --target aws" in one_line_error(result.stderr)


def test_down_on_a_protected_environment_needs_confirmation(proj: Path) -> None:
    result = run_infra(proj, "down", "--env", "prod")  # no terminal: the answer is no
    assert result.returncode == 2
    assert "prod is protected" in one_line_error(result.stderr)
    assert not list((proj / ".infra").glob("emulator-*.json"))  # refused before touching anything


def test_policy_check_applies_the_named_environments_rules(proj: Path, tmp_path: Path) -> None:
    from tests.unit.test_policy_checks import Res, make_plan

    tags = {
        "Project": "ngapp",
        "Environment": "x",
        "ManagedBy": "terraform",
        "Owner": "o",
        "DataClassification": "personal",
        "CostCenter": "engineering",
    }
    database = Res(
        "aws_db_instance",
        "db",
        tags_all=tags,
        after={
            "backup_retention_period": 30,
            "storage_encrypted": True,
            "publicly_accessible": False,
            "deletion_protection": False,
            "skip_final_snapshot": True,
        },
    )
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(make_plan(database)))
    assert run_infra(proj, "policy", "check", str(path), "--env", "dev").returncode == 0
    for args in (["--env", "prod"], []):
        result = run_infra(proj, "policy", "check", str(path), "--json", *args)
        assert result.returncode == 1, result.stderr
        assert [v["check_id"] for v in json.loads(result.stdout)["violations"]] == ["DB-004"]
    result = run_infra(proj, "policy", "check", str(path), "--env", "nope")
    assert result.returncode == 2
    assert "valid: dev" in one_line_error(result.stderr)
