# Everything here exists once per rotation kind in use (local.rotation_kinds: "postgres",
# "redis_auth", both or nothing). The Lambda code comes from `infra package lambdas`; see
# src/deployment_infra/lambdas/rotate_<kind>.py for the alternating-users rotation itself.

################################################################################
# Network: in the VPC, to reach the database; out to AWS APIs and the database only
################################################################################

data "aws_vpc" "rotation" {
  for_each = local.rotation_kinds

  id = var.vpc_id
}

resource "aws_security_group" "rotation" {
  for_each = local.rotation_kinds

  name        = local.rotation_function_names[each.key]
  description = "Rotation Lambda ${local.rotation_function_names[each.key]}: no inbound, HTTPS and the ${each.key} port out"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.rotation_function_names[each.key] })
}

# Secrets Manager, KMS and ECS are HTTPS APIs reached through NAT (or interface endpoints).
resource "aws_vpc_security_group_egress_rule" "rotation_https" {
  for_each = local.rotation_kinds

  security_group_id = aws_security_group.rotation[each.key].id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${local.rotation_function_names[each.key]}-out-https" })
}

# The database or cache lives in the VPC; its own security group must also let this group in
# (the rotation_security_group_ids output).
resource "aws_vpc_security_group_egress_rule" "rotation_database" {
  for_each = local.rotation_kinds

  security_group_id = aws_security_group.rotation[each.key].id
  description       = "${each.key == "postgres" ? "Database" : "Cache"} port within the VPC"
  ip_protocol       = "tcp"
  from_port         = local.rotation_ports[each.key]
  to_port           = local.rotation_ports[each.key]
  cidr_ipv4         = data.aws_vpc.rotation[each.key].cidr_block

  tags = merge(var.tags, { Name = "${local.rotation_function_names[each.key]}-out-database" })
}

################################################################################
# IAM
################################################################################

data "aws_iam_policy_document" "rotation_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    # Confused-deputy guard: only Lambda acting for this account may assume the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "rotation" {
  for_each = local.rotation_kinds

  statement {
    sid = "RotateSecrets"
    actions = [
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage",
    ]
    resources = [for k, s in local.rotated_json_secrets : aws_secretsmanager_secret.this[k].arn if s.rotation == each.key]
  }

  # The RDS-managed master user secret: the Lambda logs in with it to create and alter users.
  dynamic "statement" {
    for_each = each.key == "postgres" && length(var.master_secret_arns) > 0 ? [var.master_secret_arns] : []

    content {
      sid       = "ReadMasterSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  # The redis_auth Lambda applies the token (ROTATE) to exactly the groups its secrets name.
  dynamic "statement" {
    for_each = each.key == "redis_auth" && length(local.rotation_replication_group_arns) > 0 ? [local.rotation_replication_group_arns] : []

    content {
      sid       = "SetCacheTokens"
      actions   = ["elasticache:DescribeReplicationGroups", "elasticache:ModifyReplicationGroup"]
      resources = statement.value
    }
  }

  # GetRandomPassword acts on no resource and cannot be narrowed.
  statement {
    sid       = "GeneratePasswords"
    actions   = ["secretsmanager:GetRandomPassword"]
    resources = ["*"]
  }

  # Only through Secrets Manager in this region, i.e. to open and seal the secrets above.
  statement {
    sid       = "UseSecretKeys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = concat([aws_kms_key.this.arn], var.master_secret_kms_key_arns)

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }

  # Lambda's VPC access (what AWSLambdaVPCAccessExecutionRole grants). Describe calls only work
  # on "*"; the others are held to this account and region, the narrowest scope AWS documents
  # for the network interfaces Lambda creates and deletes.
  statement {
    sid       = "DescribeNetworkInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }

  statement {
    sid = "ManageNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account_id}:*/*"]
  }

  # The log group is created below, so no logs:CreateLogGroup.
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.rotation_log_group_arns[each.key]}:*"]
  }

  # After finishSecret the Lambda rolls these services so their tasks pick up the new value.
  dynamic "statement" {
    for_each = length(var.restart_service_arns) > 0 ? [var.restart_service_arns] : []

    content {
      sid       = "RestartServices"
      actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = var.rotation_lambda_tracing ? ["xray"] : []

    content {
      sid       = "WriteTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "rotation" {
  for_each = local.rotation_kinds

  name               = local.rotation_function_names[each.key]
  description        = "Lets the ${each.key} rotation Lambda of ${var.name} rotate its secrets and restart the services using them"
  assume_role_policy = data.aws_iam_policy_document.rotation_assume.json

  tags = merge(var.tags, { Name = local.rotation_function_names[each.key] })
}

# A policy of its own (not inline in the role) so the role ARN, which the secrets' resource
# policies name, does not depend on the secrets.
resource "aws_iam_role_policy" "rotation" {
  for_each = local.rotation_kinds

  name   = "rotate-secrets"
  role   = aws_iam_role.rotation[each.key].id
  policy = data.aws_iam_policy_document.rotation[each.key].json
}

################################################################################
# Function
################################################################################

# Created before the function so Lambda does not create it unencrypted and without retention.
resource "aws_cloudwatch_log_group" "rotation" {
  for_each = local.rotation_kinds

  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days: rotation logs are operational (no secret values) and a rotation's outcome is also recorded on the secret itself

  name              = "/aws/lambda/${local.rotation_function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn

  tags = merge(var.tags, { Name = "/aws/lambda/${local.rotation_function_names[each.key]}" })
}

resource "aws_lambda_function" "rotation" {
  for_each = local.rotation_kinds

  #checkov:skip=CKV_AWS_115: Secrets Manager runs one rotation per secret at a time for a handful of secrets; a reservation only takes concurrency from the account's shared pool and fails outright on accounts at Lambda's minimum unreserved quota (new accounts)
  #checkov:skip=CKV_AWS_116: nothing to dead-letter: a failed rotation leaves AWSCURRENT untouched and its AWSPENDING version in place for the next attempt; the secret itself holds the whole state
  #checkov:skip=CKV_AWS_272: the zip is built by `infra package lambdas` from this reviewed repository and uploaded by Terraform itself (filename + source_code_hash); Lambda code signing needs AWS Signer profiles and signed S3 objects instead

  function_name    = local.rotation_function_names[each.key]
  description      = "Rotates the ${each.key} secrets of ${var.name}"
  role             = aws_iam_role.rotation[each.key].arn
  filename         = var.rotation_lambda_zip
  source_code_hash = filebase64sha256(var.rotation_lambda_zip)
  handler          = "deployment_infra.lambdas.rotate_${each.key}.handler"
  runtime          = "python3.12"
  timeout          = local.rotation_timeouts[each.key]
  memory_size      = 256
  kms_key_arn      = aws_kms_key.this.arn

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.rotation[each.key].id]
  }

  environment {
    variables = {
      RESTART_SERVICE_ARNS     = jsonencode(var.restart_service_arns)
      SECRETS_MANAGER_ENDPOINT = "https://secretsmanager.${local.region}.amazonaws.com"
    }
  }

  tracing_config {
    mode = var.rotation_lambda_tracing ? "Active" : "PassThrough"
  }

  tags = merge(var.tags, { Name = local.rotation_function_names[each.key] })

  # Lambda checks the role's network-interface permissions when it creates the function.
  depends_on = [aws_iam_role_policy.rotation, aws_cloudwatch_log_group.rotation]
}

resource "aws_lambda_permission" "rotation" {
  for_each = local.rotation_kinds

  statement_id   = "SecretsManagerRotates"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.rotation[each.key].function_name
  principal      = "secretsmanager.amazonaws.com"
  source_account = local.account_id
}

################################################################################
# Rotation schedules
################################################################################

# With rotate_immediately the first rotation runs as soon as this is created: it adds the
# password to the seed and creates the database user. Changing rotation_days also rotates at
# once (the provider calls RotateSecret again).
resource "aws_secretsmanager_secret_rotation" "this" {
  for_each = local.rotated_json_secrets

  #checkov:skip=CKV_AWS_304: rotation_days is validated to 1-90 (variables_rotation.tf, default 30); checkov cannot resolve the value passed through the environment roots

  secret_id           = aws_secretsmanager_secret.this[each.key].id
  rotation_lambda_arn = aws_lambda_function.rotation[each.value.rotation].arn
  rotate_immediately  = var.rotate_immediately

  rotation_rules {
    automatically_after_days = var.rotation_days
  }

  depends_on = [
    aws_lambda_permission.rotation,
    aws_iam_role_policy.rotation,
    aws_secretsmanager_secret_version.rotation_seed,
    aws_secretsmanager_secret_policy.this,
  ]

  lifecycle {
    # A new seed (changed json_fields) is AWSCURRENT without a password until rotated again.
    replace_triggered_by = [aws_secretsmanager_secret_version.rotation_seed[each.key]]
  }
}
