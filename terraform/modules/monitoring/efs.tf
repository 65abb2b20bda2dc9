################################################################################
# File system: Prometheus's TSDB, Alertmanager's silences and Grafana's database survive tasks
################################################################################

resource "aws_efs_file_system" "this" {
  #checkov:skip=CKV2_AWS_18: backed up by the dr module's plan through tag selection: every environment root gives this module the BackupPlan tag (monitoring.tf), which checkov cannot follow
  creation_token   = var.name
  encrypted        = true
  kms_key_id       = var.kms_key_arn
  performance_mode = "generalPurpose"
  # Elastic throughput follows Prometheus's compactions without a burst-credit budget to run out.
  throughput_mode = "elastic"

  # Old TSDB blocks are read rarely (long-range queries): IA storage, back on first access.
  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  lifecycle_policy {
    transition_to_primary_storage_class = "AFTER_1_ACCESS"
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_security_group" "efs" {
  name        = "${var.name}-efs"
  description = "File system of ${var.name}: NFS in from the monitoring tasks only, no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-efs" })
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_tasks" {
  security_group_id            = aws_security_group.efs.id
  description                  = "NFS from the monitoring tasks only"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.this.id

  tags = merge(var.tags, { Name = "${var.name}-efs-in-tasks" })
}

# Keyed by position: subnet IDs usually come from a VPC created in the same apply (unknown at
# plan time), their count does not.
resource "aws_efs_mount_target" "this" {
  for_each = { for i, id in var.private_subnet_ids : tostring(i) => id }

  file_system_id  = aws_efs_file_system.this.id
  subnet_id       = each.value
  security_groups = [aws_security_group.efs.id]
}

# Each service sees only its own directory, as its image's user, whatever the container runs as.
resource "aws_efs_access_point" "this" {
  for_each = local.services

  file_system_id = aws_efs_file_system.this.id

  posix_user {
    uid = each.value.uid
    gid = each.value.uid
  }

  root_directory {
    path = "/${each.key}"

    creation_info {
      owner_uid   = each.value.uid
      owner_gid   = each.value.uid
      permissions = "0750"
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

data "aws_iam_policy_document" "efs" {
  # Only the monitoring tasks, only through a mount target and one of the access points.
  statement {
    sid       = "TasksMountThroughAccessPoints"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.this.arn]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.task.arn]
    }

    condition {
      test     = "Bool"
      variable = "elasticfilesystem:AccessedViaMountTarget"
      values   = ["true"]
    }

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [for ap in aws_efs_access_point.this : ap.arn]
    }
  }

  statement {
    sid       = "DenyUnencryptedTransport"
    effect    = "Deny"
    actions   = ["*"]
    resources = [aws_efs_file_system.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_efs_file_system_policy" "this" {
  file_system_id = aws_efs_file_system.this.id
  policy         = data.aws_iam_policy_document.efs.json
}
