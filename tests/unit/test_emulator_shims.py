"""Each emulator shim: the gap it closes is shown on unpatched moto, then closed by the shim."""

from __future__ import annotations

import json

import pytest
from moto.iam.access_control import PermissionResult

from deployment_infra.emulator_shims import bucket_permission, condition_holds

TLS_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::state", "arn:aws:s3:::state/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)
DENY_ALWAYS_OVER_TLS = TLS_ONLY.replace('"false"', '"true"')


def test_unpatched_moto_denies_tls_requests_under_a_tls_only_policy() -> None:
    from moto.iam.access_control import IAMPolicy

    # the gap: moto ignores the condition, so even a TLS request is denied
    verdict = IAMPolicy(TLS_ONLY).is_action_permitted("s3:GetObject", "arn:aws:s3:::state/key")
    assert verdict == PermissionResult.DENIED


def test_shim_lets_tls_requests_through_a_tls_only_policy() -> None:
    assert bucket_permission(TLS_ONLY, "s3:GetObject", "arn:aws:s3:::state/key") == PermissionResult.NEUTRAL


def test_shim_still_denies_when_the_condition_holds() -> None:
    assert bucket_permission(DENY_ALWAYS_OVER_TLS, "s3:GetObject", "arn:aws:s3:::state/key") == (
        PermissionResult.DENIED
    )


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (None, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, False),
        ({"Bool": {"aws:SecureTransport": ["true"]}}, True),
        ({"StringEquals": {"aws:PrincipalOrgID": "o-123"}}, False),  # key absent: false
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-123"}}, True),  # absent + IfExists
        ({"StringNotEquals": {"aws:SecureTransport": "false"}}, True),
        ({"NumericLessThan": {"aws:SecureTransport": "1"}}, False),  # unsupported operator
    ],
)
def test_condition_evaluation(condition: dict | None, holds: bool) -> None:
    assert condition_holds(condition, {"aws:securetransport": "true"}) is holds


def test_sts_caller_identity_of_a_user_is_an_iam_arn() -> None:
    """AWS names an IAM user arn:aws:iam::<account>:user/<name>; moto said arn:aws:sts::..."""
    import boto3
    from moto import mock_aws

    from deployment_infra import emulator_shims_sts  # noqa: F401  (registers the shim)
    from deployment_infra.emulator_shims import SHIMS

    with mock_aws():
        sts = boto3.client(
            "sts", region_name="af-south-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        assert sts.get_caller_identity()["Arn"] == "arn:aws:sts::123456789012:user/moto"  # the gap
        SHIMS["sts-caller-identity-arn"]()
        assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/moto"
