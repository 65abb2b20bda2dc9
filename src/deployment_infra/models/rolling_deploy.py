"""A model of an ECS rolling deployment, and the configurations that keep it downtime-free.

ECS replaces the `n` tasks of a service keeping at least ceil(n * min_healthy / 100) healthy
and running at most floor(n * max_percent / 100). The model plays a deployment step by step
(start what the maximum allows, let new tasks turn healthy, stop old tasks the minimum allows)
and reports the fewest healthy tasks seen and whether it finished.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CRITICAL_ENVIRONMENTS = frozenset({"staging", "prod"})


@dataclass(frozen=True)
class DeploymentConfig:
    environment: str
    desired_count: int
    min_capacity: int
    max_capacity: int
    min_healthy_percent: int
    max_percent: int
    az_count: int


@dataclass(frozen=True)
class Rollout:
    completed: bool
    min_healthy_seen: int
    required_healthy: int
    max_running_seen: int
    allowed_running: int


def bounds(tasks: int, min_healthy_percent: int, max_percent: int) -> tuple[int, int]:
    """(fewest healthy tasks ECS keeps, most tasks ECS runs) for a service of `tasks` tasks."""
    return math.ceil(tasks * min_healthy_percent / 100), math.floor(tasks * max_percent / 100)


def simulate(tasks: int, min_healthy_percent: int, max_percent: int, max_steps: int = 10_000) -> Rollout:
    """Replace `tasks` old tasks by new ones the way ECS's rolling deployment does."""
    lower, upper = bounds(tasks, min_healthy_percent, max_percent)
    old, new = tasks, 0
    min_seen, max_seen = old, old
    for _ in range(max_steps):
        if new == tasks and old == 0:
            return Rollout(True, min_seen, lower, max_seen, upper)
        started = max(0, min(upper - (old + new), tasks - new))
        new += started  # new tasks start, pass their health checks
        max_seen = max(max_seen, old + new)
        stoppable = max(0, min(old, old + new - lower))
        if started == 0 and stoppable == 0:
            return Rollout(False, min_seen, lower, max_seen, upper)  # stuck: neither bound moves
        old -= stoppable
        min_seen = min(min_seen, old + new)
    return Rollout(False, min_seen, lower, max_seen, upper)


def task_counts(cfg: DeploymentConfig) -> range:
    """Every task count the service can have: autoscaling moves it between min and max capacity."""
    return range(max(1, cfg.min_capacity), max(1, cfg.min_capacity, cfg.max_capacity) + 1)


def violations(cfg: DeploymentConfig) -> dict[str, str]:
    """Module input -> why this configuration risks downtime (empty: safe).

    Keys are the ecs module's variable names, so that a test can expect exactly these
    validation failures from the module.
    """
    found: dict[str, str] = {}
    critical = cfg.environment in CRITICAL_ENVIRONMENTS
    if critical and cfg.desired_count < 2:
        found["desired_count"] = "a single task is a single point of failure"
    if cfg.min_capacity > cfg.desired_count or (critical and cfg.min_capacity < 2):
        found["min_capacity"] = "scale-in could leave a single task (or start below the minimum)"
    if cfg.max_capacity < cfg.desired_count:
        found["max_capacity"] = "the service would start above its maximum"
    if critical and cfg.min_healthy_percent < 100:
        found["deployment_minimum_healthy_percent"] = "a deployment could stop serving tasks first"
    if any(not simulate(n, cfg.min_healthy_percent, cfg.max_percent).completed for n in task_counts(cfg)):
        found["deployment_maximum_percent"] = "no room to start a replacement while the minimum keeps serving"
    return found


def surviving_an_az_loss(tasks: int, az_count: int) -> int:
    """Tasks left when the AZ holding the most tasks (ECS spreads them evenly) goes down."""
    return tasks - math.ceil(tasks / az_count)
