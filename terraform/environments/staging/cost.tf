# Cost guardrails: a monthly AWS Budget of the environment's costs (those tagged Environment =
# <environment> by default_tags; the tag must be an active cost allocation tag in Billing), with
# alerts at 50/80/100 % of actual and 80/100 % of forecasted spend. Alerts go to an SNS topic
# encrypted with the environment key, from there to the monitoring alarm forwarder (Slack, as
# tickets: a budget never pages) and to budget_alert_emails. Identical in every environment root;
# the limit comes from terraform.tfvars.

module "cost" {
  source = "../../modules/cost"

  name              = local.name
  environment       = var.environment
  monthly_limit_usd = var.monthly_budget_usd
  kms_key_arn       = module.secrets.kms_key_arn
  alert_emails      = var.budget_alert_emails

  slack_forwarder_function_name = module.monitoring.forwarder_function_name
  slack_forwarder_function_arn  = module.monitoring.forwarder_function_arn
}
