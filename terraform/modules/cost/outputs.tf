# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

output "budget_name" {
  description = "Name of the budget (string), \"<name>-monthly\"."
  value       = tostring(aws_budgets_budget.this.name)
}

output "budget_arn" {
  description = "ARN of the budget (string), arn:aws:budgets::<account>:budget/<name>-monthly."
  value       = tostring(aws_budgets_budget.this.arn)
}

output "budget_id" {
  description = "ID of the budget (string), \"<account>:<name>-monthly\" (what `terraform import` takes)."
  value       = tostring(aws_budgets_budget.this.id)
}

output "cost_filter" {
  description = "The budget's cost filter value (string), e.g. \"user:Environment$dev\": the cost allocation tag that must be active in Billing."
  value       = tostring(local.cost_filter_value)
}

output "notifications" {
  description = "The budget's alerts (list(object({ type = string, threshold = number }))): type ACTUAL or FORECASTED, threshold in percent of the limit."
  value       = [for n in local.notifications : { type = tostring(n.type), threshold = tonumber(n.threshold) }]
}

output "topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic every alert is published to (string): subscribe more endpoints here."
  value       = tostring(aws_sns_topic.this.arn)
}

output "topic_name" {
  description = "Name of the alert topic (string), \"<name>-budget-alerts\"."
  value       = tostring(aws_sns_topic.this.name)
}

output "email_subscription_arns" {
  description = "ARNs of the topic's email subscriptions by address (map(string)); \"pending confirmation\" until each address confirms."
  value       = tomap({ for e, s in aws_sns_topic_subscription.email : e => s.arn })
}

output "slack_subscription_arn" {
  description = "ARN of the forwarder's subscription to the topic (string), or null without slack_forwarder_function_name."
  value       = local.subscribe_forwarder ? tostring(aws_sns_topic_subscription.slack[0].arn) : null
}
