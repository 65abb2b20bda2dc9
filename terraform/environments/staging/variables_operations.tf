# Inputs of the CDN, monitoring, disaster-recovery and cost parts (cdn.tf, monitoring.tf, dr.tf,
# cost.tf). Identical in every environment root; values in terraform.tfvars.

variable "cdn_price_class" {
  type        = string
  description = "CloudFront price class: PriceClass_200 (default: North America, Europe, Asia, Middle East and Africa, incl. Lagos, Nairobi, Johannesburg, Cape Town) or PriceClass_All. PriceClass_100 has no African edge."
  default     = "PriceClass_200"

  validation {
    condition     = contains(["PriceClass_200", "PriceClass_All"], var.cdn_price_class)
    error_message = "cdn_price_class must be PriceClass_200 or PriceClass_All: PriceClass_100 serves Nigeria from Europe."
  }
}

variable "backup_retention_days" {
  type        = number
  description = "Days AWS Backup keeps each daily recovery point (and, up to 35, the continuous PITR window)."
  default     = 30

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 3650 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number of days from 7 to 3650."
  }
}

variable "backup_copy_destinations" {
  type = list(object({
    vault_arn      = string
    region         = string
    retention_days = number
  }))
  description = "Backup vaults in other regions that receive a copy of each recovery point. Default none: DR stays in af-south-1 (a copy elsewhere leaves Africa, a cross-border transfer under the NDPA 2023)."
  default     = []
  nullable    = false
}

variable "backup_copy_allowed_regions" {
  type        = list(string)
  description = "Regions a backup copy may go to (the dr module refuses others). Set from the transfer register / infra.toml allow-list for personal data; default none."
  default     = []
  nullable    = false
}

variable "backup_vault_lock" {
  type = object({
    mode                = string
    min_retention_days  = number
    max_retention_days  = number
    changeable_for_days = optional(number)
  })
  description = "Vault lock of the backup vault: governance (removable by privileged users) or compliance (immutable after changeable_for_days). null: no lock."
  default = {
    mode               = "governance"
    min_retention_days = 7
    max_retention_days = 365
  }
}

variable "monthly_budget_usd" {
  type        = number
  description = "Monthly AWS Budget of the environment in USD (its costs tagged Environment = <environment>); alerts at 50/80/100 % of actual and 80/100 % of forecasted spend."
  nullable    = false

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be more than 0."
  }
}

variable "budget_alert_emails" {
  type        = list(string)
  description = "Email addresses subscribed to the budget alert topic (each confirms by mail once); Slack gets every alert through the alarm forwarder anyway. Default none."
  default     = []
  nullable    = false
}

variable "flags_bake_minutes" {
  type        = number
  description = "Minutes AppConfig watches a feature-flag change before it counts as deployed (and could still roll it back). 0 outside prod."
  default     = 0
  nullable    = false

  validation {
    condition     = var.flags_bake_minutes >= 0 && var.flags_bake_minutes <= 1440 && floor(var.flags_bake_minutes) == var.flags_bake_minutes
    error_message = "flags_bake_minutes must be a whole number from 0 to 1440."
  }
}
