################################################################################
# Alarm topic
################################################################################

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  display_name      = "${var.name} alarms"
  kms_master_key_id = var.kms_key_arn

  tags = merge(var.tags, { Name = "${var.name}-alarms" })
}

data "aws_iam_policy_document" "alarms_topic" {
  # CloudWatch alarms of this account, and only this stack's, may publish.
  statement {
    sid       = "CloudWatchAlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.alarm_prefix}-*"]
    }
  }

  statement {
    sid       = "DenyUnencryptedTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

################################################################################
# Forwarder: SNS -> Lambda -> PagerDuty (page severity) and Slack (every alarm)
################################################################################

data "aws_iam_policy_document" "forwarder_assume" {
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

data "aws_iam_policy_document" "forwarder" {
  statement {
    sid       = "ReadNotificationSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.pagerduty_secret_arn, var.slack_secret_arn]
  }

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

  # The log group is created below, so no logs:CreateLogGroup.
  statement {
    sid       = "WriteLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.forwarder_log_group}:*"]
  }
}

resource "aws_iam_role" "forwarder" {
  name               = local.forwarder_name
  description        = "Lets the alarm forwarder of ${var.name} read the PagerDuty and Slack secrets and write its logs"
  assume_role_policy = data.aws_iam_policy_document.forwarder_assume.json

  tags = merge(var.tags, { Name = local.forwarder_name })
}

resource "aws_iam_role_policy" "forwarder" {
  name   = "forward-alarms"
  role   = aws_iam_role.forwarder.id
  policy = data.aws_iam_policy_document.forwarder.json
}

# Created before the function so Lambda does not create it unencrypted and without retention.
resource "aws_cloudwatch_log_group" "forwarder" {
  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days (the environment roots pass flow_log_retention_days: 365 in prod); forwarder logs are operational and need no longer elsewhere
  name              = local.forwarder_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = local.forwarder_log_group })
}

# Outside the VPC on purpose: it must reach PagerDuty's and Slack's public endpoints and touches
# no data in the VPC, so a VPC attachment would add NAT dependence and ENIs for nothing (and
# when the VPC's network is what failed, the page must still go out).
resource "aws_lambda_function" "forwarder" {
  #checkov:skip=CKV_AWS_117: outside the VPC on purpose (see above): it calls only public HTTPS endpoints and AWS APIs, and a page must go out even when the VPC's network is what failed
  #checkov:skip=CKV_AWS_115: one short invocation per notification; a cap would throttle pages in an alarm storm, and a reservation only takes concurrency from the account's shared pool and fails outright on accounts at Lambda's minimum unreserved quota (new accounts)
  #checkov:skip=CKV_AWS_116: a page that fails is raised (ForwardError) so Lambda retries it, and each failure is logged to the encrypted log group; a queue with no alarm on it would add nothing (see docs/ci.md, Own gates)
  #checkov:skip=CKV_AWS_272: the zip is built by `infra package lambdas` from this reviewed repository and uploaded by Terraform itself (filename + source_code_hash); Lambda code signing needs AWS Signer profiles and signed S3 objects instead
  #checkov:skip=CKV_AWS_50: one HTTPS call per notification whose outcome and latency the function logs; X-Ray would add IAM rights and cost and answer no further question
  function_name    = local.forwarder_name
  description      = "Forwards the CloudWatch alarms of ${var.name} to PagerDuty ([page]) and Slack"
  role             = aws_iam_role.forwarder.arn
  filename         = var.forwarder_lambda_zip
  source_code_hash = filebase64sha256(var.forwarder_lambda_zip)
  handler          = "deployment_infra.lambdas.notify_alarm.handler"
  runtime          = "python3.12"
  timeout          = 30
  memory_size      = 128
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = {
      PAGERDUTY_SECRET_ARN = var.pagerduty_secret_arn
      SLACK_SECRET_ARN     = var.slack_secret_arn
      PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
    }
  }

  tags = merge(var.tags, { Name = local.forwarder_name })

  depends_on = [aws_iam_role_policy.forwarder, aws_cloudwatch_log_group.forwarder]
}

resource "aws_lambda_permission" "forwarder" {
  statement_id   = "AlarmTopicInvokes"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.forwarder.function_name
  principal      = "sns.amazonaws.com"
  source_arn     = aws_sns_topic.alarms.arn
  source_account = local.account_id
}

resource "aws_sns_topic_subscription" "forwarder" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "lambda"
  endpoint  = aws_lambda_function.forwarder.arn

  depends_on = [aws_lambda_permission.forwarder]
}
