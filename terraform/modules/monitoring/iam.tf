################################################################################
# Trust shared by the task roles
################################################################################

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Confused-deputy guard: only ECS acting for this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

################################################################################
# Execution role: ECS writes the logs and injects exactly the three secrets
################################################################################

# The images come from public registries (quay.io, docker.io), so no ECR permission.
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = flatten([for arn in values(local.log_group_arns) : [arn, "${arn}:*"]])
  }

  statement {
    sid       = "ReadSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.pagerduty_secret_arn, var.slack_secret_arn, var.grafana_admin_secret_arn]
  }

  # Only through Secrets Manager in this region, i.e. to open the secrets above.
  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = local.execution_role_name
  description        = "Lets ECS write the logs and read the alerting and Grafana secrets of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = merge(var.tags, { Name = local.execution_role_name })
}

resource "aws_iam_role_policy" "execution" {
  name   = "ecs-task-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

################################################################################
# Task role: mount and write the file system through the access points
################################################################################

# One role for the three services: they share the file system (each through its own access
# point) and need no other AWS call. Prometheus finds its targets by DNS SRV, which needs no
# servicediscovery:Discover* permission.
data "aws_iam_policy_document" "task" {
  statement {
    sid       = "MountThroughAccessPoints"
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.this.arn]

    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [for ap in aws_efs_access_point.this : ap.arn]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = local.task_role_name
  description        = "Identity of the Prometheus, Alertmanager and Grafana tasks of ${var.name}: their file system only"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = merge(var.tags, { Name = local.task_role_name })
}

resource "aws_iam_role_policy" "task" {
  name   = "efs-access-points"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}
