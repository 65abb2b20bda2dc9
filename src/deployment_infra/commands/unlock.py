"""`infra unlock`: release an environment's state lock, only when its holder is gone.

No lock: exit 0 (idempotent). A LOCK_ID that is not the current lock: exit 2, nothing changed. A
holder that is running (or may be: another machine, younger than the longest run): exit 1, nothing
changed, even with --yes. A gone holder: confirm (or --yes; no terminal and no --yes is exit 2),
then `terraform force-unlock`, which drops both the S3 lockfile and the DynamoDB item.
"""

from __future__ import annotations

import re
from typing import Any

from deployment_infra import state_lock, ui
from deployment_infra import terraform as tf
from deployment_infra.commands.common import Context, context, stack
from deployment_infra.errors import InfraError, UsageError
from deployment_infra.stack import NotDeployedError, Stack
from deployment_infra.ui import print_json

# Terraform's S3 backend lock ids are UUIDs; anything else cannot be a lock (checked before any work).
_LOCK_ID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")  # \Z: no trailing newline


def unlock(env: str, target: str, lock_id: str | None, yes: bool, as_json: bool) -> int:
    if lock_id is not None and not _LOCK_ID.match(lock_id):
        raise UsageError(
            f"{lock_id!r} is not a lock id (a UUID such as 6f1c2a7e-3d4b-4c5d-9e8f-0a1b2c3d4e5f, as the "
            "failed command printed it); nothing changed"
        )
    ctx = context(target)
    st = _stack(ctx, env)
    with state_lock.run_lock(st.work.base, f"{env} ({target})", f"infra unlock --env {env}"):
        try:
            ref = st.lock_ref()
        except NotDeployedError:
            return _report(as_json, env, target, message=f"no lock on {env}: it has no state yet")
        lock = state_lock.read_lock(ref)
        if lock is None:
            return _report(as_json, env, target, message=f"no lock on {env}")
        if lock_id is not None and lock_id != lock.id:
            raise UsageError(
                f"lock {lock_id} is not the current lock on {env} ({lock.id}, {lock.verb} by "
                f"{lock.who or 'an unknown holder'} since {lock.since}): nothing changed"
            )
        verdict = state_lock.assess(ref, lock)
        if verdict.status is not state_lock.Status.GONE:
            message = f"refused, nothing changed: {state_lock.describe(verdict, ref)}"
            if as_json:
                _json(env, target, lock, verdict, released=False, message=message)
            raise InfraError(message)
        question = (
            f"Release lock {lock.id} on {env} ({lock.verb} by {lock.who or 'an unknown holder'} since "
            f"{lock.since})? Its holder is gone: {verdict.reason}."
        )
        if not yes and not ui.confirm(question):
            raise UsageError(f"unlock of {env} needs confirmation (or --yes); nothing changed")
        try:
            st.force_unlock(lock.id)
        except tf.TerraformError:
            # force-unlock reports an error when one of the two locks (S3 lockfile, DynamoDB item)
            # was already gone; what matters is that none is left
            if state_lock.read_lock(ref) is not None:
                raise
        return _report(
            as_json, env, target, lock, verdict, released=True, message=f"lock {lock.id} on {env} released"
        )


def _stack(ctx: Context, env: str) -> Stack:
    """An environment's Stack; `pr-N` (not a configured environment) is PR N's preview, as the
    preview's lock message names it."""
    from deployment_infra.envs import preview

    pr = preview.pr_of(env)
    if pr is not None and env not in ctx.settings.environments:
        return preview.preview_stack(ctx.settings, ctx.target, pr)
    return stack(ctx, env)


def _report(
    as_json: bool,
    env: str,
    target: str,
    lock: state_lock.LockInfo | None = None,
    verdict: state_lock.Verdict | None = None,
    *,
    released: bool = False,
    message: str,
) -> int:
    if as_json:
        _json(env, target, lock, verdict, released=released, message=message)
    else:
        ui.ok(message)
    return 0


def _json(
    env: str,
    target: str,
    lock: state_lock.LockInfo | None,
    verdict: state_lock.Verdict | None,
    *,
    released: bool,
    message: str,
) -> None:
    data: dict[str, Any] = {
        "environment": env,
        "target": target,
        "lock": lock.to_dict() if lock else None,
        "holder": verdict.status.value if verdict else None,
        "released": released,
        "message": message,
    }
    print_json(data)
