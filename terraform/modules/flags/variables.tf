################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "AppConfig application name, \"<project>-<env>\" (e.g. \"ngapp-dev\"), the name `infra flags` looks the application up by; the deployment strategy is \"<name>-flags\". 1-50 characters of a-z, 0-9 and '-', starting with a letter."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,49}$", var.name)) && !strcontains(var.name, "--") && !endswith(var.name, "-")
    error_message = "name must be 1-50 characters of a-z, 0-9 and '-', starting with a letter, without \"--\" and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "AppConfig environment name: the environment's own name, e.g. \"dev\" (what `infra flags --env` resolves)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

variable "profile_name" {
  type        = string
  description = "Name of the feature-flag configuration profile (`infra flags` uses \"flags\")."
  default     = "flags"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_-]{0,63}$", var.profile_name))
    error_message = "profile_name must be 1-64 characters of a-z, 0-9, '_' and '-', starting with a letter."
  }
}

################################################################################
# Flags
################################################################################

variable "flags" {
  type = map(object({
    enabled     = bool
    description = string
  }))
  description = "INITIAL feature flags of the environment, by flag name (keep them in cd/flags.schema.json): written once as hosted version 1 and deployed. Later changes are made with `infra flags set|enable|disable`, never here (see the lifecycle note in main.tf)."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.flags) : can(regex("^[a-z][a-z0-9_]{0,63}$", name))])
    error_message = "flag names must be 1-64 characters of a-z, 0-9 and '_', starting with a letter."
  }

  validation {
    condition     = alltrue([for flag in values(var.flags) : length(trimspace(flag.description)) >= 1 && length(flag.description) <= 1024])
    error_message = "every flag needs a description of 1-1024 characters."
  }
}

################################################################################
# Deployment strategy
################################################################################

variable "deployment_strategy" {
  type = object({
    deployment_duration_in_minutes = optional(number, 0)
    growth_factor                  = optional(number, 100)
    growth_type                    = optional(string, "LINEAR")
    final_bake_time_in_minutes     = optional(number, 0)
  })
  description = "How a new flags version reaches the environment's hosts. The default is all at once with no bake (non-production); production should bake (e.g. final_bake_time_in_minutes = 10) so that an alarm can roll a bad change back."
  default     = {}
  nullable    = false

  validation {
    condition = (
      var.deployment_strategy.deployment_duration_in_minutes >= 0 && var.deployment_strategy.deployment_duration_in_minutes <= 1440 &&
      floor(var.deployment_strategy.deployment_duration_in_minutes) == var.deployment_strategy.deployment_duration_in_minutes
    )
    error_message = "deployment_strategy.deployment_duration_in_minutes must be a whole number from 0 to 1440."
  }

  validation {
    condition = (
      var.deployment_strategy.final_bake_time_in_minutes >= 0 && var.deployment_strategy.final_bake_time_in_minutes <= 1440 &&
      floor(var.deployment_strategy.final_bake_time_in_minutes) == var.deployment_strategy.final_bake_time_in_minutes
    )
    error_message = "deployment_strategy.final_bake_time_in_minutes must be a whole number from 0 to 1440."
  }

  validation {
    condition     = var.deployment_strategy.growth_factor >= 1 && var.deployment_strategy.growth_factor <= 100
    error_message = "deployment_strategy.growth_factor must be a percentage from 1 to 100."
  }

  validation {
    condition     = contains(["LINEAR", "EXPONENTIAL"], var.deployment_strategy.growth_type)
    error_message = "deployment_strategy.growth_type must be LINEAR or EXPONENTIAL."
  }
}

################################################################################
# Tags
################################################################################

variable "tags" {
  type        = map(string)
  description = "Tags for every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
