"""A model of Application Auto Scaling target tracking for an ECS service.

Given the average utilisation of `current` tasks, target tracking asks for the fewest tasks
that bring utilisation to the target or below (rounding up, so capacity is never short),
clamped to [min_capacity, max_capacity].
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ScalingSettings:
    min_capacity: int
    max_capacity: int
    target_percent: float


def next_desired(current: int, utilisation: float, settings: ScalingSettings) -> int:
    """The task count target tracking asks for after observing `utilisation` (%) on `current` tasks."""
    demand = current * utilisation  # in percent of one task
    wanted = max(1, math.ceil(demand / settings.target_percent - 1e-9))
    return min(settings.max_capacity, max(settings.min_capacity, wanted))


def utilisation(demand: float, tasks: int) -> float:
    """Average utilisation (%) when `demand` (percent of one task) is spread over `tasks` tasks."""
    return demand / tasks
