data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  budget_name = "${var.name}-monthly"
  topic_name  = "${var.name}-budget-alerts"

  # Cost Explorer names user-defined cost allocation tags "user:<key>" and a key/value pair
  # "<key>$<value>" (format(), because "$${" would be an escaped interpolation in HCL).
  cost_filter_value = format("user:%s$%s", var.cost_allocation_tag_key, var.environment)

  notifications = concat(
    [for t in var.actual_thresholds : { type = "ACTUAL", threshold = t }],
    [for t in var.forecasted_thresholds : { type = "FORECASTED", threshold = t }],
  )

  # Decided from the function name, which is known at plan time even when the forwarder is
  # created in the same root (its ARN is not).
  subscribe_forwarder = var.slack_forwarder_function_name != null
}

################################################################################
# Alert topic
################################################################################

resource "aws_sns_topic" "this" {
  name              = local.topic_name
  display_name      = "${var.name} budget alerts"
  kms_master_key_id = var.kms_key_arn

  tags = merge(var.tags, { Name = local.topic_name })
}

# Rendered with jsonencode rather than aws_iam_policy_document so that the module test asserts
# the real policy under the mocked provider.
resource "aws_sns_topic_policy" "this" {
  arn = aws_sns_topic.this.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # AWS Budgets of this account only (confused deputy).
        Sid       = "BudgetsPublish"
        Effect    = "Allow"
        Principal = { Service = "budgets.amazonaws.com" }
        Action    = "SNS:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:budgets::${local.account_id}:*" }
        }
      },
      {
        Sid       = "DenyUnencryptedTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "SNS:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.key
}

# The monitoring module's alarm forwarder posts budget alerts to Slack as tickets (never pages).
resource "aws_lambda_permission" "this" {
  count = local.subscribe_forwarder ? 1 : 0

  statement_id   = "BudgetAlertsTopicInvokes"
  action         = "lambda:InvokeFunction"
  function_name  = var.slack_forwarder_function_name
  principal      = "sns.amazonaws.com"
  source_arn     = aws_sns_topic.this.arn
  source_account = local.account_id
}

resource "aws_sns_topic_subscription" "slack" {
  count = local.subscribe_forwarder ? 1 : 0

  topic_arn = aws_sns_topic.this.arn
  protocol  = "lambda"
  endpoint  = var.slack_forwarder_function_arn

  depends_on = [aws_lambda_permission.this]
}

################################################################################
# Budget
################################################################################

# Costs carrying <cost_allocation_tag_key> = <environment>, counted from the start of each
# month; time_period_start is left to AWS (the first day of the current month).
resource "aws_budgets_budget" "this" {
  name         = local.budget_name
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_limit_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  cost_filter {
    name   = "TagKeyValue"
    values = [local.cost_filter_value]
  }

  dynamic "notification" {
    for_each = local.notifications

    content {
      notification_type          = notification.value.type
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      subscriber_sns_topic_arns  = [aws_sns_topic.this.arn]
      subscriber_email_addresses = var.subscriber_email_addresses
    }
  }

  tags = merge(var.tags, { Name = local.budget_name })

  # Budgets must be allowed to publish before its first alert can go out.
  depends_on = [aws_sns_topic_policy.this]
}
