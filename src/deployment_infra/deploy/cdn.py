"""CloudFront invalidations: validate paths, create one, wait for it. Used by `infra cdn` and deploys."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from deployment_infra.errors import InfraError, UsageError

MAX_PATHS = 3000  # CloudFront's limit of paths in progress per distribution (wildcards: 15)
MAX_WILDCARD_PATHS = 15
MAX_PATH_LENGTH = 4000


@dataclass(frozen=True)
class Invalidation:
    """A created (or polled) invalidation."""

    distribution_id: str
    invalidation_id: str
    status: str  # "InProgress" or "Completed"
    paths: tuple[str, ...]
    caller_reference: str

    @property
    def completed(self) -> bool:
        return self.status.lower() == "completed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "distribution_id": self.distribution_id,
            "invalidation_id": self.invalidation_id,
            "status": self.status,
            "paths": list(self.paths),
            "caller_reference": self.caller_reference,
        }


def validate_paths(paths: Sequence[str]) -> list[str]:
    """The paths, de-duplicated in order, or UsageError naming the first bad one."""
    if not paths:
        raise UsageError("no paths to invalidate: give at least one path such as /index.html")
    unique = list(dict.fromkeys(paths))
    if len(unique) > MAX_PATHS:
        raise UsageError(f"{len(unique)} paths: CloudFront accepts at most {MAX_PATHS} per invalidation")
    wildcards = [p for p in unique if "*" in p]
    if len(wildcards) > MAX_WILDCARD_PATHS:
        raise UsageError(f"{len(wildcards)} wildcard paths: CloudFront accepts at most {MAX_WILDCARD_PATHS}")
    for path in unique:
        if not path.startswith("/"):
            raise UsageError(f"path {path!r} must start with '/'")
        if len(path) > MAX_PATH_LENGTH:
            raise UsageError(f"path {path[:40]!r}... is longer than {MAX_PATH_LENGTH} characters")
        if any(not c.isprintable() or c.isspace() for c in path):
            raise UsageError(f"path {path!r} has a space or an unprintable character (URL-encode it)")
        if "*" in path and not path.endswith("*"):
            raise UsageError(f"path {path!r}: '*' is allowed only at the end of a path")
    return unique


def _from_response(distribution_id: str, inv: dict[str, Any]) -> Invalidation:
    batch = inv.get("InvalidationBatch", {})
    return Invalidation(
        distribution_id=distribution_id,
        invalidation_id=str(inv["Id"]),
        status=str(inv["Status"]),
        paths=tuple(batch.get("Paths", {}).get("Items", []) or []),
        caller_reference=str(batch.get("CallerReference", "")),
    )


def invalidate(
    client: Any, distribution_id: str, paths: Sequence[str], caller_reference: str
) -> Invalidation:
    """Create an invalidation of `paths` on the distribution (a boto3 CloudFront client).

    `caller_reference` makes retries idempotent: the same reference and paths return the same
    invalidation instead of a second one.
    """
    from botocore.exceptions import ClientError

    valid = validate_paths(paths)
    try:
        response = client.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(valid), "Items": valid},
                "CallerReference": caller_reference,
            },
        )
    except ClientError as exc:
        raise InfraError(f"invalidation of {distribution_id} failed: {_reason(exc)}") from None
    return _from_response(distribution_id, response["Invalidation"])


def status(client: Any, invalidation: Invalidation) -> Invalidation:
    """The invalidation as CloudFront reports it now."""
    from botocore.exceptions import ClientError

    try:
        response = client.get_invalidation(
            DistributionId=invalidation.distribution_id, Id=invalidation.invalidation_id
        )
    except ClientError as exc:
        raise InfraError(f"cannot read invalidation {invalidation.invalidation_id}: {_reason(exc)}") from None
    return _from_response(invalidation.distribution_id, response["Invalidation"])


def wait(
    client: Any,
    invalidation: Invalidation,
    *,
    timeout_s: float = 900.0,
    interval_s: float = 10.0,
    on_poll: Callable[[Invalidation, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Invalidation:
    """Poll GetInvalidation until Completed; InfraError after `timeout_s`."""
    started = time.monotonic()
    current = invalidation
    while not current.completed:
        elapsed = time.monotonic() - started
        if elapsed >= timeout_s:
            raise InfraError(
                f"invalidation {current.invalidation_id} still {current.status} after {timeout_s:.0f}s"
            )
        if on_poll:
            on_poll(current, elapsed)
        sleep(interval_s)
        current = status(client, current)
    return current


def _reason(exc: Any) -> str:
    error = exc.response.get("Error", {})
    return f"{error.get('Code', 'error')}: {error.get('Message', str(exc))}"


def find_distribution(client: Any, project: str, environment: str) -> str | None:
    """The id of the distribution tagged Project=`project`, Environment=`environment`, if any."""
    for page in client.get_paginator("list_distributions").paginate():
        for item in page.get("DistributionList", {}).get("Items", []) or []:
            tags = client.list_tags_for_resource(Resource=item["ARN"]).get("Tags", {}).get("Items", [])
            found = {t["Key"]: t.get("Value", "") for t in tags}
            if found.get("Project") == project and found.get("Environment") == environment:
                return str(item["Id"])
    return None
