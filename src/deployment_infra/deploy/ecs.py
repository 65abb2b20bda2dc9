"""ECS operations of a deploy: read the live service, register a revision, point the service at it, wait.

Only the `app` container's image and environment change between revisions; everything else (roles,
sizes, secrets, logging) is what Terraform last set on the live task definition.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from deployment_infra.deploy.service import CONTAINER_NAME, ServiceRef
from deployment_infra.errors import InfraError

# Fields of DescribeTaskDefinition that RegisterTaskDefinition takes back.
_REGISTER_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)

STEADY = "steady"
IN_PROGRESS = "in progress"
FAILED = "failed"  # the rollout failed (circuit breaker) or ECS rolled it back


@dataclass(frozen=True)
class Rollout:
    state: str  # steady | in progress | failed
    detail: str
    running: int = 0
    desired: int = 0


def describe_service(ecs: Any, ref: ServiceRef) -> dict[str, Any]:
    """The live ECS service, or InfraError saying the environment is not up."""
    try:
        found = ecs.describe_services(cluster=ref.cluster, services=[ref.name])
    except ecs.exceptions.ClusterNotFoundException:
        found = {"services": []}
    services = [s for s in found.get("services", []) if s.get("status") == "ACTIVE"]
    if not services:
        raise InfraError(
            f"service {ref.name} not found in cluster {ref.cluster} ({ref.region}): "
            f"run infra up --env {ref.environment} first"
        )
    return dict(services[0])


def describe_task_definition(ecs: Any, arn: str) -> dict[str, Any]:
    return dict(ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"])


def app_container(task_definition: Mapping[str, Any]) -> dict[str, Any]:
    for container in task_definition.get("containerDefinitions", []):
        if container.get("name") == CONTAINER_NAME:
            return dict(container)
    raise InfraError(
        f"task definition {task_definition.get('taskDefinitionArn')} has no container {CONTAINER_NAME!r}"
    )


def container_environment(task_definition: Mapping[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in app_container(task_definition).get("environment", [])}


def revision_request(
    task_definition: Mapping[str, Any], image: str, environment: list[dict[str, str]]
) -> dict[str, Any]:
    """RegisterTaskDefinition arguments: the live revision with a new image and environment for `app`."""
    request = {
        k: task_definition[k] for k in _REGISTER_FIELDS if task_definition.get(k) not in (None, [], {})
    }
    containers = []
    for container in task_definition.get("containerDefinitions", []):
        if container.get("name") == CONTAINER_NAME:
            containers.append({**container, "image": image, "environment": environment})
        else:
            containers.append(container)
    request["containerDefinitions"] = containers
    return request


def register_revision(
    ecs: Any, task_definition: Mapping[str, Any], image: str, environment: list[dict[str, str]]
) -> str:
    request = revision_request(task_definition, image, environment)
    tags = task_definition.get("tags") or []
    if tags:
        request["tags"] = tags
    return str(ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"])


def point_service(ecs: Any, ref: ServiceRef, task_definition_arn: str) -> None:
    ecs.update_service(cluster=ref.cluster, service=ref.name, taskDefinition=task_definition_arn)


def assess(service: Mapping[str, Any], task_definition_arn: str) -> Rollout:
    """Where the rollout of `task_definition_arn` stands, from one DescribeServices answer."""
    deployments = service.get("deployments", [])
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    if primary is None:
        return Rollout(IN_PROGRESS, "no primary deployment yet")
    running, desired = int(primary.get("runningCount", 0)), int(primary.get("desiredCount", 0))
    if primary.get("taskDefinition") != task_definition_arn:
        # The circuit breaker rolled back: ECS made the previous revision primary again.
        return Rollout(
            FAILED, f"ECS rolled the service back to {primary.get('taskDefinition')}", running, desired
        )
    rollout = str(primary.get("rolloutState", ""))
    if rollout == "FAILED":
        reason = primary.get("rolloutStateReason") or "deployment failed"
        return Rollout(FAILED, f"rollout failed: {reason}", running, desired)
    if rollout == "COMPLETED" and len(deployments) == 1 and running == desired:
        return Rollout(STEADY, f"{running}/{desired} tasks running", running, desired)
    return Rollout(
        IN_PROGRESS, f"{running}/{desired} tasks running, {len(deployments)} deployment(s)", running, desired
    )


def wait_for_rollout(
    ecs: Any,
    ref: ServiceRef,
    task_definition_arn: str,
    *,
    timeout_s: float,
    poll_s: float = 5.0,
    on_progress: Callable[[Rollout, float], None] | None = None,
) -> Rollout:
    """Poll until the rollout is steady or failed; a timeout is a failure."""
    started = time.monotonic()
    last = ""
    while True:
        rollout = assess(describe_service(ecs, ref), task_definition_arn)
        elapsed = time.monotonic() - started
        if on_progress and rollout.detail != last:
            on_progress(rollout, elapsed)
            last = rollout.detail
        if rollout.state != IN_PROGRESS:
            return rollout
        if elapsed >= timeout_s:
            return Rollout(
                FAILED,
                f"not steady after {timeout_s:.0f}s ({rollout.detail})",
                rollout.running,
                rollout.desired,
            )
        time.sleep(poll_s)
