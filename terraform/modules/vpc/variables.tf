variable "name" {
  type        = string
  description = "Name prefix for every resource, e.g. \"ngapp-dev\". Lower-case letters, digits and hyphens, starting with a letter, at most 52 characters (IAM role names derived from it are capped at 64)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,51}$", var.name))
    error_message = "name must be 1-52 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "cidr" {
  type        = string
  description = "IPv4 CIDR block of the VPC, from /16 to /24, given as its network address (e.g. \"10.10.0.0/16\")."

  validation {
    # cidrsubnet(x, 0, 0) returns the canonical network address, so host bits must be zero.
    condition     = can(cidrhost(var.cidr, 0)) && can(regex("^[0-9.]+/[0-9]+$", var.cidr)) && try(cidrsubnet(var.cidr, 0, 0) == var.cidr, false)
    error_message = "cidr must be a valid IPv4 CIDR block written as its network address, e.g. \"10.10.0.0/16\"."
  }

  validation {
    # The subnet layout cuts the VPC into 16 blocks; below /24 they would be smaller than AWS's /28 minimum.
    condition     = try(tonumber(split("/", var.cidr)[1]) >= 16 && tonumber(split("/", var.cidr)[1]) <= 24, false)
    error_message = "cidr prefix length must be between /16 and /24."
  }
}

variable "azs" {
  type        = list(string)
  description = "Availability zones to spread subnets over, 2 or 3 distinct names (e.g. [\"af-south-1a\", \"af-south-1b\", \"af-south-1c\"]). Order decides each AZ's subnet block."

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 3
    error_message = "azs must list 2 or 3 availability zones."
  }

  validation {
    condition     = length(distinct(var.azs)) == length(var.azs) && alltrue([for az in var.azs : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9][a-z]$", az))])
    error_message = "azs must be distinct availability zone names such as \"af-south-1a\"."
  }
}

variable "enable_nat_gateway" {
  type        = bool
  description = "Create NAT gateways so private subnets reach the internet. Without them private subnets have no default route."
  default     = true
  nullable    = false
}

variable "single_nat_gateway" {
  type        = bool
  description = "Use one NAT gateway (in the first AZ) for every private subnet instead of one per AZ: cheaper, but an AZ outage cuts egress for all."
  default     = false
  nullable    = false
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days to keep VPC flow logs in CloudWatch Logs. Must be one of CloudWatch's retention values; 0 (never expire) is not allowed."
  default     = 90
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "flow_log_kms_key_arn" {
  type        = string
  description = "ARN of an existing KMS key (in the VPC's region) to encrypt the flow log group. When null the module creates its own key."
  default     = null

  validation {
    condition     = var.flow_log_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.flow_log_kms_key_arn))
    error_message = "flow_log_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
