################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Name of the vault, plan, selection, backup role and (when the module creates it) KMS key alias, e.g. \"ngapp-dev\"; the vault is \"<name>-backup\". 1-50 characters of a-z, 0-9 and '-', starting with a letter (50 so that \"-backup-restore\" stays within IAM's 64 characters)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,49}$", var.name)) && !strcontains(var.name, "--") && !endswith(var.name, "-")
    error_message = "name must be 1-50 characters of a-z, 0-9 and '-', starting with a letter, without \"--\" and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "Environment whose data is backed up, e.g. \"dev\", \"staging\", \"prod\" or \"preview-123\". prod may not set force_destroy."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

################################################################################
# Encryption
################################################################################

variable "kms_key_arn" {
  type        = string
  description = "ARN of the KMS key that encrypts the vault's recovery points. null (the default) creates a key of the vault's own (rotation on, alias \"alias/<name>-backup\"), separate from the environment key, so that whoever can use or schedule deletion of the environment key cannot also reach the backups. Changing it replaces the vault."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "create_kms_key" {
  type        = bool
  description = "Create the vault's own KMS key. null (the default) means kms_key_arn == null. Set it (false) when kms_key_arn is only known after apply (a key created in the same root): Terraform must know at plan time whether the key resource exists."
  default     = null

  validation {
    condition     = var.create_kms_key == null || try(!(var.create_kms_key && var.kms_key_arn != null) && (var.create_kms_key || var.kms_key_arn != null), true)
    error_message = "create_kms_key = true needs kms_key_arn = null, and create_kms_key = false needs a kms_key_arn."
  }
}

################################################################################
# What is backed up, when, and for how long
################################################################################

variable "selection_tag" {
  type = object({
    key   = string
    value = string
  })
  description = "Resources (RDS instances, DynamoDB tables, EFS, ...) carrying this tag are backed up. null (the default) is { key = \"BackupPlan\", value = <name> }."
  default     = null

  validation {
    condition     = var.selection_tag == null || try(length(var.selection_tag.key) >= 1 && length(var.selection_tag.key) <= 128 && length(var.selection_tag.value) <= 256 && !startswith(var.selection_tag.key, "aws:"), false)
    error_message = "selection_tag.key must be 1-128 characters not starting with \"aws:\", and selection_tag.value at most 256 characters."
  }
}

variable "daily_schedule" {
  type        = string
  description = "When the daily backup starts, as an AWS cron expression in UTC. The default, 01:00 UTC, is 02:00 in Lagos and matches the RDS module's backup window."
  default     = "cron(0 1 * * ? *)"
  nullable    = false

  validation {
    condition     = can(regex("^cron\\(\\S+( \\S+){5}\\)$", var.daily_schedule))
    error_message = "daily_schedule must be an AWS cron expression with six fields, e.g. \"cron(0 1 * * ? *)\"."
  }
}

variable "retention_days" {
  type        = number
  description = "Days each daily recovery point is kept (at least 7; 30 is the requirement). The continuous (point-in-time) rule keeps min(retention_days, 35) days, AWS's limit for continuous backups. Must lie within the vault lock's min/max retention."
  default     = 30
  nullable    = false

  validation {
    condition     = var.retention_days >= 7 && var.retention_days <= 36500 && floor(var.retention_days) == var.retention_days
    error_message = "retention_days must be a whole number of days from 7 to 36500."
  }

  validation {
    condition = var.vault_lock == null || try(
      var.retention_days >= var.vault_lock.min_retention_days && var.retention_days <= var.vault_lock.max_retention_days &&
      (!var.continuous_backup || min(var.retention_days, 35) >= var.vault_lock.min_retention_days),
      true,
    )
    error_message = "retention_days (and min(retention_days, 35) for the continuous rule) must lie within vault_lock's min_retention_days and max_retention_days: AWS Backup would fail every backup job."
  }
}

variable "continuous_backup" {
  type        = bool
  description = "Add a second rule with continuous backup (point-in-time recovery of RDS to any second within min(retention_days, 35) days)."
  default     = true
  nullable    = false
}

################################################################################
# Vault lock
################################################################################

variable "vault_lock" {
  type = object({
    mode                = string
    min_retention_days  = number
    max_retention_days  = number
    changeable_for_days = optional(number)
  })
  description = "AWS Backup Vault Lock, or null for none. \"governance\": recovery points cannot be deleted early nor retention shortened below min_retention_days except by principals allowed backup:DeleteBackupVaultLockConfiguration. \"compliance\": after changeable_for_days (at least 3) the lock can no longer be changed or removed by anyone, AWS included, and the vault cannot be deleted while it holds recovery points."
  default = {
    mode               = "governance"
    min_retention_days = 7
    max_retention_days = 365
  }

  validation {
    condition     = var.vault_lock == null || try(contains(["governance", "compliance"], var.vault_lock.mode), false)
    error_message = "vault_lock.mode must be \"governance\" or \"compliance\"."
  }

  validation {
    condition = var.vault_lock == null || try(
      var.vault_lock.min_retention_days >= 1 && var.vault_lock.max_retention_days <= 36500 &&
      var.vault_lock.min_retention_days <= var.vault_lock.max_retention_days &&
      floor(var.vault_lock.min_retention_days) == var.vault_lock.min_retention_days &&
      floor(var.vault_lock.max_retention_days) == var.vault_lock.max_retention_days,
      false,
    )
    error_message = "vault_lock needs whole min_retention_days >= 1 and max_retention_days <= 36500, with min <= max."
  }

  validation {
    condition = var.vault_lock == null || try(
      var.vault_lock.mode == "compliance" ? (
        var.vault_lock.changeable_for_days != null && var.vault_lock.changeable_for_days >= 3 && var.vault_lock.changeable_for_days <= 36500 && floor(coalesce(var.vault_lock.changeable_for_days, 0)) == var.vault_lock.changeable_for_days
      ) : var.vault_lock.changeable_for_days == null,
      false,
    )
    error_message = "vault_lock.changeable_for_days is required in compliance mode (a whole number of days, at least 3: the grace time before the lock becomes immutable) and not allowed in governance mode."
  }
}

################################################################################
# Copies to other vaults (cross-region DR)
################################################################################

variable "copy_destinations" {
  type = list(object({
    vault_arn      = string
    region         = string
    retention_days = number
  }))
  description = "Vaults each daily recovery point is copied to, with how long the copy is kept. A vault in another region is a copy of personal data out of the region: its region must be in allowed_copy_regions. Empty (the default): DR stays in-region. The destination vault's own key and lock apply to the copy."
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for d in var.copy_destinations :
      can(regex("^arn:aws(-[a-z]+)?:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:[A-Za-z0-9_.-]{2,50}$", d.vault_arn)) &&
      try(split(":", d.vault_arn)[3] == d.region, false)
    ])
    error_message = "copy_destinations[*].vault_arn must be a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>) whose region equals that destination's region."
  }

  validation {
    condition     = alltrue([for d in var.copy_destinations : d.retention_days >= 1 && d.retention_days <= 36500 && floor(d.retention_days) == d.retention_days])
    error_message = "copy_destinations[*].retention_days must be a whole number of days from 1 to 36500."
  }

  validation {
    condition     = length(distinct([for d in var.copy_destinations : d.vault_arn])) == length(var.copy_destinations)
    error_message = "copy_destinations must not name the same vault twice."
  }

  validation {
    condition     = alltrue([for d in var.copy_destinations : contains(var.allowed_copy_regions, d.region)])
    error_message = "every copy destination's region must be in allowed_copy_regions: a copy to another region moves personal data across a border (NDPA 2023 s.41/s.43); widen the data class's allowed regions in infra.toml only with a legal basis in the transfer register."
  }
}

variable "allowed_copy_regions" {
  type        = list(string)
  description = "Regions copy_destinations may be in: the allowed regions of the backed-up data's class (infra.toml [residency.allowed_regions], \"personal\"). Empty (the default) refuses every copy destination."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for r in var.allowed_copy_regions : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r))])
    error_message = "allowed_copy_regions must be AWS region names such as \"af-south-1\"."
  }
}

################################################################################
# Notifications and teardown
################################################################################

variable "notification_topic_arn" {
  type        = string
  description = "SNS topic told about failed backup, copy and restore jobs and completed restores, or null for none. The topic's policy must let backup.amazonaws.com publish (SNS:Publish) and, if encrypted, its key let the service use it."
  default     = null

  validation {
    condition     = var.notification_topic_arn == null || can(regex("^arn:aws(-[a-z]+)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.notification_topic_arn))
    error_message = "notification_topic_arn must be null or an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)."
  }
}

variable "create_notifications" {
  type        = bool
  description = "Create the vault notifications. null (the default) means notification_topic_arn != null. Set it (true) when the topic ARN is only known after apply (a topic created in the same root): Terraform must know at plan time whether the resource exists."
  default     = null

  validation {
    condition     = var.create_notifications == null || try(var.create_notifications == (var.notification_topic_arn != null), true)
    error_message = "create_notifications = true needs a notification_topic_arn, and create_notifications = false needs notification_topic_arn = null."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let `terraform destroy` delete the vault's recovery points and then the vault (dev and previews). Without it, destroying a vault that still holds recovery points fails, which keeps the backups. Not allowed in prod."
  default     = false
  nullable    = false

  validation {
    condition     = !(var.force_destroy && var.environment == "prod")
    error_message = "force_destroy must be false in prod: a teardown must never delete the backups."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags). The vault and its key also get DataClassification = \"personal\": they hold database backups."
  default     = {}
  nullable    = false
}
