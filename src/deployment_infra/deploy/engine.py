"""The deploy and rollback flows (ARCHITECTURE.md "Flows" 2 and 3); no Terraform on either path.

deploy: live service -> new task definition revision (image + environment configuration) -> update the
service -> wait for steady state -> smoke test -> record the release -> invalidate the CDN entry points ->
notify. Any failure: back to the last good release, record the failure, notify, exit non-zero.
rollback: a good release from history -> one service update -> wait -> smoke -> record -> notify.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deployment_infra.deploy import ecs as ecs_ops
from deployment_infra.deploy.images import Image
from deployment_infra.deploy.releases import (
    FAILED,
    SUCCEEDED,
    Release,
    ReleaseHistory,
    last_good,
    rollback_target,
)
from deployment_infra.deploy.runtime import Runtime
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.deploy.smoke import SmokeConfig, SmokeReport, run_smoke
from deployment_infra.envs.config import render_environment
from deployment_infra.errors import InfraError, UsageError


@dataclass
class Clients:
    ecs: Any
    ssm: Any


@dataclass
class Outcome:
    """What a deploy or rollback did; `release` is what was recorded (None for a no-op)."""

    action: str
    environment: str
    image: str
    succeeded: bool
    detail: str
    release: Release | None = None
    rolled_back_to: Release | None = None
    smoke: SmokeReport | None = None
    duration_s: float = 0.0
    changed: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "environment": self.environment,
            "image": self.image,
            "succeeded": self.succeeded,
            "changed": self.changed,
            "detail": self.detail,
            "duration_s": round(self.duration_s, 3),
            "release": self.release.to_dict() if self.release else None,
            "rolled_back_to": self.rolled_back_to.to_dict() if self.rolled_back_to else None,
            "smoke": self.smoke.to_dict() if self.smoke else None,
        }


@dataclass
class Deployer:
    """One environment's service, the clients to reach it, and how to judge a rollout."""

    ref: ServiceRef
    clients: Clients
    runtime: Runtime
    smoke_config: SmokeConfig
    actor: str
    timeout_s: float = 600.0
    poll_s: float = 5.0
    progress: Callable[[str], None] = lambda _line: None
    environment_config: Callable[[], dict[str, str]] = dict

    @property
    def history(self) -> ReleaseHistory:
        return ReleaseHistory(self.clients.ssm, self.ref)

    # -- deploy ------------------------------------------------------------------------------------

    def deploy(self, image: Image) -> Outcome:
        started = time.monotonic()
        service = ecs_ops.describe_service(self.clients.ecs, self.ref)
        previous_arn = str(service["taskDefinition"])
        live = ecs_ops.describe_task_definition(self.clients.ecs, previous_arn)
        releases = self.history.list()
        good = last_good(releases)
        config = self.environment_config()
        environment = render(ecs_ops.container_environment(live), config, image.tag)
        if (
            good is not None
            and good.task_definition == previous_arn
            and ecs_ops.app_container(live).get("image") == image.reference
            and ecs_ops.container_environment(live) == dict_of(environment)
        ):
            return Outcome(
                "deploy",
                self.ref.environment,
                image.reference,
                True,
                f"{image.reference} is already deployed ({good.id}); nothing to do",
                release=good,
                changed=False,
            )
        self.progress(f"registering a task definition revision of {self.ref.family} with {image.reference}")
        new_arn = ecs_ops.register_revision(self.clients.ecs, live, image.reference, environment)
        self.progress(f"updating service {self.ref.name} to {_short(new_arn)}")
        ecs_ops.point_service(self.clients.ecs, self.ref, new_arn)
        failure, smoke = self._settle(new_arn, image.tag)
        duration = time.monotonic() - started
        if failure is None:
            release = self._record(
                "deploy", image=image, arn=new_arn, outcome=SUCCEEDED, duration=duration, detail=""
            )
            return Outcome(
                "deploy",
                self.ref.environment,
                image.reference,
                True,
                f"{release.id} is live",
                release=release,
                smoke=smoke,
                duration_s=duration,
            )
        # Back to the last good release; before any release, to what the service ran before.
        back_arn = good.task_definition if good else previous_arn
        self.progress(f"{failure}: rolling back to {good.id if good else _short(previous_arn)}")
        back_failure = self._return_to(back_arn, good.version if good else None)
        duration = time.monotonic() - started
        detail = failure if back_failure is None else f"{failure}; the rollback also failed: {back_failure}"
        release = self._record(
            "deploy",
            image=image,
            arn=new_arn,
            outcome=FAILED,
            duration=duration,
            detail=detail,
            rolled_back_to=back_arn,
        )
        return Outcome(
            "deploy",
            self.ref.environment,
            image.reference,
            False,
            detail,
            release=release,
            rolled_back_to=good,
            smoke=smoke,
            duration_s=duration,
        )

    # -- rollback ----------------------------------------------------------------------------------

    def rollback(self, to: str | None = None) -> Outcome:
        started = time.monotonic()
        service = ecs_ops.describe_service(self.clients.ecs, self.ref)
        running = str(service["taskDefinition"])
        releases = self.history.list()
        if to is not None:
            target = next((r for r in releases if r.id == to), None)
            if target is None:
                raise UsageError(f"{self.ref.environment} has no release {to}: see infra releases")
            if not target.good:
                raise UsageError(
                    f"release {to} failed when it was deployed; roll back to a release that succeeded"
                )
        else:
            target = rollback_target(releases, running)
            if target is None:
                raise InfraError(f"{self.ref.environment} has no earlier good release to roll back to")
        image = Image.parse(target.image)
        if target.task_definition == running:
            return Outcome(
                "rollback",
                self.ref.environment,
                target.image,
                True,
                f"{self.ref.environment} already runs {target.id}; nothing to do",
                release=target,
                changed=False,
            )
        self.progress(f"updating service {self.ref.name} to {target.id} ({target.image})")
        ecs_ops.point_service(self.clients.ecs, self.ref, target.task_definition)
        failure, smoke = self._settle(target.task_definition, target.version)
        duration = time.monotonic() - started
        if failure is None:
            release = self._record(
                "rollback",
                image=image,
                arn=target.task_definition,
                outcome=SUCCEEDED,
                duration=duration,
                detail=f"to {target.id}",
            )
            return Outcome(
                "rollback",
                self.ref.environment,
                target.image,
                True,
                f"{release.id}: back on {target.id}",
                release=release,
                smoke=smoke,
                duration_s=duration,
            )
        self.progress(f"{failure}: returning to {_short(running)}")
        back_failure = self._return_to(running, None)
        detail = failure if back_failure is None else f"{failure}; returning also failed: {back_failure}"
        release = self._record(
            "rollback",
            image=image,
            arn=target.task_definition,
            outcome=FAILED,
            duration=duration,
            detail=detail,
            rolled_back_to=running,
        )
        return Outcome(
            "rollback",
            self.ref.environment,
            target.image,
            False,
            detail,
            release=release,
            smoke=smoke,
            duration_s=duration,
        )

    # -- shared ------------------------------------------------------------------------------------

    def _settle(self, arn: str, version: str) -> tuple[str | None, SmokeReport | None]:
        """None when `arn` reached steady state and passed its smoke test, else why not."""
        rollout = ecs_ops.wait_for_rollout(
            self.clients.ecs,
            self.ref,
            arn,
            timeout_s=self.timeout_s,
            poll_s=self.poll_s,
            on_progress=lambda r, elapsed: self.progress(f"rollout: {r.detail} ({elapsed:.0f}s)"),
        )
        if rollout.state != ecs_ops.STEADY:
            return rollout.detail, None
        task_definition = ecs_ops.describe_task_definition(self.clients.ecs, arn)
        url = self.runtime.endpoint(self.ref, task_definition)
        self.progress(f"smoke testing {url}")
        report = run_smoke(url, version, self.smoke_config)
        if not report.passed:
            failed = [c for c in report.checks if not c.passed]
            return "smoke test failed: " + "; ".join(f"{c.name}: {c.detail}" for c in failed), report
        return None, report

    def _return_to(self, arn: str, version: str | None) -> str | None:
        ecs_ops.point_service(self.clients.ecs, self.ref, arn)
        rollout = ecs_ops.wait_for_rollout(
            self.clients.ecs, self.ref, arn, timeout_s=self.timeout_s, poll_s=self.poll_s
        )
        if rollout.state != ecs_ops.STEADY:
            return rollout.detail
        task_definition = ecs_ops.describe_task_definition(self.clients.ecs, arn)
        url = self.runtime.endpoint(self.ref, task_definition)
        if version is not None:
            report = run_smoke(url, version, self.smoke_config)
            if not report.passed:
                return "the previous release failed its smoke test too"
        return None

    def _record(
        self,
        action: str,
        *,
        image: Image,
        arn: str,
        outcome: str,
        duration: float,
        detail: str,
        rolled_back_to: str = "",
    ) -> Release:
        release = self.history.record(
            Release(
                id="",
                action=action,
                image=image.reference,
                version=image.tag,
                task_definition=arn,
                time=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                actor=self.actor,
                outcome=outcome,
                duration_s=round(duration, 3),
                detail=detail,
                rolled_back_to=rolled_back_to,
            )
        )
        if release.good:
            self.history.set_current(release)
        return release


def render(base: dict[str, str], config: dict[str, str], version: str) -> list[dict[str, str]]:
    """The `app` container's environment, sorted by name: Terraform's values and the environment's
    configuration (SSM, see envs/config.py), then APP_VERSION (the image tag)."""
    rendered = dict_of(render_environment(config, [{"name": k, "value": v} for k, v in base.items()]))
    rendered["APP_VERSION"] = version
    return [{"name": k, "value": rendered[k]} for k in sorted(rendered)]


def dict_of(environment: list[dict[str, str]]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in environment}


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]
