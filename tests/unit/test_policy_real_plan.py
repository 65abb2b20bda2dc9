"""The gate on a real plan: `terraform show -json` from terraform 1.11.4 with hashicorp/aws 5.100.

The configuration behind tests/fixtures/plans/tf111-mixed.json: root provider `aws` with
region = var.region (af-south-1) and default_tags carrying every required tag; `aws.eu`
(eu-west-1, no default_tags). Resources, and what each one exercises:
- s3 buckets: logs (SSE referencing it), data (for_each; SSE for_each = aws_s3_bucket.data),
  raw (count 2; SSE count 1 with [count.index]), pinned (count 2; one SSE on pinned[1]);
- dynamodb tables encrypted / plain; log groups encrypted (kms key known after apply) / plain;
- sqs queue on aws.eu tagged public; sns topic tagged DataClassification = "top-secret";
- iam role with Owner = "" (tags_all unknown in the plan); terraform_data (no region);
- module.eu_store["k"] (providers = { aws = aws.eu }): a bucket with its SSE, untagged;
- module.own: its own provider with region = var.r (not resolvable from the plan);
- module.inherit.module.inner: a bucket without SSE, on a provider inherited through a module
  that does not declare required_providers (terraform writes an empty provider entry for it).
"""

from __future__ import annotations

from pathlib import Path

from deployment_infra.policy import PolicyContext, check_plan, load_plan_file

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "tf111-mixed.json"

# infra.toml's policy: every class in af-south-1 only.
CTX = PolicyContext(
    allowed_regions={
        name: frozenset({"af-south-1"}) for name in ("public", "internal", "personal", "sensitive-personal")
    },
    required_tags=("Project", "Environment", "ManagedBy", "Owner", "DataClassification"),
)

EXPECTED = {
    ("ENC-001", "aws_s3_bucket.pinned[0]"),
    ("ENC-001", "aws_s3_bucket.raw[1]"),
    ("ENC-001", "module.inherit.module.inner.aws_s3_bucket.open"),
    ("ENC-002", "aws_dynamodb_table.plain"),
    ("ENC-003", "aws_cloudwatch_log_group.plain"),
    ("RES-001", "aws_sns_topic.secret"),
    ("RES-001", "aws_sqs_queue.eu"),
    ("RES-001", 'module.eu_store["k"].aws_s3_bucket.this'),
    ("RES-001", 'module.eu_store["k"].aws_s3_bucket_server_side_encryption_configuration.this'),
    ("RES-002", "module.inherit.module.inner.aws_s3_bucket.open"),
    ("RES-002", "module.own.aws_sqs_queue.q"),
    # personal buckets in af-south-1, and CTX has an empty transfer register
    ("RES-004", 'aws_s3_bucket.data["a"]'),
    ("RES-004", 'aws_s3_bucket.data["b"]'),
    # a data store with no DataClassification at all (module on a provider without default_tags)
    ("RES-003", 'module.eu_store["k"].aws_s3_bucket.this'),
    ("TAG-001", "aws_iam_role.app"),
    ("TAG-001", "aws_sqs_queue.eu"),
    ("TAG-001", 'module.eu_store["k"].aws_s3_bucket.this'),
    ("TAG-001", "module.own.aws_sqs_queue.q"),
}


def test_real_plan_violations() -> None:
    violations = check_plan(load_plan_file(FIXTURE), CTX)
    assert {(v.check_id, v.address) for v in violations} == EXPECTED
    assert len(violations) == len(EXPECTED)
    assert violations == sorted(violations)


def test_real_plan_messages() -> None:
    messages = {(v.check_id, v.address): v.message for v in check_plan(load_plan_file(FIXTURE), CTX)}
    assert messages[("RES-001", "aws_sqs_queue.eu")] == (
        "aws_sqs_queue.eu is in eu-west-1, but data class 'public' is allowed only in af-south-1"
    )
    assert messages[("TAG-001", "aws_iam_role.app")].startswith(
        "aws_iam_role.app: required tags missing or empty: Owner"
    )
    assert "var.r" in messages[("RES-002", "module.own.aws_sqs_queue.q")]
