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
  description = "Environment name (this directory's name), the second part of resource names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region to deploy into; af-south-1 (Cape Town) keeps data on the continent."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"af-south-1\"."
  }
}

variable "default_tags" {
  type        = map(string)
  description = "Tags every resource gets through the provider's default_tags (Project, Environment, ManagedBy, Owner, DataClassification, ...)."
  nullable    = false
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR block of the VPC (/16 to /24)."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block such as \"10.10.0.0/16\"."
  }
}

variable "az_count" {
  type        = number
  description = "Number of availability zones to use (2 or 3)."
  default     = 3
  nullable    = false

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "Share one NAT gateway across AZs: cheaper, acceptable outside production."
  default     = true
  nullable    = false
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days to keep VPC flow logs (a CloudWatch Logs retention value)."
  default     = 30
  nullable    = false
}
