"""Release history kept in AWS (SSM Parameter Store), so any machine and any CI run sees the same one.

Each release is one parameter "<prefix>/releases/<id>" holding JSON; ids are "r" + 6 digits, allocated in
order with `Overwrite=False`, so two concurrent deploys can never take the same id. The ecs module's release
parameter ("current") points at the release the service runs. Terraform never writes either after creation
(ADR 0002), so an apply cannot revert a deploy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from deployment_infra.deploy.service import ServiceRef
from deployment_infra.errors import InfraError, UsageError

SUCCEEDED = "succeeded"
FAILED = "failed"  # did not reach steady state or failed its smoke test, and was rolled back
OUTCOMES = (SUCCEEDED, FAILED)
ACTIONS = ("deploy", "rollback")
RELEASE_ID = re.compile(r"^r[0-9]{6}\Z")
_ID_ATTEMPTS = 20


@dataclass(frozen=True)
class Release:
    """One deploy or rollback of an environment's service."""

    id: str
    action: str  # deploy | rollback
    image: str
    version: str
    task_definition: str
    time: str  # UTC, ISO 8601
    actor: str
    outcome: str  # succeeded | failed
    duration_s: float = 0.0
    detail: str = ""
    rolled_back_to: str = ""  # for a failed release: the task definition the service went back to

    @property
    def good(self) -> bool:
        return self.outcome == SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, text: str) -> Release:
        data = json.loads(text)
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)


def parse_release_id(text: str) -> str:
    """A release id as the operator typed it ("r000007" or "7"), or UsageError."""
    value = text.strip()
    # at most six ASCII digits: "²" is a digit to str.isdigit() but not to int(), and int() refuses
    # strings of more than 4300 digits
    if len(value) <= 6 and value.isascii() and value.isdigit() and int(value) > 0:
        return f"r{int(value):06d}"
    if RELEASE_ID.match(value):
        return value
    raise UsageError(f"release {text!r} is not a release id such as r000007 (see infra releases)")


class ReleaseHistory:
    """The releases of one environment's service, in SSM."""

    def __init__(self, ssm: Any, ref: ServiceRef) -> None:
        self.ssm = ssm
        self.ref = ref
        self.path = f"{ref.parameter_prefix}/releases"

    def list(self) -> list[Release]:
        """All releases, oldest first."""
        found: list[Release] = []
        for page in self.ssm.get_paginator("get_parameters_by_path").paginate(
            Path=self.path, Recursive=False
        ):
            for parameter in page.get("Parameters", []):
                try:
                    found.append(Release.from_json(parameter["Value"]))
                except (ValueError, TypeError, KeyError) as exc:
                    raise InfraError(f"release record {parameter['Name']} is unreadable: {exc}") from exc
        return sorted(found, key=lambda r: r.id)

    def get(self, release_id: str) -> Release:
        for release in self.list():
            if release.id == release_id:
                return release
        raise UsageError(f"{self.ref.environment} has no release {release_id}: see infra releases")

    def record(self, release: Release) -> Release:
        """Store `release` under the next free id (the id it carries is ignored); returns it with its id."""
        existing = [r.id for r in self.list()]
        number = int(max(existing)[1:]) if existing else 0
        for _ in range(_ID_ATTEMPTS):
            number += 1
            stored = replace(release, id=f"r{number:06d}")
            try:
                self.ssm.put_parameter(
                    Name=f"{self.path}/{stored.id}",
                    Value=json.dumps(stored.to_dict(), sort_keys=True),
                    Type="String",
                    Overwrite=False,
                    Description=f"{stored.action} of {stored.image}: {stored.outcome}",
                )
                return stored
            except self.ssm.exceptions.ParameterAlreadyExists:
                continue  # a concurrent deploy took this id; take the next one
        raise InfraError(f"could not allocate a release id under {self.path} after {_ID_ATTEMPTS} attempts")

    def set_current(self, release: Release) -> None:
        """Point the environment's release parameter (created by the ecs module) at `release`."""
        value = {"image": release.image, "task_definition": release.task_definition, "release": release.id}
        self.ssm.put_parameter(
            Name=self.ref.release_parameter,
            Value=json.dumps(value, sort_keys=True),
            Type="String",
            Overwrite=True,
        )

    def current_id(self) -> str | None:
        try:
            value = self.ssm.get_parameter(Name=self.ref.release_parameter)["Parameter"]["Value"]
        except self.ssm.exceptions.ParameterNotFound:
            return None
        try:
            release_id = json.loads(value).get("release")
        except (ValueError, AttributeError):
            return None
        return release_id if isinstance(release_id, str) else None


def last_good(releases: Iterable[Release]) -> Release | None:
    """The newest release that succeeded: what the service must run after any failure."""
    good = [r for r in releases if r.good]
    return good[-1] if good else None


def rollback_target(releases: list[Release], running_task_definition: str) -> Release | None:
    """The newest good release that runs something other than what the service runs now."""
    for release in reversed(releases):
        if release.good and release.task_definition != running_task_definition:
            return release
    return None
