"""`infra config get|set|unset|diff` through the real CLI against an emulator of this module's own:
values differ per environment, bad input exits 2 with one line and changes nothing, prod asks first,
and `diff` without --against compares SSM with the service's running task definition."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget
from tests.conftest import copy_project, own_emulator, run_infra
from tests.support import faults

pytestmark = pytest.mark.integration
REGION = "af-south-1"
NAME = "ngapp-dev-api"


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, str | None], Emulator]]:
    where = copy_project(tmp_path_factory.mktemp("config-project"))
    with own_emulator(where / ".infra") as emulator:
        yield where, {"INFRA_EMULATOR_PORT": str(emulator.port), "INFRA_TARGET": None}, emulator


def infra(
    project: tuple[Path, dict[str, str | None], Emulator], *args: str
) -> subprocess.CompletedProcess[str]:
    return run_infra(project[0], "config", *args, env=project[1], timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    return result


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, f"exit {result.returncode}\nstderr: {result.stderr}"
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def values(project: tuple[Path, dict[str, str | None], Emulator], env: str) -> dict[str, str]:
    return dict(json.loads(ok(infra(project, "get", "--env", env, "--json")).stdout)["values"])


def test_values_differ_per_environment(project: Any) -> None:
    set_dev = ok(infra(project, "set", "--env", "dev", "LOG_LEVEL=debug", "GREETING=Ẹ kú àárọ̀", "--json"))
    assert [c["action"] for c in json.loads(set_dev.stdout)["changes"]] == ["added", "added"]
    assert "next `infra deploy --env dev`" in set_dev.stderr
    ok(infra(project, "set", "--env", "staging", "LOG_LEVEL=info"))

    assert values(project, "dev") == {"GREETING": "Ẹ kú àárọ̀", "LOG_LEVEL": "debug"}
    assert values(project, "staging") == {"LOG_LEVEL": "info"}
    assert ok(infra(project, "get", "--env", "dev", "LOG_LEVEL")).stdout == "debug\n"
    assert "LOG_LEVEL" in ok(infra(project, "get", "--env", "staging")).stdout  # the table

    diff = json.loads(ok(infra(project, "diff", "--env", "dev", "--against", "staging", "--json")).stdout)
    assert (diff["left"], diff["right"]) == ("dev", "staging")
    assert diff["rows"] == [
        {"name": "GREETING", "change": "removed", "left": "Ẹ kú àárọ̀", "right": None},
        {"name": "LOG_LEVEL", "change": "changed", "left": "debug", "right": "info"},
    ]
    assert "only in dev" in ok(infra(project, "diff", "--env", "dev", "--against", "staging")).stdout

    again = json.loads(ok(infra(project, "set", "--env", "staging", "LOG_LEVEL=info", "--json")).stdout)
    assert again["changes"] == [{"name": "LOG_LEVEL", "action": "unchanged", "old": "info", "new": "info"}]

    missing = infra(project, "get", "--env", "staging", "GREETING")
    assert "GREETING is not set in staging" in one_line_error(missing, 1)


BAD_BATCHES = [
    (["OK_NAME=1", "lower=2"], "invalid name"),
    (["OK_NAME=1", "DB_PASSWORD=x"], "Secrets Manager"),
    (["OK_NAME=1", "UPLOAD=AKIAIOSFODNN7EXAMPLE"], "AWS access key"),
    (["OK_NAME=1", "APP_VERSION=2"], "deploy engine"),
    (["OK_NAME=1", "NO_EQUALS"], "expected NAME=VALUE"),
    (["OK_NAME=1", "OK_NAME=2"], "given twice"),
    (["OK_NAME=1", "--unset", "OK_NAME"], "both set and unset"),
    (["OK_NAME=1", f"BIG={'x' * 4097}"], "more than SSM"),
    ([], "nothing to change"),
]


def test_bad_input_exits_2_and_changes_nothing(project: Any) -> None:
    ok(infra(project, "set", "--env", "dev", "KEEP_ME=same"))
    before = values(project, "dev")
    for args, fragment in BAD_BATCHES:
        result = infra(project, "set", "--env", "dev", *args)
        assert fragment in one_line_error(result, 2), args
    assert values(project, "dev") == before


def test_a_write_failing_mid_way_changes_nothing(project: Any) -> None:
    """The emulator refuses the second PutParameter of a batch: the first is undone, exit 1, one line."""
    ok(infra(project, "set", "--env", "staging", "BATCH_KEEP=1", "BATCH_OLD=x"))
    before = values(project, "staging")
    url = project[2].url
    faults.inject(url, "ssm", "AccessDeniedException", operation="PutParameter", after=1)
    try:
        failed = infra(project, "set", "--env", "staging", "BATCH_A=a", "BATCH_B=b", "--unset", "BATCH_OLD")
    finally:
        faults.clear(url)
    message = one_line_error(failed, 1)
    assert "writing the configuration of staging" in message and "AccessDeniedException" in message
    assert "nothing changed: the 1 write(s) made before it were undone" in message
    assert values(project, "staging") == before


def test_unknown_environment_exits_2(project: Any) -> None:
    assert "unknown environment" in one_line_error(infra(project, "get", "--env", "nope"), 2)


def test_prod_asks_first(project: Any) -> None:
    refused = infra(project, "set", "--env", "prod", "LOG_LEVEL=warn")  # no terminal: the answer is no
    assert "prod is protected" in one_line_error(refused, 2)
    assert values(project, "prod") == {}
    ok(infra(project, "set", "--env", "prod", "LOG_LEVEL=warn", "--yes"))
    assert values(project, "prod") == {"LOG_LEVEL": "warn"}
    # setting what is already there changes nothing, so it needs no confirmation
    ok(infra(project, "set", "--env", "prod", "LOG_LEVEL=warn"))


def test_unset(project: Any) -> None:
    ok(infra(project, "set", "--env", "dev", "TO_GO=1", "TO_STAY=2"))
    ok(infra(project, "unset", "--env", "dev", "TO_GO"))
    ok(infra(project, "set", "--env", "dev", "--unset", "TO_STAY"))
    assert not {"TO_GO", "TO_STAY"} & set(values(project, "dev"))


def test_diff_against_the_running_task_definition(project: Any) -> None:
    missing = infra(project, "diff", "--env", "dev")
    assert f"service {NAME} does not exist in dev" in one_line_error(missing, 1)

    ecs = LocalTarget(project[2]).client("ecs", REGION)
    ecs.create_cluster(clusterName=NAME)
    live = [
        {"name": "APP_VERSION", "value": "v1"},
        {"name": "PORT", "value": "8080"},
        {"name": "DB_HOST", "value": "db.internal"},  # from Terraform: not configuration
        {"name": "LOG_LEVEL", "value": "info"},
        {"name": "INFRA_CONFIG_NAMES", "value": "LOG_LEVEL,RETIRED"},
        {"name": "RETIRED", "value": "yes"},
    ]
    td = ecs.register_task_definition(
        family=NAME,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "app:v1", "essential": True, "environment": live}],
    )["taskDefinition"]
    ecs.create_service(cluster=NAME, serviceName=NAME, taskDefinition=td["taskDefinitionArn"], desiredCount=1)
    ok(infra(project, "set", "--env", "dev", "LOG_LEVEL=debug", "NEW_ONE=x", "--unset", "RETIRED"))

    result = json.loads(ok(infra(project, "diff", "--env", "dev", "--json")).stdout)
    assert result["left"] == f"running ({NAME}:{td['revision']})"
    rows = {r["name"]: (r["change"], r["left"], r["right"]) for r in result["rows"]}
    assert rows["LOG_LEVEL"] == ("changed", "info", "debug")
    assert rows["RETIRED"] == ("removed", "yes", None)
    assert rows["NEW_ONE"] == ("added", None, "x")
    assert not {"DB_HOST", "APP_VERSION", "PORT", "INFRA_CONFIG_NAMES"} & set(rows)
