"""AWS API failures in terraform's output become one line naming the resource, call and attempts.

The outputs are what terraform 1.11 with hashicorp/aws 5.100 printed against the emulator with
injected faults (tests/drills/test_aws_fault_drills.py produces them live).
"""

from __future__ import annotations

import pytest

from deployment_infra import terraform as tf
from deployment_infra.aws_errors import describe_terraform_aws_error

UNAVAILABLE = """
aws_ssm_parameter.this: Modifying... [id=/drill/x]

Error: updating SSM Parameter (/drill/x): operation error SSM: PutParameter, exceeded maximum number \
of attempts, 2, https response error StatusCode: 503, RequestID: 8e39192c-b62f-4a63-bacc-a25b79fb6fac, \
api error ServiceUnavailable: injected by the emulator's fault drill

  with aws_ssm_parameter.this,
  on main.tf line 14, in resource "aws_ssm_parameter" "this":
  14: resource "aws_ssm_parameter" "this" {

"""

THROTTLED_IN_MODULE = """
│ Error: creating IAM Role (drill): operation error IAM: CreateRole, exceeded maximum number of \
attempts, 2, https response error StatusCode: 400, RequestID: da7b, api error Throttling: Rate exceeded
│
│   with module.task["api worker"].aws_iam_role.this,
│   on ../../modules/task/main.tf line 20, in resource "aws_iam_role" "this":
"""

# A plugin-framework resource: the summary names the action, the SDK error is the detail paragraph
# after the source excerpt (terraform -no-color).
FRAMEWORK_DETAIL = """
Error: creating VPC Security Group Rule

  with module.service.aws_vpc_security_group_ingress_rule.alb["80-0.0.0.0/0"],
  on ../../modules/ecs/alb.tf line 22, in resource "aws_vpc_security_group_ingress_rule" "alb":
  22: resource "aws_vpc_security_group_ingress_rule" "alb" {

operation error EC2: AuthorizeSecurityGroupIngress, https response error StatusCode: 400, RequestID: \
7f1c, api error InvalidPermission.Duplicate: the specified rule already exists
"""

NOT_RETRIED = """
Error: reading VPC: operation error EC2: DescribeVpcs, https response error StatusCode: 400, \
RequestID: 1, api error InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist
"""


@pytest.mark.parametrize(
    ("output", "line"),
    [
        (
            UNAVAILABLE,
            "aws_ssm_parameter.this: updating SSM Parameter (/drill/x): AWS SSM PutParameter failed after "
            "2 attempts: ServiceUnavailable: injected by the emulator's fault drill",
        ),
        (
            THROTTLED_IN_MODULE,
            'module.task["api worker"].aws_iam_role.this: creating IAM Role (drill): AWS IAM CreateRole '
            "throttled after 2 attempts: Throttling: Rate exceeded",
        ),
        (
            FRAMEWORK_DETAIL,
            'module.service.aws_vpc_security_group_ingress_rule.alb["80-0.0.0.0/0"]: creating VPC Security '
            "Group Rule: AWS EC2 AuthorizeSecurityGroupIngress failed: InvalidPermission.Duplicate: "
            "the specified rule already exists",
        ),
        (
            NOT_RETRIED,
            "reading VPC: AWS EC2 DescribeVpcs failed: InvalidVpcID.NotFound: "
            "The vpc ID 'vpc-1' does not exist",
        ),
    ],
)
def test_aws_api_errors_of_the_provider(output: str, line: str) -> None:
    assert describe_terraform_aws_error(output) == line
    err = tf.classify_failure("apply", tf.Result(1, "", output), "environment dev")
    assert str(err) == f"terraform apply on environment dev failed: {line}"


@pytest.mark.parametrize(
    "output",
    [
        "Error: creating S3 Bucket (x): BucketAlreadyExists\n\n  with aws_s3_bucket.this,\n",
        "Error: Invalid reference\n\nA reference to a resource type must be followed by ...",
        "no error at all",
    ],
)
def test_other_errors_keep_the_generic_summary(output: str) -> None:
    assert describe_terraform_aws_error(output) is None


# A configuration error: no resource, the detail follows the excerpt and its values block.
INVALID_VALUE = """
│ Error: Invalid value for variable
│
│   on main.tf line 3:
│    3:   count = var.n
│     ├────────────────
│     │ var.n is -1
│
│ n must be at least 0.
╵
"""


@pytest.mark.parametrize(
    ("stderr", "stdout", "line"),
    [
        (INVALID_VALUE, "", "Invalid value for variable: n must be at least 0."),
        # stdout's progress after the diagnostic is not its detail
        (
            "Error: creating S3 Bucket (x): BucketAlreadyExists\n",
            "aws_s3_bucket.this: Creating...\n",
            "creating S3 Bucket (x): BucketAlreadyExists",
        ),
        (
            "",
            "Error: Saved plan is for a different state\n\nPlan again.\n",
            "Saved plan is for a different state: Plan again.",
        ),
    ],
)
def test_generic_errors_keep_summary_detail_and_nothing_else(stderr: str, stdout: str, line: str) -> None:
    err = tf.classify_failure("apply", tf.Result(1, stdout, stderr), "environment dev")
    assert str(err) == f"terraform apply on environment dev failed: {line}"
