"""`infra deploy`, `infra rollback`, `infra releases`, `infra smoke`, `infra integration record`.

The flows live in deploy/engine.py; this module resolves the environment, applies the promotion gate
and the prod confirmation, invalidates the CDN after a release and posts the outcome to Slack.
"""

from __future__ import annotations

import getpass
import math
import os
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from deployment_infra import ui
from deployment_infra.commands.common import Context, context
from deployment_infra.deploy import cdn, notify, promotion
from deployment_infra.deploy import ecs as ecs_ops
from deployment_infra.deploy.engine import Clients, Deployer, Outcome
from deployment_infra.deploy.images import Image, check_tag
from deployment_infra.deploy.releases import ReleaseHistory, parse_release_id
from deployment_infra.deploy.runtime import runtime_for
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.deploy.smoke import load_smoke_config, run_smoke, validate_base_url
from deployment_infra.envs.config import read_config
from deployment_infra.errors import InfraError, UsageError
from deployment_infra.ui import print_json

SMOKE_CONFIG = "cd/smoke.toml"
PROMOTION_CONFIG = "cd/promotion.toml"
ENTRY_POINTS = ("/", "/index.html")  # the cloudfront module's default entry_point_paths
MAX_LINK = 2048


def actor() -> str:
    """Who deploys: the GitHub actor in Actions, else user@host."""
    github = os.environ.get("GITHUB_ACTOR")
    if github:
        return f"github:{github}"
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def run_link() -> str | None:
    """The Actions run that deployed, when there is one."""
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def _deployer(ctx: Context, ref: ServiceRef, timeout_s: float, quiet: bool) -> Deployer:
    smoke_config = load_smoke_config(ctx.settings.root / SMOKE_CONFIG)
    ctx.target.prepare()
    ssm = ctx.target.client("ssm", ref.region)
    return Deployer(
        ref=ref,
        clients=Clients(ecs=ctx.target.client("ecs", ref.region), ssm=ssm),
        runtime=runtime_for(ctx.target.name, ctx.settings),
        smoke_config=smoke_config,
        actor=actor(),
        timeout_s=timeout_s,
        poll_s=0.5 if ctx.target.name == "local" else 5.0,
        progress=(lambda _line: None) if quiet else ui.detail,
        environment_config=lambda: read_config(ssm, ref),
    )


def _confirm_protected(ctx: Context, ref: ServiceRef, what: str, yes: bool) -> None:
    if ctx.settings.environment(ref.environment).protected and not yes and not ui.confirm(f"{what}."):
        raise UsageError(
            f"{ref.environment} is protected: {what} needs confirmation (or --yes); nothing changed"
        )


def promotion_rules(ctx: Context) -> dict[str, str]:
    """cd/promotion.toml, every environment in it known (UsageError otherwise): read before any work."""
    requirements = promotion.load_requirements(ctx.settings.root / PROMOTION_CONFIG)
    for env, required in requirements.items():
        for name in (env, required):
            if name not in ctx.settings.environments:
                raise UsageError(
                    f"{PROMOTION_CONFIG}: [environments.{env}] names unknown environment {name!r}"
                )
    return requirements


def check_promotion(ctx: Context, ref: ServiceRef, image: Image, requirements: Mapping[str, str]) -> None:
    """Refuse `image` for `ref`'s environment unless it passed the environment promotion requires."""
    required = requirements.get(ref.environment)
    if required is None:
        return
    required_ref = ServiceRef.of(ctx.settings, required, ref.service)
    reason = promotion.gate(ctx.target.client("ssm", required_ref.region), required_ref, image)
    if reason is not None:
        raise InfraError(f"refused: {reason}; nothing changed")


def deploy(env: str, image_text: str, *, target: str, yes: bool, as_json: bool, timeout_s: float) -> int:
    image = Image.parse(image_text)  # bad input fails before anything is touched
    _check_timeout(timeout_s)
    ctx = context(target)
    ref = ServiceRef.of(ctx.settings, env)
    requirements = promotion_rules(ctx)
    deployer = _deployer(ctx, ref, timeout_s, as_json)
    check_promotion(ctx, ref, image, requirements)
    _confirm_protected(ctx, ref, f"deploying {image.reference} to {env}", yes)
    if not as_json:
        ui.step(f"{env}: deploying {image.reference} to {ref.name} ({target})")
    outcome = deployer.deploy(image)
    return _finish(ctx, ref, outcome, as_json)


def rollback(env: str, to: str | None, *, target: str, yes: bool, as_json: bool, timeout_s: float) -> int:
    release_id = parse_release_id(to) if to is not None else None
    _check_timeout(timeout_s)
    ctx = context(target)
    ref = ServiceRef.of(ctx.settings, env)
    deployer = _deployer(ctx, ref, timeout_s, as_json)
    if release_id is not None:
        deployer.history.get(release_id)  # an unknown id is bad input: refused before any output
    _confirm_protected(ctx, ref, f"rolling {env} back", yes)
    if not as_json:
        ui.step(f"{env}: rolling {ref.name} back to {release_id or 'the previous good release'} ({target})")
    outcome = deployer.rollback(release_id)
    return _finish(ctx, ref, outcome, as_json)


def _check_timeout(timeout_s: float) -> None:
    if not (timeout_s > 0 and math.isfinite(timeout_s)):
        raise UsageError(f"--timeout must be a positive number of seconds, got {timeout_s:g}")


def _check_link(url: str) -> str:
    """`--url` of an integration record: empty, or an http(s) link of printable text."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. a port that is not a number
        ok = False
    if not ok or len(url) > MAX_LINK or any(c.isspace() or not c.isprintable() for c in url):
        raise UsageError(
            f"--url {url[:80]!r} is not an http(s) link (at most {MAX_LINK} printable characters)"
        )
    return url


def _finish(ctx: Context, ref: ServiceRef, outcome: Outcome, as_json: bool) -> int:
    extra: dict[str, Any] = {}
    if outcome.changed:
        if outcome.succeeded:
            extra["cdn"] = _invalidate_entry_points(ctx, ref, quiet=as_json)
        extra["notification"] = _notify(ctx, ref, outcome)
    if as_json:
        print_json({**outcome.to_dict(), **extra})
    elif outcome.succeeded:
        ui.ok(f"{ref.environment}: {outcome.detail} ({outcome.duration_s:.1f}s)")
    else:
        ui.error(f"{ref.environment}: {outcome.action} failed: {outcome.detail}")
    return 0 if outcome.succeeded else 1


def _invalidate_entry_points(ctx: Context, ref: ServiceRef, *, quiet: bool) -> dict[str, Any]:
    """Invalidate the CloudFront entry points, if the environment has a distribution; never fails a deploy."""
    client = ctx.target.client("cloudfront", "us-east-1")
    try:
        distribution = cdn.find_distribution(client, ctx.settings.project, ref.environment)
        if distribution is None:
            return {"invalidated": False, "detail": "no CloudFront distribution for this environment"}
        reference = f"deploy-{ref.environment}-{int(time.time())}-{uuid.uuid4().hex[:8]}"
        result = cdn.invalidate(client, distribution, list(ENTRY_POINTS), reference)
    except (InfraError, BotoCoreError, ClientError) as exc:
        if not quiet:
            ui.warn(f"CDN invalidation failed (the release stands): {exc}")
        return {"invalidated": False, "detail": str(exc)}
    if not quiet:
        ui.detail(
            f"CDN: invalidation {result.invalidation_id} of {', '.join(ENTRY_POINTS)} on {distribution}"
        )
    return {"invalidated": True, **result.to_dict()}


def _notify(ctx: Context, ref: ServiceRef, outcome: Outcome) -> dict[str, Any]:
    secret_id = f"{ref.secret_prefix}/monitoring/slack"
    url, reason = notify.webhook_url_from_secret(ctx.target.client("secretsmanager", ref.region), secret_id)
    release = outcome.release
    event = notify.DeployEvent(
        environment=ref.environment,
        action="rollback" if outcome.action == "rollback" else "deploy",
        version=release.version if release else outcome.image,
        actor=actor(),
        outcome="succeeded"
        if outcome.succeeded
        else "rolled back"
        if outcome.action == "deploy"
        else "failed",
        duration_s=outcome.duration_s,
        link=run_link(),
        detail=outcome.detail,
    )
    result = notify.notify(event, url)
    detail = result.detail if url else reason
    return {"sent": result.sent, "detail": detail}


def releases(env: str, *, target: str, as_json: bool, limit: int) -> int:
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    ctx = context(target)
    ref = ServiceRef.of(ctx.settings, env)
    ctx.target.prepare()
    history = ReleaseHistory(ctx.target.client("ssm", ref.region), ref)
    found = history.list()[-limit:]
    current = history.current_id()
    if as_json:
        print_json({"environment": env, "current": current, "releases": [r.to_dict() for r in found]})
        return 0
    if not found:
        ui.detail(f"{env}: no releases yet (infra deploy --env {env} --image REPO:TAG)")
        return 0
    ui.table(
        f"{env}: releases of {ref.name}, newest last (* = live; details: --json)",
        ["", "id", "action", "version", "outcome", "time (UTC)", "actor"],
        [
            (
                "*" if r.id == current else "",
                r.id,
                r.action,
                r.version,
                r.outcome,
                r.time[:16].replace("T", " "),
                r.actor,
            )
            for r in found
        ],
    )
    return 0


def smoke(env: str, url: str | None, version: str | None, *, target: str, as_json: bool) -> int:
    if url is not None:
        validate_base_url(url)  # bad input fails before the service is looked up
    if version is not None:
        check_tag(version, "--version")
    ctx = context(target)
    ref = ServiceRef.of(ctx.settings, env)
    config = load_smoke_config(ctx.settings.root / SMOKE_CONFIG)
    expected = version
    if url is None or expected is None:
        ctx.target.prepare()
        ecs = ctx.target.client("ecs", ref.region)
        task_definition = ecs_ops.describe_task_definition(
            ecs, str(ecs_ops.describe_service(ecs, ref)["taskDefinition"])
        )
        expected = expected or ecs_ops.container_environment(task_definition).get("APP_VERSION")
        if not expected:
            raise InfraError(f"{env} runs no deployed release (no APP_VERSION): give --version")
        url = url or runtime_for(ctx.target.name, ctx.settings).endpoint(ref, task_definition)
    report = run_smoke(url, expected, config, on_check=None if as_json else _show_check)
    if as_json:
        print_json({"environment": env, "url": url, "version": expected, **report.to_dict()})
    elif report.passed:
        ui.ok(f"{env}: smoke test passed at {url} (version {expected})")
    else:
        ui.error(f"{env}: smoke test failed at {url}")
    return 0 if report.passed else 1


def _show_check(check: Any) -> None:
    mark = "ok  " if check.passed else "FAIL"
    ui.detail(f"{mark} {check.name}: {check.detail} ({check.elapsed_ms:.0f} ms)")


def record_integration(
    env: str, image_text: str, outcome: str, url: str, *, target: str, as_json: bool
) -> int:
    image = Image.parse(image_text)
    if outcome not in promotion.RESULTS:
        raise UsageError(f"--outcome must be one of: {', '.join(promotion.RESULTS)}")
    _check_link(url)
    ctx = context(target)
    ref = ServiceRef.of(ctx.settings, env)
    ctx.target.prepare()
    entry = promotion.record(
        ctx.target.client("ssm", ref.region), ref, image, outcome=outcome, actor=actor(), url=url
    )
    if as_json:
        print_json({"environment": env, **entry.to_dict()})
    else:
        ui.ok(f"{env}: integration of {image.reference} recorded as {outcome}")
    return 0
