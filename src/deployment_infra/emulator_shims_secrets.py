"""Secrets Manager shim for moto: rotation with a Lambda is recorded, never executed.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. The shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_data.py.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from deployment_infra.emulator_shims import shim

LOG = logging.getLogger("deployment_infra.emulator")
MIN_ROTATION_DAYS, MAX_ROTATION_DAYS = 1, 1000


@dataclass(frozen=True)
class RotationRequest:
    """A RotateSecret call the emulator accepted but could not run (it has no Lambda runtime)."""

    client_request_token: str
    rotate_immediately: bool
    requested_at: float


def rotation_requests(secret: Any) -> list[RotationRequest]:
    """The rotations requested for a (moto) secret, oldest first."""
    requests: list[RotationRequest] | None = getattr(secret, "infra_rotation_requests", None)
    if requests is None:
        requests = []
        secret.infra_rotation_requests = requests
    return requests


# -- secretsmanager-rotation-not-executed ------------------------------------------------------
# AWS: RotateSecret with a rotation Lambda records the configuration (RotationEnabled,
# RotationLambdaARN, RotationRules, NextRotationDate) and invokes the Lambda asynchronously; the
# Lambda's steps add the AWSPENDING version and finally move AWSCURRENT; LastRotatedDate is set
# when that succeeds. moto 5 tried to run the Lambda in Docker (absent here: four failed
# invocations), then pointed the secret's default version at an empty AWSPENDING version and set
# LastRotatedDate: a faked rotation after which GetSecretValue without a stage failed. The
# emulator has no Lambda runtime, so the rotation is recorded as requested and not executed.


@shim("secretsmanager-rotation-not-executed")
def _secretsmanager_rotation_not_executed() -> None:
    from moto.awslambda.utils import get_backend
    from moto.secretsmanager.exceptions import (
        InvalidParameterException,
        InvalidRequestException,
        ResourceNotFoundException,
        SecretNotFoundException,
    )
    from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend

    original_rotate = SecretsManagerBackend.rotate_secret

    def rotate_secret(
        self: Any,
        secret_id: str,
        *,
        client_request_token: str | None = None,
        rotation_lambda_arn: str | None = None,
        rotation_rules: dict[str, Any] | None = None,
        rotate_immediately: bool = True,
    ) -> str:
        if not self._is_valid_identifier(secret_id):
            raise SecretNotFoundException()
        secret = self.secrets[secret_id]
        lambda_arn = rotation_lambda_arn or getattr(secret, "rotation_lambda_arn", None)
        if not isinstance(secret, FakeSecret) or not lambda_arn:
            # replicas and service-managed rotation (no Lambda): moto's own behaviour
            return str(
                original_rotate(
                    self,
                    secret_id,
                    client_request_token=client_request_token,
                    rotation_rules=rotation_rules,
                    rotate_immediately=rotate_immediately,
                )
            )
        if secret.is_deleted():
            raise InvalidRequestException(
                "You can't perform this operation on a secret that's marked for deletion."
            )
        days = (rotation_rules or {}).get("AutomaticallyAfterDays")
        if days is not None and not MIN_ROTATION_DAYS <= int(days) <= MAX_ROTATION_DAYS:
            raise InvalidParameterException("RotationRules.AutomaticallyAfterDays must be within 1-1000.")
        try:
            get_backend(self.account_id, self.region_name).get_function(lambda_arn)
        except Exception:  # moto raises its own not-found types
            raise ResourceNotFoundException(f"Resource not found for ARN '{lambda_arn}'.") from None
        token = client_request_token or str(uuid.uuid4())
        secret.rotation_lambda_arn = lambda_arn
        if days is not None:
            secret.auto_rotate_after_days = int(days)
            secret.next_rotation_date = int(time.time()) + int(days) * 86400
        secret.rotation_requested = True
        secret.rotation_enabled = True
        rotation_requests(secret).append(RotationRequest(token, rotate_immediately, time.time()))
        LOG.warning(
            "RotateSecret %s (token %s, immediately=%s) recorded, not executed: no Lambda runtime here",
            secret.name,
            token,
            rotate_immediately,
        )
        return json.dumps({"ARN": secret.arn, "Name": secret.name, "VersionId": token})

    cls: Any = SecretsManagerBackend
    cls.rotate_secret = rotate_secret
