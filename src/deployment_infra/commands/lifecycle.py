"""`infra up`, `infra down` and `infra status`: an environment's whole life in three verbs."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from deployment_infra import state_lock, ui
from deployment_infra.bootstrap import Backend, bootstrap
from deployment_infra.commands.common import confirm_destruction, context, show_violations, stack
from deployment_infra.commands.plan import describe
from deployment_infra.errors import InfraError
from deployment_infra.stack import NotDeployedError, Stack, resources_of
from deployment_infra.ui import print_json


def up(env: str, target: str, yes: bool) -> int:
    """Emulator (local) -> bootstrap -> plan -> gate -> apply -> summary."""
    started = time.monotonic()
    ctx = context(target)
    st = stack(ctx, env)
    with state_lock.run_lock(st.work.base, f"{env} ({target})", f"infra up --env {env}"):
        ctx.target.prepare()
        backend = bootstrap(ctx.settings, ctx.target).backend
        if converge(st, backend, yes) is None:
            return 1
        summary(st)
    ui.ok(f"{env} is up ({time.monotonic() - started:.0f}s)")
    return 0


def converge(st: Stack, backend: Backend, yes: bool) -> bool | None:
    """plan -> gate -> apply for `st`: True when it applied changes, False when there were none,
    None when the gate refused the plan (nothing applied). Shared by `up` and `preview up`."""
    env = st.env.name
    outcome = st.plan(backend=backend)
    if outcome.violations:
        show_violations(outcome.violations)
        ui.error(f"plan for {env} refused by the policy gate: nothing applied")
        return None
    if not outcome.has_changes:
        ui.ok(f"{env} is up to date: nothing to apply")
        return False
    deletes = outcome.changes.get("delete", 0) + outcome.changes.get("replace", 0)
    if deletes:
        confirm_destruction(st, f"The plan destroys or replaces {deletes} resources", yes)
    ui.ok(f"gate passed: {describe(outcome)}")
    st.apply()
    return True


def down(env: str, target: str, yes: bool) -> int:
    """Destroy every resource of the environment (its state key stays, empty)."""
    ctx = context(target)
    st = stack(ctx, env)
    with state_lock.run_lock(st.work.base, f"{env} ({target})", f"infra down --env {env}"):
        return destroy(st, yes)


def destroy(st: Stack, yes: bool) -> int:
    """Destroy every resource in `st`'s state (0), or say what is left (1). Shared with `preview down`."""
    env, target = st.env.name, st.target.name
    confirm_destruction(st, "`down` destroys every resource", yes)
    try:
        st.runner(bootstrap_missing=False)
    except NotDeployedError:
        ui.ok(f"{env} was never brought up on {target}: nothing to destroy")
        return 0
    protected_by_flag = st.declared_variable("deletion_protection") is True
    unprotect = {"deletion_protection": False} if protected_by_flag else None
    if protected_by_flag:
        # deletion protection exists to stop accidents; `down` was confirmed, so lift it first
        ui.step(f"{env}: lifting deletion protection before destroying")
        lifted = st.plan(overrides=unprotect, lifting_protection=True)
        if lifted.violations:
            show_violations(lifted.violations)
            raise InfraError(f"{env}: lifting deletion protection was refused by the policy gate")
        if lifted.has_changes:
            st.apply()
    outcome = st.plan(destroy=True, overrides=unprotect)
    if not outcome.has_changes:
        ui.ok(f"{env} has no resources: nothing to destroy")
        return 0
    ui.step(f"{env}: destroying {outcome.changes.get('delete', 0)} resources")
    st.apply()
    left = resources_of(st.state())
    if left:
        ui.error(
            f"{env}: {len(left)} resources remain after destroy: {', '.join(r['address'] for r in left[:5])}"
        )
        return 1
    ui.ok(f"{env} is down: no resources left")
    return 0


def status(env: str, target: str, as_json: bool) -> int:
    ctx = context(target)
    st = stack(ctx, env)
    resources = resources_of(st.state())
    outputs = st.outputs()
    if as_json:
        print_json({"environment": env, "target": target, "resources": resources, "outputs": outputs})
        return 0
    summary(st, resources, outputs)
    return 0


def summary(
    st: Stack, resources: list[dict[str, Any]] | None = None, outputs: dict[str, Any] | None = None
) -> None:
    """A Rich summary of what exists: resources by type, then outputs."""
    resources = resources_of(st.state()) if resources is None else resources
    outputs = st.outputs() if outputs is None else outputs
    by_type = Counter(r["type"] for r in resources)
    ui.table(
        f"{st.env.name} on {st.target.name}: {len(resources)} resources",
        ["type", "count"],
        sorted(by_type.items()),
    )
    ui.table(
        f"{st.env.name} outputs", ["output", "value"], [(k, _short(v)) for k, v in sorted(outputs.items())]
    )
    if not resources:
        ui.out.print("(no resources)")


def _short(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
