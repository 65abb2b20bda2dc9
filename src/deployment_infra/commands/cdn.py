"""`infra cdn invalidate`: invalidate an environment's CloudFront paths (default: its entry points)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from deployment_infra import ui
from deployment_infra.commands.common import context, stack
from deployment_infra.deploy import cdn
from deployment_infra.errors import InfraError
from deployment_infra.ui import print_json

DISTRIBUTION_OUTPUT = "cdn_distribution_id"
ENTRY_POINTS_OUTPUT = "cdn_entry_points"


def invalidate(env: str, paths: list[str], target: str, wait: bool, as_json: bool) -> int:
    if paths:
        cdn.validate_paths(paths)  # bad input fails before any AWS call
    ctx = context(target)
    st = stack(ctx, env)
    outputs: dict[str, Any] = st.outputs()
    distribution_id = outputs.get(DISTRIBUTION_OUTPUT)
    if not distribution_id:
        raise InfraError(
            f"environment {env} has no CDN distribution (output {DISTRIBUTION_OUTPUT} missing): "
            f"run infra up --env {env}"
        )
    if not paths:
        paths = list(outputs.get(ENTRY_POINTS_OUTPUT) or ["/*"])
    client = ctx.target.client("cloudfront", "us-east-1")
    reference = f"infra-{env}-{int(time.time())}-{uuid.uuid4().hex[:8]}"
    ui.step(f"{env}: invalidating {len(paths)} path(s) on {distribution_id} ({target})")
    result = cdn.invalidate(client, str(distribution_id), paths, reference)
    ui.ok(f"invalidation {result.invalidation_id}: {result.status}")
    if wait and not result.completed:
        result = cdn.wait(
            client,
            result,
            on_poll=lambda inv, elapsed: ui.detail(f"{inv.invalidation_id} {inv.status} ({elapsed:.0f}s)"),
        )
        ui.ok(f"invalidation {result.invalidation_id}: {result.status}")
    if as_json:
        print_json({"environment": env, "target": target, **result.to_dict()})
    return 0
