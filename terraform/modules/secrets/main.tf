data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  secret_name_prefix = "/${var.project}/${var.environment}"

  # Entries by how their value is written (see secrets.tf). Keys and kinds are literals in the
  # caller's configuration, so these maps have known keys even when json_fields are unknown.
  generated_secrets    = { for k, s in var.secrets : k => s if s.kind == "generated" }
  static_json_secrets  = { for k, s in var.secrets : k => s if s.kind == "json" && s.rotation == null }
  rotated_json_secrets = { for k, s in var.secrets : k => s if s.kind == "json" && s.rotation != null }

  # One rotation Lambda (with its role, security group and log group) per rotation kind in use;
  # "postgres" is the only kind, so this is {"postgres"} or empty.
  rotation_kinds = toset([for s in values(local.rotated_json_secrets) : s.rotation])

  rotation_function_names = { for kind in local.rotation_kinds : kind => "${var.name}-rotate-${kind}" }

  # What each kind's Lambda connects to, and how long one step may take: a ROTATE of an
  # ElastiCache token is applied by ElastiCache in minutes, and setSecret waits for it.
  rotation_ports    = { postgres = var.database_port, redis_auth = var.cache_port }
  rotation_timeouts = { postgres = 60, redis_auth = 900 }
  rotation_replication_group_arns = [
    for s in values(local.rotated_json_secrets) :
    "arn:${local.partition}:elasticache:${local.region}:${local.account_id}:replicationgroup:${s.json_fields["replication_group_id"]}"
    if s.rotation == "redis_auth"
  ]
  rotation_log_group_arns = {
    for kind, fn in local.rotation_function_names :
    kind => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${fn}"
  }

  # Built from the role name (the role has no path) rather than read from aws_iam_role, so that
  # the secrets' resource policies are known at plan time and the policy gate can check them.
  rotation_role_arns = {
    for kind, fn in local.rotation_function_names :
    kind => "arn:${local.partition}:iam::${local.account_id}:role/${fn}"
  }

  # Who may read secret values: the environment's readers and deployers, plus, on rotated
  # secrets only, the rotation Lambda. Readers and deployers may be unknown until apply.
  secret_readers = {
    for k, s in var.secrets : k => concat(
      distinct(concat(coalesce(s.readers, var.reader_role_arns), var.admin_role_arns)),
      s.rotation == null ? [] : [local.rotation_role_arns[s.rotation]],
    )
  }
}

################################################################################
# KMS key of the environment
################################################################################

# The account root administers the key and IAM policies decide who uses it. Besides Secrets
# Manager, RDS (storage, Performance Insights, the managed master user secret) and ElastiCache
# (at rest) use this key: they do so through grants they create on behalf of the identity that
# creates the database or cache, which needs kms:CreateGrant etc. from its IAM policy. The root
# statement delegates exactly that to IAM, so those services need no statement of their own.
data "aws_iam_policy_document" "kms_key" {
  #checkov:skip=CKV_AWS_109: a key policy must give the account root kms:* (AWS's default statement) so IAM policies can grant use and the key never becomes unmanageable
  #checkov:skip=CKV_AWS_111: a key policy governs only its own key and AWS requires resources = "*"; write access goes to the account root, and IAM policies decide who uses the key
  #checkov:skip=CKV_AWS_356: "*" in a key policy means this key (AWS requires it); the principals are the account root and condition-bound service principals, never "*"
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts log groups (the rotation Lambda's among them) with the key, but
  # only for log groups of this account and region.
  statement {
    sid = "CloudWatchLogsUsesForLogGroups"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  # CloudWatch alarms, AWS Backup and AWS Budgets publish to the environment's encrypted SNS
  # topics (the monitoring alarm topic, the cost module's budget alerts); SNS needs them to be
  # able to use the key, for this account only.
  statement {
    sid       = "ServicesPublishToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "backup.amazonaws.com", "budgets.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts the secrets, databases, caches and logs of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms_key.json

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
