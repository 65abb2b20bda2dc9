data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  vault_name    = "${var.name}-backup"
  selection_tag = coalesce(var.selection_tag, { key = "BackupPlan", value = var.name })

  # Decided from known values only (see create_kms_key and create_notifications): a count must be
  # known at plan time even when the key or topic is created in the same root.
  create_kms_key       = var.create_kms_key != null ? var.create_kms_key : var.kms_key_arn == null
  create_notifications = var.create_notifications != null ? var.create_notifications : var.notification_topic_arn != null
  kms_key_arn          = local.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn

  # The vault holds database backups, whatever the root's default DataClassification says.
  data_tags = { DataClassification = "personal" }

  # AWS keeps continuous (point-in-time) backups for at most 35 days.
  continuous_retention_days = min(var.retention_days, 35)

  recovery_point_tags = merge(var.tags, local.data_tags, {
    Environment = var.environment
    BackupPlan  = var.name
  })

  # BACKUP_JOB_COMPLETED carries the job's State (FAILED, ABORTED, EXPIRED, ...): AWS deprecated
  # BACKUP_JOB_FAILED and no longer sends it. Filter on State in the topic's subscription.
  vault_events = [
    "BACKUP_JOB_COMPLETED",
    "COPY_JOB_FAILED",
    "RESTORE_JOB_COMPLETED",
    "RECOVERY_POINT_MODIFIED",
    "S3_BACKUP_OBJECT_FAILED",
    "S3_RESTORE_OBJECT_FAILED",
  ]
}

################################################################################
# KMS key of the vault (only when none is given)
################################################################################

# The account root administers the key and IAM policies decide who uses it: AWS Backup uses it
# through grants it creates for the backup role (AWSBackupServiceRolePolicyForBackup allows that).
data "aws_iam_policy_document" "kms_key" {
  count = local.create_kms_key ? 1 : 0

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
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "Encrypts the recovery points in the ${local.vault_name} backup vault"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_key[0].json

  tags = merge(var.tags, local.data_tags, { Name = local.vault_name })
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${local.vault_name}"
  target_key_id = aws_kms_key.this[0].key_id
}

################################################################################
# Vault
################################################################################

resource "aws_backup_vault" "this" {
  name          = local.vault_name
  kms_key_arn   = local.kms_key_arn
  force_destroy = var.force_destroy

  tags = merge(var.tags, local.data_tags, { Name = local.vault_name })
}

# Governance: no ChangeableForDays, so the lock stays removable by those allowed to. Compliance:
# after changeable_for_days the lock is immutable.
resource "aws_backup_vault_lock_configuration" "this" {
  count = var.vault_lock != null ? 1 : 0

  backup_vault_name   = aws_backup_vault.this.name
  min_retention_days  = var.vault_lock.min_retention_days
  max_retention_days  = var.vault_lock.max_retention_days
  changeable_for_days = var.vault_lock.mode == "compliance" ? var.vault_lock.changeable_for_days : null
}

resource "aws_backup_vault_notifications" "this" {
  count = local.create_notifications ? 1 : 0

  backup_vault_name   = aws_backup_vault.this.name
  sns_topic_arn       = var.notification_topic_arn
  backup_vault_events = local.vault_events
}

################################################################################
# Plan
################################################################################

resource "aws_backup_plan" "this" {
  name = var.name

  rule {
    rule_name                = "daily"
    target_vault_name        = aws_backup_vault.this.name
    schedule                 = var.daily_schedule
    start_window             = 60
    completion_window        = 360
    enable_continuous_backup = false
    recovery_point_tags      = local.recovery_point_tags

    lifecycle {
      delete_after = var.retention_days
    }

    dynamic "copy_action" {
      for_each = var.copy_destinations

      content {
        destination_vault_arn = copy_action.value.vault_arn

        lifecycle {
          delete_after = copy_action.value.retention_days
        }
      }
    }
  }

  dynamic "rule" {
    for_each = var.continuous_backup ? ["continuous"] : []

    content {
      rule_name                = rule.value
      target_vault_name        = aws_backup_vault.this.name
      schedule                 = var.daily_schedule
      start_window             = 60
      completion_window        = 360
      enable_continuous_backup = true
      recovery_point_tags      = local.recovery_point_tags

      lifecycle {
        delete_after = local.continuous_retention_days
      }
    }
  }

  tags = var.tags
}

################################################################################
# Selection by tag and the role AWS Backup uses
################################################################################

data "aws_iam_policy_document" "assume_backup" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["backup.amazonaws.com"]
    }

    # Only this account's AWS Backup may use the role (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-backup"
  description        = "Role AWS Backup uses to back up and restore the resources tagged ${local.selection_tag.key}=${local.selection_tag.value}"
  assume_role_policy = data.aws_iam_policy_document.assume_backup.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = toset(["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"])

  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/${each.key}"
}

resource "aws_backup_selection" "this" {
  name         = "${var.name}-tagged"
  plan_id      = aws_backup_plan.this.id
  iam_role_arn = aws_iam_role.this.arn

  selection_tag {
    type  = "STRINGEQUALS"
    key   = local.selection_tag.key
    value = local.selection_tag.value
  }

  # AWS Backup checks the role's permissions when a job starts; attach them first.
  depends_on = [aws_iam_role_policy_attachment.this]
}
