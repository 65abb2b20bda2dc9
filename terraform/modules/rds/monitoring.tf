################################################################################
# Exported logs
################################################################################

# One group per instance and exported log. The key must allow CloudWatch Logs in this region
# to use it (see README).
resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_groups

  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days: statement and connection logs name users and client addresses, kept no longer than each environment needs (NDPA data minimisation)

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  # Statement and connection logs name users and client addresses and may quote data.
  tags = merge(var.tags, local.data_tags, { Name = each.value })
}

################################################################################
# Enhanced monitoring role (only with monitoring_interval > 0)
################################################################################

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }

    # Confused-deputy guard: only RDS acting for this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = var.monitoring_interval > 0 ? toset(["enhanced-monitoring"]) : toset([])

  name               = "${var.identifier}-monitoring"
  description        = "Lets RDS publish enhanced monitoring (OS metrics) of ${var.identifier} to CloudWatch Logs"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json

  tags = merge(var.tags, { Name = "${var.identifier}-monitoring" })
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = aws_iam_role.this

  role       = each.value.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}
