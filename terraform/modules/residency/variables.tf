################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Prefix of the policy and Config rule names, e.g. \"ngapp\" (the policy is \"<name>-region-deny\"). 1-50 characters of a-z, 0-9 and '-', starting with a letter."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,49}$", var.name)) && !endswith(var.name, "-")
    error_message = "name must be 1-50 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

################################################################################
# Regions
################################################################################

variable "allowed_regions" {
  type        = list(string)
  description = "Regions the accounts may use: the union of infra.toml [residency.allowed_regions] over the data classes, e.g. [\"af-south-1\", \"us-east-1\"]. Requests to any other region are denied, except for the global services the policy exempts. Widen it only with a legal basis in the transfer register."
  nullable    = false

  validation {
    condition     = length(var.allowed_regions) > 0
    error_message = "allowed_regions must name at least one region: an empty list would deny every regional service everywhere."
  }

  validation {
    condition     = alltrue([for r in var.allowed_regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$", r))])
    error_message = "allowed_regions must be AWS region names such as \"af-south-1\"."
  }

  validation {
    condition     = length(distinct(var.allowed_regions)) == length(var.allowed_regions)
    error_message = "allowed_regions must not name a region twice."
  }
}

variable "public_only_regions" {
  type        = list(string)
  description = "Regions of allowed_regions where only public data may be (infra.toml allows them for class \"public\" alone, e.g. [\"us-east-1\"] for CloudFront). There the policy also denies everything but the global services and public_only_actions, so no data store can be created there by hand. Empty (the default): every allowed region is fully open. The SCP cannot read a resource's data class; without this, any service works in every allowed region."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for r in var.public_only_regions : contains(var.allowed_regions, r)])
    error_message = "public_only_regions must be a subset of allowed_regions."
  }

  validation {
    condition     = length(setsubtract(var.allowed_regions, var.public_only_regions)) > 0
    error_message = "at least one region of allowed_regions must stay fully open (not in public_only_regions): that is where the data lives."
  }
}

variable "public_only_actions" {
  type        = list(string)
  description = "Actions allowed in public_only_regions on top of the global services. The default is what the cloudfront module does in us-east-1: its ACM certificate and the CloudWatch Logs vended-delivery objects (source, destination, delivery) of its access logs."
  default = [
    "acm:*",
    "logs:*Deliver*",
    "logs:ListTagsForResource",
    "logs:TagResource",
    "logs:UntagResource",
  ]
  nullable = false

  validation {
    condition     = alltrue([for a in var.public_only_actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9*?]+$", a))])
    error_message = "public_only_actions must be IAM actions such as \"acm:*\" or \"logs:*Deliver*\"."
  }
}

################################################################################
# Exemptions
################################################################################

variable "extra_exempt_actions" {
  type        = list(string)
  description = "Actions added to the policy's NotAction list: global services the accounts use that the built-in list lacks (e.g. \"devicefarm:*\", whose endpoint is in us-west-2). Prefer single actions to \"service:*\". They work in every region, so never list a service that stores data."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.extra_exempt_actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9*?]+$", a))])
    error_message = "extra_exempt_actions must be IAM actions such as \"devicefarm:*\" or \"ec2:DescribeRegions\"."
  }

  validation {
    condition     = !anytrue([for a in var.extra_exempt_actions : contains(["*", "*:*"], a) || startswith(a, "s3:*") || startswith(a, "kms:")])
    error_message = "extra_exempt_actions must not exempt everything, all of S3 or KMS: those carry data to the requested region."
  }
}

variable "break_glass_role_arns" {
  type        = list(string)
  description = "IAM roles (ARN patterns, \"*\" allowed for the account, e.g. \"arn:aws:iam::*:role/break-glass\") that the region statements do not restrict, for emergencies. The replication statements still apply to them."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.break_glass_role_arns : can(regex("^arn:aws(-[a-z]+)?:iam::([0-9]{12}|\\*):role/[A-Za-z0-9+=,.@_/*-]{1,512}$", a))])
    error_message = "break_glass_role_arns must be IAM role ARNs or patterns: arn:aws:iam::<account id or *>:role/<path and name>."
  }
}

variable "replication_admin_role_arns" {
  type        = list(string)
  description = "IAM roles (ARN patterns as in break_glass_role_arns) that may put S3 replication configurations. Empty (the default): nobody may. Replication to a region outside allowed_regions is denied whoever wrote the rule."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.replication_admin_role_arns : can(regex("^arn:aws(-[a-z]+)?:iam::([0-9]{12}|\\*):role/[A-Za-z0-9+=,.@_/*-]{1,512}$", a))])
    error_message = "replication_admin_role_arns must be IAM role ARNs or patterns: arn:aws:iam::<account id or *>:role/<path and name>."
  }
}

################################################################################
# Where the policy is attached
################################################################################

variable "target_ids" {
  type        = map(string)
  description = "Where to attach the policy: a static name => the id of the organization root (r-xxxx), an OU (ou-xxxx-xxxxxxxx) or an account (12 digits), e.g. { workloads = \"ou-ab12-cd34ef56\" }. Static keys let the ids come from resources created in the same root. Empty (the default): the policy is created but attached nowhere."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for id in values(var.target_ids) : can(regex("^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|[0-9]{12})$", id))])
    error_message = "target_ids values must be a root id (r-xxxx), an OU id (ou-xxxx-xxxxxxxx) or a 12-digit account id."
  }

  validation {
    condition     = length(distinct(values(var.target_ids))) == length(var.target_ids)
    error_message = "target_ids must not name the same target twice."
  }
}

################################################################################
# AWS Config evidence (optional)
################################################################################

variable "enable_config_rules" {
  type        = bool
  description = "Deploy the REQUIRED_TAGS managed rule to every member account as an organization Config rule (in this provider's region). Needs a Config recorder in each account and region it checks; the module does not create one."
  default     = false
  nullable    = false
}

variable "required_tags" {
  type        = map(list(string))
  description = "Tags REQUIRED_TAGS checks: key => allowed values (empty list: any value). At most 6 keys (the rule's limit)."
  default = {
    DataClassification = ["public", "internal", "personal", "sensitive-personal"]
    Environment        = []
    Project            = []
  }
  nullable = false

  validation {
    condition     = length(var.required_tags) >= 1 && length(var.required_tags) <= 6
    error_message = "required_tags must have 1 to 6 keys (REQUIRED_TAGS takes tag1Key..tag6Key)."
  }

  validation {
    condition     = alltrue([for k, v in var.required_tags : length(k) <= 128 && length(join(",", v)) <= 256 && !anytrue([for x in v : strcontains(x, ",")])])
    error_message = "required_tags keys must be at most 128 characters, and each key's values (joined with commas, none containing a comma) at most 256."
  }
}

variable "config_excluded_account_ids" {
  type        = list(string)
  description = "Member accounts the Config rule skips (e.g. accounts without a recorder)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.config_excluded_account_ids : can(regex("^[0-9]{12}$", a))])
    error_message = "config_excluded_account_ids must be 12-digit account ids."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of the policy (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
