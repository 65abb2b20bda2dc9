variable "project" {
  type        = string
  description = "Project name (infra.toml project.name), the first part of resource names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "project must be 3-20 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "The preview's environment name, \"pr-<N>\" (the Environment tag and the SSM path of its release record)."

  validation {
    condition     = can(regex("^pr-[1-9][0-9]{0,5}$", var.environment))
    error_message = "environment must be \"pr-<N>\" with N from 1 to 999999."
  }
}

variable "pr_number" {
  type        = number
  description = "Pull request number, 1 to 999999; names everything \"<project>-pr<N>\"."

  validation {
    condition     = var.pr_number >= 1 && var.pr_number <= 999999 && floor(var.pr_number) == var.pr_number
    error_message = "pr_number must be a whole number from 1 to 999999."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the preview (the project's default region)."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"af-south-1\"."
  }
}

variable "domain_name" {
  type        = string
  description = "The product's DNS domain (infra.toml project.domain); the preview answers at pr-<N>.preview.<domain_name>."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as \"ngapp.example\"."
  }
}

variable "default_tags" {
  type        = map(string)
  description = "Tags every resource gets through the provider's default_tags (Environment = \"pr-<N>\", Preview, PullRequest and the project's required tags)."
  nullable    = false

  validation {
    condition     = contains(keys(var.default_tags), "PullRequest") && contains(keys(var.default_tags), "Environment")
    error_message = "default_tags must carry PullRequest and Environment: the reaper and the leak check find a preview's resources by them."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR of the preview's VPC, derived from the PR number by `infra preview` so it never overlaps an environment's (a /22: the ALB needs subnets of at least /27)."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 23, false)
    error_message = "vpc_cidr must be an IPv4 CIDR of /23 or larger (each subnet is 1/16 of it and an ALB subnet needs /27)."
  }
}

variable "container_image" {
  type        = string
  description = "Image the preview's service starts with (the pull request's build)."

  validation {
    condition     = can(regex("^[^[:space:]]+$", var.container_image)) && length(var.container_image) <= 1024
    error_message = "container_image must be a non-empty image reference without whitespace."
  }
}

variable "container_port" {
  type        = number
  description = "Port the service's container listens on."
  default     = 8080
  nullable    = false

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1 to 65535."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days to keep the preview's container logs, flow logs and ALB access logs (a CloudWatch Logs retention value)."
  default     = 3
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14], var.log_retention_days)
    error_message = "log_retention_days must be 1, 3, 5, 7 or 14: previews live for days, not months."
  }
}
