################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Prefix of the module's resource names, e.g. \"ngapp-dev\": the KMS alias alias/<name>, and <name>-rotate-<kind> for the rotation Lambda, its role, security group and log group. 1-32 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-'."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must be 1-32 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "project" {
  type        = string
  description = "Project name, the first segment of every secret name /<project>/<environment>/<key>, e.g. \"ngapp\"."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.project))
    error_message = "project must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

variable "environment" {
  type        = string
  description = "Environment, the second segment of every secret name, e.g. \"dev\", \"prod\" or \"preview-123\". Separate paths keep one environment's readers away from another's secrets."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

################################################################################
# Secrets
################################################################################

variable "secrets" {
  type = map(object({
    description = string
    # "generated": a random value Terraform never sees; "json": jsonencode(json_fields).
    kind = string
    # generated only
    length              = optional(number, 32)
    exclude_punctuation = optional(bool, false)
    value_version       = optional(number, 1)
    # json only: non-secret fields
    json_fields = optional(map(string), {})
    # null, or the rotation Lambda that rotates the value ("postgres" or "redis_auth")
    rotation = optional(string)
    # null: reader_role_arns; otherwise exactly these roles read this secret (plus admins)
    readers = optional(list(string))
  }))
  description = <<-EOT
    Secrets by key, e.g. "db/app" or "cache/auth"; each is named /<project>/<environment>/<key>.
    - description: what the secret is for.
    - kind = "generated": a random string of `length` characters (16-4096, default 32) from
      Secrets Manager's GetRandomPassword, written with a write-only attribute so it never appears
      in a plan or state. exclude_punctuation = true for values with a restricted alphabet (Redis
      AUTH tokens). Raise value_version (default 1) to store a new random value.
    - kind = "json": jsonencode(json_fields), a map of NON-secret strings (host, port, dbname,
      username, masterarn, ...). Never put a password here: a rotated secret gets it from its
      Lambda.
    - kind = "external": a value Terraform never writes, e.g. a PagerDuty routing key or a Slack
      webhook URL that an operator puts with `aws secretsmanager put-secret-value` (see
      docs/runbooks/secret-rotation.md). Until then the secret has no value and whatever reads it
      fails to start.
    - readers: null (default) lets reader_role_arns read the value; a list of IAM role ARNs
      replaces them for this secret (admin_role_arns, and the rotation role of a rotated secret,
      are always added), e.g. so that only the monitoring roles read the paging keys.
    - rotation: null (default), "postgres" or "redis_auth": rotated by the module's Lambda of
      that kind every rotation_days days; json only. "postgres" (alternating users) needs
      json_fields host, port, dbname, username and masterarn (the ARN of the RDS-managed master
      user secret); "redis_auth" (ElastiCache AUTH token, ROTATE strategy) needs
      replication_group_id, and ECS reads the token as "<arn>:token::".
  EOT
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.secrets) : can(regex("^[a-z0-9][a-z0-9/_-]*$", k))])
    error_message = "secrets keys must match ^[a-z0-9][a-z0-9/_-]*$ (lower-case letters, digits, '/', '_', '-'), e.g. \"db/app\"."
  }

  validation {
    # Secrets Manager resolves partial ARNs by stripping a final "-" plus 6 characters, so names
    # ending that way are ambiguous; empty path segments make names nobody can type correctly.
    condition     = alltrue([for k in keys(var.secrets) : !endswith(k, "/") && !strcontains(k, "//") && !can(regex("-[a-z0-9]{6}$", k)) && length(k) <= 256])
    error_message = "secrets keys must not end with '/', contain '//', end with '-' and 6 letters or digits (it reads as an ARN suffix), or be longer than 256 characters."
  }

  validation {
    condition     = alltrue([for s in values(var.secrets) : contains(["generated", "json", "external"], s.kind)])
    error_message = "Each secret's kind must be \"generated\", \"json\" or \"external\"."
  }

  validation {
    condition     = alltrue([for s in values(var.secrets) : length(trimspace(s.description)) > 0 && length(s.description) <= 2048])
    error_message = "Each secret needs a description of 1-2048 characters."
  }

  validation {
    condition = alltrue([
      for s in values(var.secrets) :
      s.length != null && s.value_version != null && s.exclude_punctuation != null &&
      try(s.length >= 16 && s.length <= 4096 && floor(s.length) == s.length, false) &&
      try(s.value_version >= 1 && floor(s.value_version) == s.value_version, false)
    ])
    error_message = "length must be a whole number from 16 to 4096, value_version a whole number >= 1, and neither may be null."
  }

  validation {
    condition     = alltrue([for s in values(var.secrets) : s.kind == "json" ? length(s.json_fields) > 0 : length(s.json_fields) == 0])
    error_message = "A \"json\" secret needs json_fields; \"generated\" and \"external\" secrets take none."
  }

  validation {
    condition = alltrue([
      for s in values(var.secrets) : s.readers == null || try(length(s.readers) >= 1 && alltrue([
        for a in s.readers : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))
      ]), false)
    ])
    error_message = "A secret's readers must be null or a non-empty list of IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }

  validation {
    # The fields land in the plan and state in clear text. The names are those the policy gate
    # (SEC-001) treats as secret.
    condition = alltrue([
      for s in values(var.secrets) : alltrue([
        for f in keys(s.json_fields) :
        !can(regex("(?i)(^|_)(password|passwd|pwd|secret|secret_key|token|api_?key|private_key|credentials?|auth_token)($|_)", f))
      ])
    ])
    error_message = "json_fields must hold non-secret fields only: no password, secret, token, API key, private key or credentials field (a rotated secret gets its password from the rotation Lambda)."
  }

  validation {
    condition     = alltrue([for s in values(var.secrets) : s.rotation == null || (contains(["postgres", "redis_auth"], coalesce(s.rotation, "-")) && s.kind == "json")])
    error_message = "rotation must be null, \"postgres\" or \"redis_auth\", and only a \"json\" secret can be rotated."
  }

  validation {
    condition = alltrue([
      for s in values(var.secrets) :
      s.rotation != "redis_auth" || can(regex("^[a-z][a-z0-9-]{0,39}$", s.json_fields["replication_group_id"]))
    ])
    error_message = "A secret with rotation = \"redis_auth\" needs json_fields replication_group_id, an ElastiCache replication group id."
  }

  validation {
    condition = alltrue([
      for s in values(var.secrets) :
      s.rotation != "postgres" || length(setsubtract(["host", "port", "dbname", "username", "masterarn"], keys(s.json_fields))) == 0
    ])
    error_message = "A secret with rotation = \"postgres\" needs json_fields host, port, dbname, username and masterarn."
  }
}

variable "recovery_window_in_days" {
  type        = number
  description = "Days a deleted secret can still be restored: 0 (delete at once, for throwaway environments) or 7-30."
  default     = 30
  nullable    = false

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30 && floor(var.recovery_window_in_days) == var.recovery_window_in_days)
    error_message = "recovery_window_in_days must be 0 or a whole number from 7 to 30."
  }
}

variable "kms_deletion_window_in_days" {
  type        = number
  description = "Days a deleted KMS key can still be restored (7-30). Everything encrypted with it, databases included, is unreadable once it is gone."
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number from 7 to 30."
  }
}

################################################################################
# Who may read
################################################################################

variable "reader_role_arns" {
  type        = list(string)
  description = "IAM role ARNs of this account that may read the secret values, e.g. the environment's ECS task and execution roles; everyone else is denied by each secret's resource policy. May be unknown until apply (outputs of other modules); the list's length must be known."
  nullable    = false

  validation {
    condition     = length(var.reader_role_arns) >= 1
    error_message = "reader_role_arns must list at least one role."
  }

  validation {
    condition     = alltrue([for a in var.reader_role_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "reader_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<path/name>)."
  }
}

variable "admin_role_arns" {
  type        = list(string)
  description = "IAM role or user ARNs of this account that may also read the values: the deployer that runs Terraform, which reads secret versions back on every refresh and is locked out of its own plans if it is missing. May be unknown until apply."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.admin_role_arns : can(regex("^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$", a))])
    error_message = "admin_role_arns must be IAM role or user ARNs (arn:aws:iam::<account>:role/<path/name>)."
  }
}
