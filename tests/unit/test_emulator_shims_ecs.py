"""ECS service deployment shim against in-process moto: the gap shown on bare moto, then closed.

Shims are applied only inside `shims_applied`, which restores moto afterwards, so tests that use
bare moto elsewhere in the session are unaffected.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import WaiterError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_ecs import EVENTS_KEPT, new_deployment_id
from tests.unit.moto_patches import restoring

DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MODULE = "deployment_infra.emulator_shims_ecs"
REGION = "af-south-1"
CLUSTER = "ngapp-dev-api"
SERVICE = "ngapp-dev-api"
SHIM_NAMES = ("ecs-service-fields", "ecs-service-deployments")
CIRCUIT_BREAKER = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 50,
}
STEADY = f"(service {SERVICE}) has reached a steady state."
FAST = {"Delay": 0, "MaxAttempts": 2}


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    from moto.ecs.responses import EC2ContainerServiceResponse

    with restoring([EC2ContainerServiceResponse]):
        for name in names:
            SHIMS[name]()
        yield


def test_ecs_shim_is_registered_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES
    names = [name for name, func in SHIMS.items() if func.__module__ == MODULE]
    assert names == ["ecs-service-deployments"]
    assert "| `ecs-service-deployments` |" in DOCS.read_text()


def _service_with_two_revisions(cluster: str = CLUSTER) -> tuple[Any, list[str]]:
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.create_cluster(clusterName=cluster)
    arns = [
        ecs.register_task_definition(
            family=SERVICE, containerDefinitions=[{"name": "app", "image": f"api:{tag}", "memory": 128}]
        )["taskDefinition"]["taskDefinitionArn"]
        for tag in ("v1", "v2")
    ]
    ecs.create_service(
        cluster=cluster,
        serviceName=SERVICE,
        taskDefinition=arns[0],
        desiredCount=2,
        deploymentConfiguration=CIRCUIT_BREAKER,
    )
    return ecs, arns


def _describe(ecs: Any, cluster: str = CLUSTER) -> dict[str, Any]:
    service: dict[str, Any] = ecs.describe_services(cluster=cluster, services=[SERVICE])["services"][0]
    return service


def _assert_steady(service: dict[str, Any], task_definition: str) -> dict[str, Any]:
    assert service["taskDefinition"] == task_definition
    assert (service["runningCount"], service["pendingCount"]) == (service["desiredCount"], 0)
    deployments: list[dict[str, Any]] = service["deployments"]
    [deployment] = deployments
    assert deployment["status"] == "PRIMARY"
    assert deployment["taskDefinition"] == task_definition
    assert deployment["rolloutState"] == "COMPLETED"
    assert deployment["rolloutStateReason"] == f"ECS deployment {deployment['id']} completed."
    assert (deployment["runningCount"], deployment["pendingCount"], deployment["failedTasks"]) == (
        service["desiredCount"],
        0,
        0,
    )
    assert deployment["desiredCount"] == service["desiredCount"]
    assert service["events"][0]["message"] == STEADY
    return deployment


def test_bare_moto_never_rolls_out_a_new_task_definition() -> None:
    with mock_aws():
        ecs, arns = _service_with_two_revisions()
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=arns[1])
        service = _describe(ecs)
        assert service["taskDefinition"] == arns[1]
        [deployment] = service["deployments"]
        assert deployment["taskDefinition"] == arns[0]  # the gap: the old revision stays primary
        assert (deployment["rolloutState"], deployment["runningCount"]) == ("IN_PROGRESS", 0)
        assert service["events"] == []
        with pytest.raises(WaiterError):
            ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE], WaiterConfig=FAST)


def test_create_and_update_reach_a_steady_state() -> None:
    with shims_applied(*SHIM_NAMES), mock_aws():
        ecs, arns = _service_with_two_revisions()
        created = _assert_steady(_describe(ecs), arns[0])
        ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE], WaiterConfig=FAST)

        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=arns[1])
        service = _describe(ecs)
        deployed = _assert_steady(service, arns[1])
        assert deployed["id"] != created["id"] and deployed["id"].startswith("ecs-svc/")
        assert deployed["createdAt"] >= created["createdAt"]
        assert [e["message"] for e in service["events"]] == [
            STEADY,
            f"(service {SERVICE}) ({deployed['id']}) deployment completed.",
            STEADY,
            f"(service {SERVICE}) ({created['id']}) deployment completed.",
        ]
        assert service["deploymentConfiguration"] == CIRCUIT_BREAKER
        ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE], WaiterConfig=FAST)


def test_scaling_keeps_the_deployment_and_forcing_starts_one() -> None:
    with shims_applied(*SHIM_NAMES), mock_aws():
        ecs, arns = _service_with_two_revisions()
        first = _assert_steady(_describe(ecs), arns[0])
        ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=5)
        scaled = _assert_steady(_describe(ecs), arns[0])
        assert (scaled["id"], scaled["desiredCount"]) == (first["id"], 5)
        assert ecs.describe_clusters(clusters=[CLUSTER])["clusters"][0]["runningTasksCount"] == 5

        ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
        forced = _assert_steady(_describe(ecs), arns[0])
        assert forced["id"] != first["id"]

        # a family:revision is stored as the ARN, and the same revision starts nothing new
        ecs.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{SERVICE}:1")
        service = _describe(ecs)
        assert _assert_steady(service, arns[0])["id"] == forced["id"]
        assert len(service["events"]) == 6


def test_update_keeps_deployment_settings_not_given() -> None:
    with shims_applied(*SHIM_NAMES), mock_aws():
        ecs, _ = _service_with_two_revisions()
        off = {"deploymentCircuitBreaker": {"enable": False, "rollback": False}}
        ecs.update_service(cluster=CLUSTER, service=SERVICE, deploymentConfiguration=off)
        assert _describe(ecs)["deploymentConfiguration"] == {**CIRCUIT_BREAKER, **off}


def test_events_are_bounded_newest_first() -> None:
    with shims_applied(*SHIM_NAMES), mock_aws():
        ecs, _ = _service_with_two_revisions()
        for _ in range(EVENTS_KEPT):
            ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
        events = _describe(ecs)["events"]
        assert len(events) == EVENTS_KEPT
        assert events[0]["message"] == STEADY
        assert [e["createdAt"] for e in events] == sorted((e["createdAt"] for e in events), reverse=True)


def test_deployment_ids_have_aws_shape() -> None:
    ids = {new_deployment_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(i.startswith("ecs-svc/") and len(i) == 27 and i[8:].isdigit() for i in ids)


UPDATES = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "desiredCount": st.integers(0, 6),
            "taskDefinition": st.sampled_from([0, 1]),
            "forceNewDeployment": st.booleans(),
        },
    ),
    max_size=5,
)


def test_any_update_sequence_ends_steady() -> None:
    # one moto for all examples (starting one per example is slow); each example gets its own cluster
    clusters = itertools.count()

    @settings(max_examples=100, deadline=None)
    @given(updates=UPDATES)
    def check(updates: list[dict[str, Any]]) -> None:
        cluster = f"property-{next(clusters)}"
        ecs, arns = _service_with_two_revisions(cluster)
        current, last_id = arns[0], _describe(ecs, cluster)["deployments"][0]["id"]
        for drawn in updates:
            update = {k: arns[v] if k == "taskDefinition" else v for k, v in drawn.items()}
            ecs.update_service(cluster=cluster, service=SERVICE, **update)
            started = update.get("forceNewDeployment") or update.get("taskDefinition", current) != current
            current = update.get("taskDefinition", current)
            service = _describe(ecs, cluster)
            deployment = _assert_steady(service, current)
            assert (deployment["id"] != last_id) == bool(started)
            last_id = deployment["id"]
            counts = ecs.describe_clusters(clusters=[cluster])["clusters"][0]
            assert (counts["runningTasksCount"], counts["pendingTasksCount"]) == (service["desiredCount"], 0)

    with shims_applied(*SHIM_NAMES), mock_aws():
        check()
