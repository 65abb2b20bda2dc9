"""STS shim: the caller identity of the emulator's default credentials."""

from __future__ import annotations

from deployment_infra.emulator_shims import shim

# -- sts-caller-identity-arn -------------------------------------------------------------------
# For an IAM user AWS answers GetCallerIdentity with arn:aws:iam::<account>:user/<name>. moto's
# fallback for credentials it did not issue (the emulator's "test" keys) says
# arn:aws:sts::<account>:user/moto, an ARN AWS never produces; modules that validate principal
# ARNs (the deployer admitted to read its secrets back) rightly refuse it.


@shim("sts-caller-identity-arn")
def _sts_caller_identity_arn() -> None:
    from moto.sts.models import STSBackend

    original = STSBackend.get_caller_identity

    def get_caller_identity(self: STSBackend, access_key_id: str, region: str) -> tuple[str, str, str]:
        user_id, arn, account_id = original(self, access_key_id, region)
        prefix, _, rest = arn.partition(":sts::")
        if rest and rest.split(":", 1)[-1].startswith("user/"):
            arn = f"{prefix}:iam::{rest}"
        return user_id, arn, account_id

    STSBackend.get_caller_identity = get_caller_identity  # type: ignore[method-assign]
