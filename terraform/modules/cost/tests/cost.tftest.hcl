# Unit tests with a mocked AWS provider: no credentials or network needed.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:af-south-1:123456789012:ngapp-test-budget-alerts"
    }
  }

  mock_resource "aws_budgets_budget" {
    defaults = {
      arn = "arn:aws:budgets::123456789012:budget/ngapp-test-monthly"
      id  = "123456789012:ngapp-test-monthly"
    }
  }
}

variables {
  name              = "ngapp-test"
  environment       = "dev"
  monthly_limit_usd = 150
  kms_key_arn       = "arn:aws:kms:af-south-1:123456789012:key/11111111-1111-1111-1111-111111111111"
}

run "defaults_monthly_cost_budget_on_the_environment_tag" {
  command = apply

  assert {
    condition = (
      aws_budgets_budget.this.name == "ngapp-test-monthly" && aws_budgets_budget.this.budget_type == "COST" &&
      aws_budgets_budget.this.time_unit == "MONTHLY" && aws_budgets_budget.this.limit_amount == "150" &&
      aws_budgets_budget.this.limit_unit == "USD" && output.budget_name == "ngapp-test-monthly"
    )
    error_message = "a monthly COST budget \"<name>-monthly\" of monthly_limit_usd USD"
  }

  assert {
    condition = (
      [for f in aws_budgets_budget.this.cost_filter : { name = f.name, values = f.values }] == [{ name = "TagKeyValue", values = tolist(["user:Environment$dev"]) }] &&
      output.cost_filter == "user:Environment$dev"
    )
    error_message = "the budget counts the costs tagged Environment = <environment> (user cost allocation tag)"
  }

  assert {
    condition = toset([for n in aws_budgets_budget.this.notification : "${n.notification_type}:${n.threshold}"]) == toset([
      "ACTUAL:50", "ACTUAL:80", "ACTUAL:100", "FORECASTED:80", "FORECASTED:100",
    ])
    error_message = "actual alerts at 50/80/100 % and forecasted alerts at 80/100 % by default"
  }

  assert {
    condition = alltrue([
      for n in aws_budgets_budget.this.notification :
      n.comparison_operator == "GREATER_THAN" && n.threshold_type == "PERCENTAGE" &&
      n.subscriber_sns_topic_arns == toset([aws_sns_topic.this.arn]) && length(n.subscriber_email_addresses) == 0
    ])
    error_message = "every alert is a percentage of the limit, published to the module's topic, with no direct email by default"
  }

  assert {
    condition = (
      aws_sns_topic.this.name == "ngapp-test-budget-alerts" && aws_sns_topic.this.kms_master_key_id == var.kms_key_arn &&
      output.topic_arn == aws_sns_topic.this.arn
    )
    error_message = "the alert topic \"<name>-budget-alerts\" is encrypted with the given key"
  }

  assert {
    condition = (
      jsondecode(aws_sns_topic_policy.this.policy).Statement[0] == {
        Sid       = "BudgetsPublish"
        Effect    = "Allow"
        Principal = { Service = "budgets.amazonaws.com" }
        Action    = "SNS:Publish"
        Resource  = aws_sns_topic.this.arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = "123456789012" }
          ArnLike      = { "aws:SourceArn" = "arn:aws:budgets::123456789012:*" }
        }
      } &&
      aws_sns_topic_policy.this.arn == aws_sns_topic.this.arn
    )
    error_message = "only AWS Budgets of this account may publish to the topic"
  }

  assert {
    condition     = jsondecode(aws_sns_topic_policy.this.policy).Statement[1].Effect == "Deny" && jsondecode(aws_sns_topic_policy.this.policy).Statement[1].Condition == { Bool = { "aws:SecureTransport" = "false" } }
    error_message = "publishing without TLS is denied"
  }

  assert {
    condition = (
      length(aws_sns_topic_subscription.email) == 0 && length(aws_lambda_permission.this) == 0 &&
      length(aws_sns_topic_subscription.slack) == 0 && output.slack_subscription_arn == null && length(output.email_subscription_arns) == 0
    )
    error_message = "no subscriptions without alert_emails or a forwarder"
  }

  assert {
    condition     = aws_budgets_budget.this.tags == tomap({ Name = "ngapp-test-monthly" }) && aws_sns_topic.this.tags == tomap({ Name = "ngapp-test-budget-alerts" })
    error_message = "the budget and the topic are named by tag"
  }
}

run "emails_forwarder_and_own_thresholds" {
  command = plan

  variables {
    environment                   = "prod"
    monthly_limit_usd             = 2500.5
    cost_allocation_tag_key       = "Env"
    actual_thresholds             = [50, 80, 100, 120]
    forecasted_thresholds         = [50, 80, 100]
    alert_emails                  = ["finance@ngapp.example", "platform@ngapp.example"]
    subscriber_email_addresses    = ["cto@ngapp.example"]
    slack_forwarder_function_name = "ngapp-prod-monitoring-alarm-forwarder"
    slack_forwarder_function_arn  = "arn:aws:lambda:af-south-1:123456789012:function:ngapp-prod-monitoring-alarm-forwarder"
    tags                          = { Component = "cost" }
  }

  assert {
    condition     = aws_budgets_budget.this.limit_amount == "2500.5" && one(aws_budgets_budget.this.cost_filter).values == tolist(["user:Env$prod"])
    error_message = "the limit and the tag key are the given ones"
  }

  assert {
    condition = (
      length(aws_budgets_budget.this.notification) == 7 && length(output.notifications) == 7 &&
      alltrue([for n in aws_budgets_budget.this.notification : n.subscriber_email_addresses == toset(["cto@ngapp.example"])])
    )
    error_message = "seven alerts, each mailing subscriber_email_addresses directly"
  }

  assert {
    condition = (
      { for k, s in aws_sns_topic_subscription.email : k => s.protocol } == { "finance@ngapp.example" = "email", "platform@ngapp.example" = "email" } &&
      alltrue([for k, s in aws_sns_topic_subscription.email : s.endpoint == k && s.topic_arn == aws_sns_topic.this.arn])
    )
    error_message = "one email subscription per alert_emails address"
  }

  assert {
    condition = (
      aws_lambda_permission.this[0].function_name == var.slack_forwarder_function_name &&
      aws_lambda_permission.this[0].principal == "sns.amazonaws.com" &&
      aws_lambda_permission.this[0].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.this[0].source_arn == aws_sns_topic.this.arn &&
      aws_lambda_permission.this[0].source_account == "123456789012"
    )
    error_message = "SNS may invoke the forwarder for this topic only"
  }

  assert {
    condition     = aws_sns_topic_subscription.slack[0].protocol == "lambda" && aws_sns_topic_subscription.slack[0].endpoint == var.slack_forwarder_function_arn
    error_message = "the forwarder is subscribed to the topic"
  }

  assert {
    condition     = aws_budgets_budget.this.tags == tomap({ Component = "cost", Name = "ngapp-test-monthly" })
    error_message = "tags are added to the budget"
  }
}

run "zero_limit_is_refused" {
  command = plan

  variables {
    monthly_limit_usd = 0
  }

  expect_failures = [var.monthly_limit_usd]
}

# One variable per run: actual_thresholds' count check reads forecasted_thresholds, so an invalid
# forecasted_thresholds stops actual_thresholds' checks from running.
run "actual_threshold_out_of_range_is_refused" {
  command = plan

  variables {
    actual_thresholds = [0, 80]
  }

  expect_failures = [var.actual_thresholds]
}

run "forecasted_threshold_out_of_range_is_refused" {
  command = plan

  variables {
    forecasted_thresholds = [100, 1001]
  }

  expect_failures = [var.forecasted_thresholds]
}

run "repeated_actual_threshold_is_refused" {
  command = plan

  variables {
    actual_thresholds = [80, 80]
  }

  expect_failures = [var.actual_thresholds]
}

run "repeated_forecasted_threshold_is_refused" {
  command = plan

  variables {
    forecasted_thresholds = [100, 100]
  }

  expect_failures = [var.forecasted_thresholds]
}

run "more_than_ten_alerts_are_refused" {
  command = plan

  variables {
    actual_thresholds     = [10, 20, 30, 40, 50, 60]
    forecasted_thresholds = [50, 60, 70, 80, 90]
  }

  expect_failures = [var.actual_thresholds]
}

run "no_alert_at_all_is_refused" {
  command = plan

  variables {
    actual_thresholds     = []
    forecasted_thresholds = []
  }

  expect_failures = [var.actual_thresholds]
}

run "bad_email_addresses_are_refused" {
  command = plan

  variables {
    alert_emails               = ["finance@ngapp.example", "not an address"]
    subscriber_email_addresses = ["a@x.example", "b@x.example", "c@x.example", "d@x.example", "e@x.example", "f@x.example", "g@x.example", "h@x.example", "i@x.example", "j@x.example", "k@x.example"]
  }

  expect_failures = [var.alert_emails, var.subscriber_email_addresses]
}

run "forwarder_name_without_its_arn_is_refused" {
  command = plan

  variables {
    slack_forwarder_function_name = "ngapp-test-monitoring-alarm-forwarder"
  }

  expect_failures = [var.slack_forwarder_function_arn]
}

run "forwarder_arn_of_another_function_is_refused" {
  command = plan

  variables {
    slack_forwarder_function_name = "ngapp-test-monitoring-alarm-forwarder"
    slack_forwarder_function_arn  = "arn:aws:lambda:af-south-1:123456789012:function:something-else"
  }

  expect_failures = [var.slack_forwarder_function_arn]
}

run "key_alias_and_aws_tag_key_are_refused" {
  command = plan

  variables {
    kms_key_arn             = "arn:aws:kms:af-south-1:123456789012:alias/ngapp-test"
    cost_allocation_tag_key = "aws:createdBy"
  }

  expect_failures = [var.kms_key_arn, var.cost_allocation_tag_key]
}
