"""Property 9, Auto-Scaling Response.

The scaling settings come from the plan JSON of the real environment roots (not re-typed): the
scalable target's min/max and the CPU and memory target-tracking policies. For any metric
series, a target-tracking model fed those settings keeps the desired count in [min, max],
moves it in the direction the load asks, and never leaves the service short of capacity unless
it is already at its maximum.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.models.target_tracking import ScalingSettings, next_desired, utilisation
from tests.property.conftest import ENVIRONMENTS

METRICS = {"cpu": "ECSServiceAverageCPUUtilization", "memory": "ECSServiceAverageMemoryUtilization"}
TARGET_INPUTS = {"cpu": "cpu_target_percent", "memory": "memory_target_percent"}


def _managed(plan: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [
        rc["change"]["after"]
        for rc in plan["resource_changes"]
        if rc["type"] == rtype and rc["mode"] == "managed" and rc["change"]["actions"] != ["delete"]
    ]


def scaling_from_plan(plan: dict[str, Any]) -> dict[str, ScalingSettings]:
    """metric -> settings, read from the plan's scalable target and target-tracking policies."""
    (target,) = _managed(plan, "aws_appautoscaling_target")
    found: dict[str, ScalingSettings] = {}
    for policy in _managed(plan, "aws_appautoscaling_policy"):
        config = policy["target_tracking_scaling_policy_configuration"][0]
        metric = config["predefined_metric_specification"][0]["predefined_metric_type"]
        for name, predefined in METRICS.items():
            if metric == predefined:
                found[name] = ScalingSettings(
                    int(target["min_capacity"]), int(target["max_capacity"]), config["target_value"]
                )
    return found


def configured_target(plan: dict[str, Any], metric: str) -> float:
    """What the root asks the ecs module for (its argument, else the module's default), from the plan."""
    call = plan["configuration"]["root_module"]["module_calls"]["service"]
    expression = call.get("expressions", {}).get(TARGET_INPUTS[metric], {})
    if "constant_value" in expression:
        return float(expression["constant_value"])
    return float(call["module"]["variables"][TARGET_INPUTS[metric]]["default"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_scales_on_cpu_and_memory(environment_plans: dict[str, Any], env: str) -> None:
    plan = environment_plans[env]
    found = scaling_from_plan(plan)
    assert set(found) == {"cpu", "memory"}, found
    for metric, scaling in found.items():
        assert scaling.target_percent == configured_target(plan, metric)
        assert 1 <= scaling.min_capacity <= scaling.max_capacity


@settings(max_examples=100, deadline=None)
@given(
    env=st.sampled_from(ENVIRONMENTS),
    metric=st.sampled_from(sorted(METRICS)),
    start=st.integers(0, 1000),
    demands=st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=30),
)
def test_target_tracking_moves_toward_the_target_within_bounds(
    environment_plans: dict[str, Any], env: str, metric: str, start: int, demands: list[float]
) -> None:
    scaling = scaling_from_plan(environment_plans[env])[metric]
    tasks = scaling.min_capacity + start % (scaling.max_capacity - scaling.min_capacity + 1)
    for demand in demands:
        observed = utilisation(demand, tasks)
        new = next_desired(tasks, observed, scaling)
        assert scaling.min_capacity <= new <= scaling.max_capacity
        if observed > scaling.target_percent:
            assert new >= tasks  # more load than the target: never scale in
        elif observed < scaling.target_percent:
            assert new <= tasks  # less load: never scale out
        if new < scaling.max_capacity:
            assert utilisation(demand, new) <= scaling.target_percent + 1e-6  # never short of capacity
        if new > scaling.min_capacity and new > 1:
            assert utilisation(demand, new - 1) > scaling.target_percent - 1e-6  # and no more than needed
        tasks = new
