################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Name prefix, e.g. \"ngapp-dev\": the budget is \"<name>-monthly\" and its alert topic \"<name>-budget-alerts\". 1-50 characters of a-z, 0-9 and '-', starting with a letter."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,49}$", var.name)) && !strcontains(var.name, "--") && !endswith(var.name, "-")
    error_message = "name must be 1-50 characters of a-z, 0-9 and '-', starting with a letter, without \"--\" and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "Environment whose costs the budget counts: costs tagged <cost_allocation_tag_key> = <environment>, e.g. \"dev\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

variable "cost_allocation_tag_key" {
  type        = string
  description = "Tag whose value is the environment (the provider's default_tags set it on every resource). It must be activated as a cost allocation tag in the Billing console, or the budget counts nothing."
  default     = "Environment"
  nullable    = false

  validation {
    condition     = length(var.cost_allocation_tag_key) >= 1 && length(var.cost_allocation_tag_key) <= 128 && !startswith(var.cost_allocation_tag_key, "aws:") && !strcontains(var.cost_allocation_tag_key, "$")
    error_message = "cost_allocation_tag_key must be 1-128 characters, without '$' and not starting with \"aws:\" (AWS-generated tags are not user cost allocation tags)."
  }
}

################################################################################
# Limit and thresholds
################################################################################

variable "monthly_limit_usd" {
  type        = number
  description = "Monthly budget in USD for the environment's tagged costs; the thresholds are percentages of it."
  nullable    = false

  validation {
    condition     = var.monthly_limit_usd > 0 && var.monthly_limit_usd <= 10000000
    error_message = "monthly_limit_usd must be more than 0 (and at most 10,000,000)."
  }
}

variable "actual_thresholds" {
  type        = list(number)
  description = "Percentages of the limit at which actual (billed so far this month) costs alert, e.g. [50, 80, 100]."
  default     = [50, 80, 100]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.actual_thresholds : t >= 1 && t <= 1000])
    error_message = "actual_thresholds must be percentages from 1 to 1000."
  }

  validation {
    condition     = length(distinct(var.actual_thresholds)) == length(var.actual_thresholds)
    error_message = "actual_thresholds must not repeat a percentage."
  }

  # AWS Budgets allows at most ten notifications per budget.
  validation {
    condition     = length(var.actual_thresholds) + length(var.forecasted_thresholds) >= 1 && length(var.actual_thresholds) + length(var.forecasted_thresholds) <= 10
    error_message = "actual_thresholds and forecasted_thresholds together must hold 1 to 10 thresholds (AWS Budgets allows ten notifications per budget)."
  }
}

variable "forecasted_thresholds" {
  type        = list(number)
  description = "Percentages of the limit at which the month's forecasted costs alert, e.g. [80, 100]: a warning before the money is spent."
  default     = [80, 100]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.forecasted_thresholds : t >= 1 && t <= 1000])
    error_message = "forecasted_thresholds must be percentages from 1 to 1000."
  }

  validation {
    condition     = length(distinct(var.forecasted_thresholds)) == length(var.forecasted_thresholds)
    error_message = "forecasted_thresholds must not repeat a percentage."
  }
}

################################################################################
# Where alerts go
################################################################################

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key encrypting the alert topic (the environment key). Its key policy must let budgets.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt), or no alert is delivered."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "alert_emails" {
  type        = list(string)
  description = "Email addresses subscribed to the alert topic (each confirms by mail once). Empty (the default): none."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must be email addresses."
  }

  validation {
    condition     = length(distinct(var.alert_emails)) == length(var.alert_emails)
    error_message = "alert_emails must not repeat an address."
  }
}

variable "subscriber_email_addresses" {
  type        = list(string)
  description = "Email addresses AWS Budgets mails directly on every alert (no SNS, no confirmation). At most 10 (AWS's limit per notification). Empty (the default): none."
  default     = []
  nullable    = false

  validation {
    condition     = length(var.subscriber_email_addresses) <= 10 && length(distinct(var.subscriber_email_addresses)) == length(var.subscriber_email_addresses)
    error_message = "subscriber_email_addresses must hold at most 10 distinct addresses."
  }

  validation {
    condition     = alltrue([for e in var.subscriber_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "subscriber_email_addresses must be email addresses."
  }
}

variable "slack_forwarder_function_name" {
  type        = string
  description = "Name of a Lambda function (the monitoring module's alarm forwarder) subscribed to the alert topic, which posts each alert to Slack. null (the default): none. Give slack_forwarder_function_arn with it; the name decides at plan time whether the subscription exists."
  default     = null

  validation {
    condition     = var.slack_forwarder_function_name == null || can(regex("^[a-zA-Z0-9_-]{1,64}$", var.slack_forwarder_function_name))
    error_message = "slack_forwarder_function_name must be null or a Lambda function name (1-64 characters of a-z, A-Z, 0-9, '-' and '_')."
  }
}

variable "slack_forwarder_function_arn" {
  type        = string
  description = "ARN of the function named by slack_forwarder_function_name (the subscription's endpoint), or null with it."
  default     = null

  validation {
    condition     = var.slack_forwarder_function_arn == null || can(regex("^arn:aws(-[a-z]+)?:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]{1,64}$", var.slack_forwarder_function_arn))
    error_message = "slack_forwarder_function_arn must be null or an unqualified Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)."
  }

  validation {
    condition = (var.slack_forwarder_function_arn == null) == (var.slack_forwarder_function_name == null) && (
      var.slack_forwarder_function_arn == null || try(endswith(var.slack_forwarder_function_arn, ":function:${var.slack_forwarder_function_name}"), true)
    )
    error_message = "slack_forwarder_function_arn and slack_forwarder_function_name go together, and the ARN must be that function's."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the budget and the topic (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
