################################################################################
# Trust shared by both roles
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
# Execution role: used by ECS itself to pull the image, write logs and fetch secrets
################################################################################

data "aws_iam_policy_document" "execution" {
  #checkov:skip=CKV_AWS_356: ecr:GetAuthorizationToken takes only "*"; pulls default to any repository because staging and prod run the image CI pushed to the dev repository (docs/cd.md); callers may narrow ecr_repository_arns
  # GetAuthorizationToken is account-wide and cannot be narrowed to a repository.
  statement {
    sid       = "AuthenticateToEcr"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PullImages"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = var.ecr_repository_arns
  }

  statement {
    sid       = "WriteContainerLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [local.log_group_arn, "${local.log_group_arn}:*"]
  }

  dynamic "statement" {
    for_each = length(local.secret_arns) > 0 ? [local.secret_arns] : []

    content {
      sid       = "ReadSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.ssm_parameter_arns) > 0 ? [local.ssm_parameter_arns] : []

    content {
      sid       = "ReadParameters"
      actions   = ["ssm:GetParameters"]
      resources = statement.value
    }
  }

  # Only through Secrets Manager or SSM in this region, i.e. to open the secrets above.
  dynamic "statement" {
    for_each = length(var.secrets_kms_key_arns) > 0 ? [var.secrets_kms_key_arns] : []

    content {
      sid       = "DecryptSecrets"
      actions   = ["kms:Decrypt"]
      resources = statement.value

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com", "ssm.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "Lets ECS pull the image, write logs and read the secrets of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = merge(var.tags, { Name = "${var.name}-execution" })
}

resource "aws_iam_role_policy" "execution" {
  name   = "ecs-task-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

################################################################################
# Task role: the application's own identity, without permissions unless given
################################################################################

resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "Identity of the ${var.name} application's own AWS calls"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = merge(var.tags, { Name = "${var.name}-task" })
}

# Whether the input is null must be known at plan time; a policy built from values only known
# after apply should instead be attached by the caller to task_role_name.
resource "aws_iam_role_policy" "task" {
  for_each = var.task_role_policy_json == null ? {} : { app = var.task_role_policy_json }

  name   = "application"
  role   = aws_iam_role.task.id
  policy = each.value
}

# The AppConfig agent sidecar runs with the task role: it may read this environment's flags only.
data "aws_iam_policy_document" "appconfig" {
  for_each = var.appconfig_agent == null ? {} : { agent = var.appconfig_agent.configuration_arn }

  statement {
    sid       = "ReadFeatureFlags"
    actions   = ["appconfig:StartConfigurationSession", "appconfig:GetLatestConfiguration"]
    resources = [each.value]
  }
}

resource "aws_iam_role_policy" "appconfig" {
  for_each = data.aws_iam_policy_document.appconfig

  name   = "appconfig-agent"
  role   = aws_iam_role.task.id
  policy = each.value.json
}
