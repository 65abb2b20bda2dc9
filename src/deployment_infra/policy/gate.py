"""The policy gate: every registered check over one plan, violations in report order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from deployment_infra.policy.checks import CHECKS
from deployment_infra.policy.model import PolicyCheck, PolicyContext, Violation
from deployment_infra.policy.plan import build_view, gc_paused


def check_plan(
    plan: Mapping[str, Any], ctx: PolicyContext, checks: Iterable[PolicyCheck] = CHECKS
) -> list[Violation]:
    """All violations of `checks` in `plan`, sorted and without duplicates; [] means it may apply.

    Raises UsageError if `plan` is not a terraform plan JSON (never passes one it cannot read).
    """
    with gc_paused():  # everything built here is acyclic; see gc_paused
        view = build_view(plan)
        found: set[Violation] = set()
        for check in checks:
            found.update(check.evaluate(view, ctx))
        return sorted(found)
