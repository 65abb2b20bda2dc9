"""The ECS service deployment shim seen through a real emulator server (the launcher applies it).

The gap itself is shown on bare moto in tests/unit/test_emulator_shims_ecs.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

REGION = "af-south-1"
NAME = "ngapp-shim-api"
CIRCUIT_BREAKER = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
STEADY = f"(service {NAME}) has reached a steady state."


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("ecs-shims")) / ".infra") as emu:
        yield emu


def _revision(ecs: Any, tag: str) -> str:
    arn: str = ecs.register_task_definition(
        family=NAME,
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[
            {"name": "app", "image": f"api:{tag}", "environment": [{"name": "APP_VERSION", "value": tag}]}
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    return arn


def _service(ecs: Any) -> dict[str, Any]:
    service: dict[str, Any] = ecs.describe_services(cluster=NAME, services=[NAME])["services"][0]
    return service


def test_a_new_task_definition_rolls_out_to_a_steady_state(emulator: Emulator) -> None:
    ecs = LocalTarget(emulator).client("ecs", REGION)
    ecs.create_cluster(clusterName=NAME)
    v1, v2 = _revision(ecs, "v1"), _revision(ecs, "v2")
    ecs.create_service(
        cluster=NAME,
        serviceName=NAME,
        taskDefinition=v1,
        desiredCount=2,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        deploymentConfiguration=CIRCUIT_BREAKER,
    )
    stable = {"cluster": NAME, "services": [NAME], "WaiterConfig": {"Delay": 1, "MaxAttempts": 3}}
    ecs.get_waiter("services_stable").wait(**stable)
    [created] = _service(ecs)["deployments"]

    ecs.update_service(cluster=NAME, service=NAME, taskDefinition=v2)
    ecs.get_waiter("services_stable").wait(**stable)
    service = _service(ecs)
    assert (service["taskDefinition"], service["runningCount"], service["pendingCount"]) == (v2, 2, 0)
    [deployment] = service["deployments"]
    assert deployment["id"] != created["id"]
    assert (deployment["status"], deployment["taskDefinition"], deployment["rolloutState"]) == (
        "PRIMARY",
        v2,
        "COMPLETED",
    )
    assert (deployment["runningCount"], deployment["desiredCount"], deployment["pendingCount"]) == (2, 2, 0)
    assert deployment["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1}]
    assert "launchType" not in deployment and "launchType" not in service
    assert service["events"][0]["message"] == STEADY
    assert service["events"][1]["message"] == f"(service {NAME}) ({deployment['id']}) deployment completed."
    assert service["deploymentConfiguration"] == CIRCUIT_BREAKER

    ecs.update_service(cluster=NAME, service=NAME, desiredCount=3)
    [scaled] = _service(ecs)["deployments"]
    assert (scaled["id"], scaled["runningCount"], scaled["rolloutState"]) == (
        deployment["id"],
        3,
        "COMPLETED",
    )
    cluster = ecs.describe_clusters(clusters=[NAME])["clusters"][0]
    assert (cluster["runningTasksCount"], cluster["pendingTasksCount"]) == (3, 0)
