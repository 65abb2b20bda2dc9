"""ECS shims for moto: service deployments reach a steady state, as the ECS deployment controller's do.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. The shim is a
row in docs/emulator.md and has tests in tests/unit/test_emulator_shims_ecs.py.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from deployment_infra.emulator_shims import shim

# -- ecs-service-deployments -------------------------------------------------------------------
# AWS (rolling update, "ECS" deployment controller): CreateService starts a PRIMARY deployment;
# UpdateService with a new task definition (or network, platform, capacity provider, load balancer
# change, or forceNewDeployment) starts a new PRIMARY one while the old drains as ACTIVE; once the
# new tasks are healthy only the PRIMARY is left, rolloutState COMPLETED, runningCount ==
# desiredCount, and the service logs "(service X) has reached a steady state.". moto 5 left one
# PRIMARY deployment with the first task definition, 0 running and IN_PROGRESS forever, so anything
# waiting for a steady state (deploy tools, `wait_for_steady_state`) never finished. The emulator
# runs no tasks, so rollouts complete at once: health failures and the circuit breaker never fire.

EVENTS_KEPT = 100
# service attributes whose change makes UpdateService start a new deployment
DEPLOYMENT_ATTRIBUTES = (
    "task_definition",
    "network_configuration",
    "platform_version",
    "capacity_provider_strategy",
    "load_balancers",
    "service_registries",
    "launch_type",
)


def new_deployment_id() -> str:
    """An id in AWS's shape: ecs-svc/ and 19 digits."""
    return f"ecs-svc/{secrets.randbelow(9 * 10**18) + 10**18}"


def deployment_state(service: Any) -> tuple[Any, ...]:
    """What a new deployment is started for (compared before and after UpdateService)."""
    return tuple(repr(getattr(service, name, None)) for name in DEPLOYMENT_ATTRIBUTES)


def add_event(events: list[dict[str, Any]], message: str, now: datetime) -> None:
    """Log a service event, newest first, keeping the last EVENTS_KEPT."""
    events.insert(0, {"id": str(uuid.uuid4()), "createdAt": now, "message": message})
    del events[EVENTS_KEPT:]


def settle(service: Any, now: datetime, *, new_deployment: bool, log: bool) -> None:
    """Leave the service's single PRIMARY deployment completed with every desired task running."""
    if (service.deployment_controller or {}).get("type", "ECS") != "ECS" or not service.deployments:
        return
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), service.deployments[0])
    deployment = dict(primary)
    if new_deployment:
        deployment.update(id=new_deployment_id(), createdAt=now)
    network = getattr(service, "network_configuration", None)
    deployment.update(
        status="PRIMARY",
        taskDefinition=service.task_definition,
        desiredCount=service.desired_count,
        runningCount=service.desired_count,
        pendingCount=0,
        failedTasks=0,
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
        updatedAt=now,
        launchType=service.launch_type,
        platformVersion=service.platform_version,
        networkConfiguration=network or None,
    )
    if getattr(service, "capacity_provider_strategy", None):
        deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
    service.deployments = [deployment]
    service.running_count = service.desired_count
    service.pending_count = 0
    if log:
        add_event(service.events, f"(service {service.name}) ({deployment['id']}) deployment completed.", now)
        add_event(service.events, f"(service {service.name}) has reached a steady state.", now)


def recount_cluster(
    cluster: Any, before: tuple[int, int], service_before: tuple[int, int], service: Any
) -> None:
    """The cluster's task counts with this service's old tasks replaced by its new ones."""
    cluster.running_tasks_count = before[0] - service_before[0] + service.running_count
    cluster.pending_tasks_count = before[1] - service_before[1] + service.pending_count


@shim("ecs-service-deployments")
def _ecs_service_deployments() -> None:
    from moto.core.utils import utcnow
    from moto.ecs.responses import EC2ContainerServiceResponse

    original_create = EC2ContainerServiceResponse.create_service
    original_update = EC2ContainerServiceResponse.update_service

    def create_service(self: Any) -> Any:
        cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
        before = (cluster.running_tasks_count, cluster.pending_tasks_count)
        result: Any = original_create(self)
        service = result.result["service"]
        settle(service, utcnow(), new_deployment=False, log=True)
        recount_cluster(cluster, before, (0, 0), service)
        return result

    def update_service(self: Any) -> Any:
        backend = self.ecs_backend
        cluster = backend._get_cluster(self._get_param("cluster", "default"))
        old = backend._get_service(cluster.name, self._get_param("service"))
        before = (cluster.running_tasks_count, cluster.pending_tasks_count)
        service_before = (old.running_count, old.pending_count)
        state, desired = deployment_state(old), old.desired_count
        configuration = getattr(old, "deployment_configuration", None)
        result: Any = original_update(self)
        service = result.result["service"]
        if task_definition := self._get_param("taskDefinition"):
            # AWS stores the resolved ARN whether given a family, family:revision or ARN
            service.task_definition = backend.describe_task_definition(task_definition).arn
        requested = self._get_param("deploymentConfiguration")
        if isinstance(configuration, dict) and isinstance(requested, dict):
            service.deployment_configuration = {**configuration, **requested}
        new_deployment = bool(self._get_param("forceNewDeployment")) or deployment_state(service) != state
        settle(
            service,
            utcnow(),
            new_deployment=new_deployment,
            log=new_deployment or service.desired_count != desired,
        )
        recount_cluster(cluster, before, service_before, service)
        return result

    cls: Any = EC2ContainerServiceResponse
    cls.create_service = create_service
    cls.update_service = update_service
