"""The pure parts of the deploy engine: rollout assessment (circuit breaker), revisions, images,
release ids and choice of rollback target, promotion rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deployment_infra.deploy import ecs, promotion
from deployment_infra.deploy.engine import render
from deployment_infra.deploy.images import Image
from deployment_infra.deploy.releases import FAILED, SUCCEEDED, Release, parse_release_id, rollback_target
from deployment_infra.errors import InfraError, UsageError

NEW = "arn:aws:ecs:af-south-1:1:task-definition/ngapp-dev-api:8"
OLD = "arn:aws:ecs:af-south-1:1:task-definition/ngapp-dev-api:7"


def deployment(
    status: str, arn: str, rollout: str, running: int = 2, desired: int = 2, **extra: Any
) -> dict[str, Any]:
    return {
        "status": status,
        "taskDefinition": arn,
        "rolloutState": rollout,
        "runningCount": running,
        "desiredCount": desired,
        **extra,
    }


@pytest.mark.parametrize(
    ("deployments", "state", "words"),
    [
        ([deployment("PRIMARY", NEW, "COMPLETED")], ecs.STEADY, "2/2"),
        (
            [deployment("PRIMARY", NEW, "IN_PROGRESS", 1), deployment("ACTIVE", OLD, "COMPLETED")],
            ecs.IN_PROGRESS,
            "1/2",
        ),
        # completed but the old deployment still drains: not steady yet
        (
            [deployment("PRIMARY", NEW, "COMPLETED"), deployment("ACTIVE", OLD, "COMPLETED")],
            ecs.IN_PROGRESS,
            "2 deployment",
        ),
        (
            [deployment("PRIMARY", NEW, "FAILED", 0, rolloutStateReason="tasks failed to start")],
            ecs.FAILED,
            "tasks failed",
        ),
        # the circuit breaker made the previous revision primary again
        (
            [deployment("PRIMARY", OLD, "IN_PROGRESS"), deployment("ACTIVE", NEW, "FAILED")],
            ecs.FAILED,
            "rolled the service back",
        ),
        ([], ecs.IN_PROGRESS, "no primary"),
    ],
)
def test_assess_reads_steady_state_failure_and_circuit_breaker(
    deployments: list[dict[str, Any]], state: str, words: str
) -> None:
    rollout = ecs.assess({"deployments": deployments}, NEW)
    assert rollout.state == state and words in rollout.detail


def test_a_revision_changes_only_the_app_image_and_environment() -> None:
    live = {
        "taskDefinitionArn": OLD,
        "family": "ngapp-dev-api",
        "revision": 7,
        "status": "ACTIVE",
        "cpu": "256",
        "memory": "512",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "volumes": [],
        "executionRoleArn": "arn:aws:iam::1:role/exec",
        "containerDefinitions": [
            {
                "name": "app",
                "image": "r:v1",
                "secrets": [{"name": "DB", "valueFrom": "arn:s"}],
                "environment": [{"name": "DB_HOST", "value": "db"}],
            },
            {"name": "agent", "image": "public.ecr.aws/agent:1"},
        ],
    }
    request = ecs.revision_request(live, "r:v2", [{"name": "APP_VERSION", "value": "v2"}])
    assert set(request) == {
        "family",
        "cpu",
        "memory",
        "networkMode",
        "requiresCompatibilities",
        "executionRoleArn",
        "containerDefinitions",
    }
    app, agent = request["containerDefinitions"]
    assert app["image"] == "r:v2" and app["secrets"] == [{"name": "DB", "valueFrom": "arn:s"}]
    assert app["environment"] == [{"name": "APP_VERSION", "value": "v2"}]
    assert agent == live["containerDefinitions"][1]
    assert live["containerDefinitions"][0]["image"] == "r:v1"  # the live definition is not mutated
    with pytest.raises(InfraError, match="no container 'app'"):
        ecs.app_container({"containerDefinitions": [{"name": "web"}]})


def test_render_keeps_terraform_values_takes_config_and_sets_the_version() -> None:
    first = render({"DB_HOST": "db"}, {"LOG_LEVEL": "debug"}, "v1")
    values = {e["name"]: e["value"] for e in first}
    assert values["DB_HOST"] == "db" and values["LOG_LEVEL"] == "debug" and values["APP_VERSION"] == "v1"
    second = {e["name"]: e["value"] for e in render(values, {}, "v2")}  # LOG_LEVEL unset since
    assert "LOG_LEVEL" not in second and second["DB_HOST"] == "db" and second["APP_VERSION"] == "v2"
    assert [e["name"] for e in first] == sorted(e["name"] for e in first)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ngapp/api", "has no tag"),
        ("ngapp/api@sha256:" + "a" * 64, "deploy by tag"),
        ("NgApp/api:v1", "not a valid lower-case"),
        ("ngapp/api:-v1", "must be 1-128"),
        ("ngapp/api:" + "a" * 129, "must be 1-128"),
        ("ngapp/api:v\x001", "unprintable"),
        ("localhost:5000/api", "has no tag"),
    ],
)
def test_bad_images_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        Image.parse(text)


def test_good_images_parse() -> None:
    assert Image.parse("123456789012.dkr.ecr.af-south-1.amazonaws.com/ngapp-dev/api:3f2a9c1").tag == "3f2a9c1"
    assert Image.parse("localhost:5000/api:v1.2_3").repository == "localhost:5000/api"


def test_release_ids_and_rollback_target() -> None:
    assert parse_release_id("7") == "r000007" and parse_release_id("r000042") == "r000042"
    for bad in ("0", "r7", "yesterday", "1000000", ""):
        with pytest.raises(UsageError):
            parse_release_id(bad)

    def release(number: int, arn: str, outcome: str) -> Release:
        return Release(f"r{number:06d}", "deploy", f"r:v{number}", f"v{number}", arn, "t", "me", outcome)

    history = [release(1, "td:1", SUCCEEDED), release(2, "td:2", SUCCEEDED), release(3, "td:3", FAILED)]
    assert rollback_target(history, "td:2") == history[0]  # not the failed one, not what runs
    assert rollback_target(history[:1], "td:1") is None


def test_promotion_rules_file(tmp_path: Path) -> None:
    rules = tmp_path / "promotion.toml"
    assert promotion.load_requirements(rules) == {}
    rules.write_text('[environments.prod]\nrequires = "staging"\n')
    assert promotion.load_requirements(rules) == {"prod": "staging"}
    for bad in ('[environments.prod]\nrequire = "staging"\n', "x = 1\n", "[environments.prod\n"):
        rules.write_text(bad)
        with pytest.raises(UsageError):
            promotion.load_requirements(rules)
