"""`infra plan`, `infra apply`, `infra bootstrap` and `infra policy check` (`infra unlock`: unlock.py)."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from deployment_infra import policy, state_lock, ui
from deployment_infra import settings as settings_mod
from deployment_infra.bootstrap import bootstrap as run_bootstrap
from deployment_infra.commands.common import confirm_destruction, context, show_violations, stack
from deployment_infra.errors import UsageError
from deployment_infra.stack import PlanOutcome
from deployment_infra.ui import print_json


def describe(outcome: PlanOutcome) -> str:
    c = outcome.changes
    return (
        f"{c.get('create', 0)} to create, {c.get('update', 0)} to update, "
        f"{c.get('replace', 0)} to replace, {c.get('delete', 0)} to destroy"
    )


def plan(env: str, target: str, as_json: bool) -> int:
    ctx = context(target)
    st = stack(ctx, env)
    with state_lock.run_lock(st.work.base, f"{env} ({target})", f"infra plan --env {env}"):
        outcome = st.plan()
    if as_json:
        print_json(
            {
                "environment": env,
                "target": target,
                "plan_file": str(outcome.plan_file),
                "changes": outcome.changes,
                "passed": outcome.passed,
                "violations": [v.to_dict() for v in outcome.violations],
            }
        )
    if outcome.violations:
        show_violations(outcome.violations)
        ui.error(f"plan for {env} refused by the policy gate: nothing will be applied")
        return 1
    if not as_json and outcome.has_changes:
        ui.ok(f"plan for {env} passed the gate: {describe(outcome)}; apply it with `infra apply --env {env}`")
    elif not as_json:
        ui.ok(f"plan for {env} passed the gate: no changes, nothing to apply")
    return 0


def apply(env: str, target: str, yes: bool) -> int:
    ctx = context(target)
    st = stack(ctx, env)
    with state_lock.run_lock(st.work.base, f"{env} ({target})", f"infra apply --env {env}"):
        record = st.saved_plan()
        destructive = (
            record.get("destroy")
            or record.get("changes", {}).get("delete", 0)
            or record.get("changes", {}).get("replace", 0)
        )
        if destructive:
            confirm_destruction(st, "The saved plan destroys or replaces resources", yes)
        st.apply()
    ui.ok(f"{env} applied")
    return 0


def bootstrap(target: str, as_json: bool) -> int:
    ctx = context(target)
    result = run_bootstrap(ctx.settings, ctx.target)
    if as_json:
        b = result.backend
        print_json(
            {
                "bucket": b.bucket,
                "lock_table": b.lock_table,
                "region": b.region,
                "kms_key_arn": b.kms_key_arn,
                "changed": result.changed,
            }
        )
    return 0


def policy_check(
    plan_path: Path, as_json: bool, environment: str | None = None, as_of: str | None = None
) -> int:
    """Check any saved plan JSON: 0 pass, 1 violations, 2 unreadable input or environment.

    `as_of` (YYYY-MM-DD) judges transfer register expiry on that day instead of today.
    """
    ctx = policy.PolicyContext.from_settings(settings_mod.load(), environment)
    if as_of is not None:
        try:
            ctx = dataclasses.replace(ctx, today=datetime.date.fromisoformat(as_of))
        except ValueError:
            raise UsageError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    plan_data = policy.load_plan_file(plan_path)
    violations = policy.check_plan(plan_data, ctx)
    if as_json:
        print_json(
            {
                "plan": str(plan_path),
                "passed": not violations,
                "violations": [v.to_dict() for v in violations],
            }
        )
    if violations:
        show_violations(violations)
        ui.error(f"{plan_path}: {len(violations)} policy violation(s)")
        return 1
    if not as_json:
        ui.ok(f"{plan_path}: passed {len(policy.CHECKS)} checks")
    return 0


def list_checks(as_json: bool) -> int:
    rows = [(c.id, c.title) for c in policy.CHECKS]
    if as_json:
        print_json([{"id": i, "title": t} for i, t in rows])
    else:
        ui.table("Policy checks", ["id", "what it refuses"], rows)
    return 0
