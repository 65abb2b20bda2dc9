"""What the rotation Lambdas share: Secrets Manager's side of a rotation and the ECS roll after it.

Secrets Manager calls a rotation function four times per rotation (createSecret, setSecret,
testSecret, finishSecret) with the same ClientRequestToken: the id of the new secret version, which
it labels AWSPENDING before the first call. `run` makes the checks AWS's rotation templates make,
then calls the function's own createSecret, setSecret or testSecret; finishSecret is the same for
every kind: move AWSCURRENT to the token, then roll the ECS services in $RESTART_SERVICE_ARNS (a
JSON list of service ARNs) with a forced new deployment, so that new tasks read the new AWSCURRENT.

Each function passes its own logger, so that its log lines carry its name. Nothing here logs a
secret value.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PENDING = "AWSPENDING"
CURRENT = "AWSCURRENT"
PREVIOUS = "AWSPREVIOUS"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
RESTART_ENV = "RESTART_SERVICE_ARNS"
ENDPOINT_ENV = "SECRETS_MANAGER_ENDPOINT"

_SERVICE_ARN = re.compile(
    r"^arn:aws[a-z-]*:ecs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"service/(?P<cluster>[A-Za-z0-9_-]{1,255})/(?P<service>[A-Za-z0-9_-]{1,255})$"
)

# createSecret, setSecret or testSecret: (Secrets Manager client, secret ARN, token) -> None
Step = Callable[[Any, str, str], None]


class RotationError(Exception):
    """A step cannot go on; Secrets Manager records the failure and retries the step later."""


@dataclass(frozen=True)
class ServiceRef:
    """An ECS service to roll after the switch, from its ARN."""

    arn: str
    region: str
    cluster: str
    service: str


def run(event: Mapping[str, Any], steps: Mapping[str, Step], log: logging.Logger) -> None:
    """Validate the event and the token like AWS's templates, then run one step.

    `steps` holds createSecret, setSecret and testSecret; finishSecret is `finish_secret`. A token
    that is already AWSCURRENT needs nothing but finishSecret's idempotent roll.
    """
    try:
        arn, token, step = str(event["SecretId"]), str(event["ClientRequestToken"]), str(event["Step"])
    except KeyError as exc:
        raise RotationError(f"event has no {exc.args[0]}") from None
    if step not in STEPS:
        raise RotationError(f"unknown step {step!r}; expected one of {', '.join(STEPS)}")
    sm = secretsmanager_client()
    metadata = sm.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise RotationError(f"secret {arn} is not enabled for rotation")
    versions: dict[str, list[str]] = metadata.get("VersionIdsToStages", {})
    if token not in versions:
        raise RotationError(f"version {token} is not a version of secret {arn}: nothing to rotate")
    if CURRENT in versions[token] and step != "finishSecret":
        log.info("%s: version %s of %s is already AWSCURRENT: nothing to do", step, token, arn)
        return
    if CURRENT not in versions[token] and PENDING not in versions[token]:
        raise RotationError(f"version {token} of secret {arn} is not AWSPENDING: not rotating it")
    log.info("%s: secret %s, version %s", step, arn, token)
    if step == "finishSecret":
        finish_secret(sm, arn, token, versions, log)
    else:
        steps[step](sm, arn, token)


def finish_secret(
    sm: Any, arn: str, token: str, versions: Mapping[str, list[str]], log: logging.Logger
) -> None:
    """Move AWSCURRENT to the token, then roll the services that read the secret.

    Idempotent: Secrets Manager retries a failed finishSecret with the same token, which by then
    may already be AWSCURRENT; the services are rolled again (a forced deployment is harmless) so
    that a failed roll is not lost.
    """
    services = restart_targets()  # a bad setting fails before anything moves
    current = version_with(versions, CURRENT)
    if current != token:
        move: dict[str, str] = {"SecretId": arn, "VersionStage": CURRENT, "MoveToVersionId": token}
        if current is not None:
            move["RemoveFromVersionId"] = current
        sm.update_secret_version_stage(**move)
        log.info("finishSecret: AWSCURRENT moved from %s to %s", current, token)
    else:
        log.info("finishSecret: %s is already AWSCURRENT", token)
    if PENDING in versions.get(token, []):
        sm.update_secret_version_stage(SecretId=arn, VersionStage=PENDING, RemoveFromVersionId=token)
    roll_services(services, log)


def roll_services(services: list[ServiceRef], log: logging.Logger) -> None:
    """Force a new deployment of each service; try all, then raise if any failed."""
    clients: dict[str, Any] = {}
    failed: list[str] = []
    first_error: Exception | None = None
    for ref in services:
        if ref.region not in clients:
            clients[ref.region] = boto3_module().client("ecs", region_name=ref.region)
        try:
            clients[ref.region].update_service(
                cluster=ref.cluster, service=ref.service, forceNewDeployment=True
            )
        except Exception as exc:
            log.error("finishSecret: could not roll %s: %s", ref.arn, exc)
            failed.append(ref.arn)
            first_error = first_error or exc
            continue
        log.info("finishSecret: rolling %s (forced new deployment)", ref.arn)
    if failed:
        raise RotationError(
            f"could not roll {len(failed)} ECS service(s): {', '.join(failed)}; "
            "the new credentials are AWSCURRENT, Secrets Manager retries finishSecret"
        ) from first_error


def restart_targets() -> list[ServiceRef]:
    """The services in $RESTART_SERVICE_ARNS (unset or empty: none)."""
    raw = os.environ.get(RESTART_ENV, "").strip()
    if not raw:
        return []
    try:
        arns = json.loads(raw)
    except json.JSONDecodeError:
        raise RotationError(f"{RESTART_ENV} is not JSON: expected a list of ECS service ARNs") from None
    if not isinstance(arns, list):
        raise RotationError(f"{RESTART_ENV} must be a JSON list of ECS service ARNs")
    refs = []
    for arn in arns:
        match = _SERVICE_ARN.match(arn) if isinstance(arn, str) else None
        if not match:
            raise RotationError(
                f"{RESTART_ENV}: {arn!r} is not an ECS service ARN "
                "(arn:aws:ecs:<region>:<account>:service/<cluster>/<service>)"
            )
        refs.append(ServiceRef(arn, match["region"], match["cluster"], match["service"]))
    return refs


# --- secrets -------------------------------------------------------------------------------------


def secretsmanager_client() -> Any:
    """A client per invocation; $SECRETS_MANAGER_ENDPOINT points it elsewhere (a VPC endpoint, tests)."""
    return boto3_module().client("secretsmanager", endpoint_url=os.environ.get(ENDPOINT_ENV) or None)


def version_with(versions: Mapping[str, list[str]], stage: str) -> str | None:
    """The version that carries `stage` in DescribeSecret's VersionIdsToStages, if any."""
    return next((v for v, stages in versions.items() if stage in stages), None)


def get_secret_dict(sm: Any, secret_id: str, *, stage: str, version_id: str | None = None) -> dict[str, Any]:
    """A version's JSON as a dict (always by stage: AWSCURRENT is not the default version everywhere)."""
    kwargs = {"SecretId": secret_id, "VersionStage": stage}
    if version_id:
        kwargs["VersionId"] = version_id
    value = sm.get_secret_value(**kwargs).get("SecretString")
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise RotationError(f"{stage} of secret {secret_id} is not a JSON object")
    return parsed


def optional_secret_dict(sm: Any, arn: str, stage: str) -> dict[str, Any] | None:
    """A stage's JSON, or None when no version has the stage (or its value is not a JSON object)."""
    try:
        return get_secret_dict(sm, arn, stage=stage)
    except RotationError:
        return None
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


def pending_exists(sm: Any, arn: str, token: str) -> bool:
    """Has createSecret already stored a value for this token?"""
    try:
        sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":  # the version has no value yet
            return False
        raise
    return True


def error_code(exc: Exception) -> str | None:
    """The AWS error code of a botocore ClientError (duck-typed: botocore is imported lazily)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def boto3_module() -> Any:
    # imported on use: the Lambda runtime provides boto3; the zip and its import check do not need it
    import boto3

    return boto3
