"""load_plan_file: anything that is not a terraform plan JSON is a one-line UsageError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployment_infra.errors import UsageError
from deployment_infra.policy import load_plan_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "tf111-mixed.json"


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "plan.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_usage_error(path: Path, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        load_plan_file(path)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert str(path) in message
    assert info.value.exit_code == 2


def test_loads_real_terraform_plan() -> None:
    plan = load_plan_file(FIXTURE)
    assert plan["format_version"] == "1.2"
    assert plan["terraform_version"] == "1.11.4"
    assert isinstance(plan["resource_changes"], list)


def test_missing_file(tmp_path: Path) -> None:
    assert_usage_error(tmp_path / "nope.json", "not found")


def test_directory(tmp_path: Path) -> None:
    assert_usage_error(tmp_path, "cannot read")


def test_not_json(tmp_path: Path) -> None:
    assert_usage_error(write(tmp_path, "Terraform will perform the following actions:\n"), "not JSON")


def test_empty_file(tmp_path: Path) -> None:
    assert_usage_error(write(tmp_path, ""), "not JSON")


def test_not_utf8(tmp_path: Path) -> None:
    assert_usage_error(write(tmp_path, b'{"format_version": "1.2", "x": "\xff\xfe"}'), "not UTF-8")


def test_binary_plan_file(tmp_path: Path) -> None:
    # the saved plan itself (a zip) instead of `terraform show -json` of it
    assert_usage_error(write(tmp_path, b"PK\x03\x04\x14\x00\x08\x00\x08\x00\xa5\x9c"), "terraform show -json")


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ([1, 2], "not an object"),
        ("plan", "not an object"),
        ({"resource_changes": []}, "format_version"),
        ({"format_version": 1.2, "resource_changes": []}, "format_version"),
        ({"format_version": "1.0", "values": {"root_module": {}}}, "resource_changes or planned_values"),
        ({"format_version": "1.2", "resource_changes": {}}, "not a list"),
        ({"format_version": "2.0", "resource_changes": []}, "unsupported plan format_version"),
        ({"format_version": "1.2", "resource_changes": [], "errored": True}, "errored"),
    ],
)
def test_json_that_is_not_a_plan(tmp_path: Path, doc: object, fragment: str) -> None:
    assert_usage_error(write(tmp_path, json.dumps(doc)), fragment)


def test_minimal_plans_load(tmp_path: Path) -> None:
    for doc in (
        {"format_version": "1.2", "resource_changes": []},
        {"format_version": "1.2", "planned_values": {"root_module": {}}},
    ):
        assert load_plan_file(write(tmp_path, json.dumps(doc))) == doc
