# Several checks read other variables (allowed since Terraform 1.9) so that prod cannot be planned
# without its hardening and windows that RDS would refuse fail at plan time.

################################################################################
# Identity
################################################################################

variable "identifier" {
  type        = string
  description = "DB instance identifier, e.g. \"ngapp-dev-db\"; also names the replicas (\"<identifier>-replica-01\"), security group, parameter group, monitoring role and log groups. 1-52 characters of a-z, 0-9 and '-', starting with a letter, without \"--\" and not ending with '-' (52 so that \"-replica-NN\" and \"-monitoring\" stay within RDS's 63 and IAM's 64 characters)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,51}$", var.identifier)) && !strcontains(var.identifier, "--") && !endswith(var.identifier, "-")
    error_message = "identifier must be 1-52 characters of a-z, 0-9 and '-', starting with a letter, without \"--\" and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "Environment the database serves, e.g. \"dev\", \"staging\", \"prod\" or \"preview-123\". \"prod\" must be multi-AZ and deletion-protected."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

variable "data_classification" {
  type        = string
  description = "DataClassification tag of the instances, their snapshots and log groups (the policy gate checks their region against it). The application's database holds personal data."
  default     = "personal"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z-]{0,62}$", var.data_classification))
    error_message = "data_classification must be a lower-case class name such as \"personal\" or \"sensitive-personal\"."
  }
}

################################################################################
# Engine and size
################################################################################

variable "engine_version" {
  type        = string
  description = "PostgreSQL version: a major (\"16\", \"17\"), which then follows AWS's minor releases (auto_minor_version_upgrade is on), or a minor such as \"16.4\". A pinned minor falls behind once AWS upgrades the instance, and Terraform would then try to downgrade it: prefer the major. Changing the major upgrades the instance (and its replicas) in place."
  default     = "16"
  nullable    = false

  validation {
    condition     = can(regex("^(16|17)(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be PostgreSQL 16 or 17: \"16\", \"17\" or a minor such as \"16.4\"."
  }
}

variable "instance_class" {
  type        = string
  description = "Instance class of the primary, e.g. \"db.t4g.micro\" (dev) or \"db.m7g.large\"."
  default     = "db.t4g.micro"
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as \"db.t4g.micro\"."
  }
}

variable "replica_instance_class" {
  type        = string
  description = "Instance class of the read replicas; null uses instance_class."
  default     = null

  validation {
    condition     = var.replica_instance_class == null || can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.replica_instance_class))
    error_message = "replica_instance_class must be null or an RDS instance class such as \"db.t4g.small\"."
  }
}

variable "allocated_storage" {
  type        = number
  description = "Initial gp3 storage in GiB (20-65536). Storage autoscaling grows it afterwards, and then owns it."
  default     = 20
  nullable    = false

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "max_allocated_storage" {
  type        = number
  description = "Upper limit in GiB of storage autoscaling, at least allocated_storage; 0 turns autoscaling off."
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_allocated_storage == 0 || (var.max_allocated_storage >= var.allocated_storage && var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage)
    error_message = "max_allocated_storage must be 0 (no autoscaling) or a whole number of GiB from allocated_storage to 65536."
  }
}

################################################################################
# Database and credentials
################################################################################

variable "db_name" {
  type        = string
  description = "Name of the database created in the instance: 1-63 characters of a-z, 0-9 and '_', starting with a letter; not postgres, template0, template1 or rdsadmin. Changing it replaces the instance."
  default     = "app"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name)) && !contains(["postgres", "template0", "template1", "rdsadmin"], var.db_name)
    error_message = "db_name must be 1-63 characters of a-z, 0-9 and '_', starting with a letter, and not postgres, template0, template1 or rdsadmin."
  }
}

variable "master_username" {
  type        = string
  description = "Master user name: 1-63 characters of a-z, 0-9 and '_', starting with a letter. Well-known names (postgres, admin, RDS's own users) and the pg_/rds_ prefixes are refused. The password is generated and kept by RDS in Secrets Manager. Changing it replaces the instance."
  default     = "postgres_admin"
  nullable    = false

  validation {
    condition = (
      can(regex("^[a-z][a-z0-9_]{0,62}$", var.master_username)) &&
      !contains(["postgres", "admin", "root", "rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin"], var.master_username) &&
      !startswith(var.master_username, "pg_") && !startswith(var.master_username, "rds_")
    )
    error_message = "master_username must be 1-63 characters of a-z, 0-9 and '_', starting with a letter, and not postgres, admin, root, RDS's own users (rdsadmin, rdsrepladmin, rdstopmgr, rdsproxyadmin) nor start with pg_ or rds_."
  }
}

variable "port" {
  type        = number
  description = "Port PostgreSQL listens on (1150-65535)."
  default     = 5432
  nullable    = false

  validation {
    condition     = var.port >= 1150 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be a whole number from 1150 to 65535."
  }
}

variable "iam_database_authentication_enabled" {
  type        = bool
  description = "Also accept IAM authentication tokens as passwords for users granted rds_iam."
  default     = false
  nullable    = false
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  type        = string
  description = "ID of the VPC of the database subnets (e.g. the vpc module's vpc_id)."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as \"vpc-0123456789abcdef0\"."
  }
}

variable "db_subnet_group_name" {
  type        = string
  description = "DB subnet group of the database subnets (the vpc module's database_subnet_group_name); it needs subnets in at least two AZs."

  validation {
    condition     = can(regex("^[A-Za-z0-9 ._-]{1,255}$", var.db_subnet_group_name)) && lower(var.db_subnet_group_name) != "default"
    error_message = "db_subnet_group_name must be the name of a DB subnet group (1-255 letters, digits, spaces, '.', '_', '-'), not \"default\"."
  }
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups whose members may connect on the database port, e.g. the ECS service's tasks (the ecs module's service_security_group_id) and the secret-rotation Lambda. Nothing else can reach the database. The IDs may be unknown until apply."

  validation {
    condition     = length(var.allowed_security_group_ids) >= 1 && length(distinct(var.allowed_security_group_ids)) == length(var.allowed_security_group_ids)
    error_message = "allowed_security_group_ids must list at least one security group, without duplicates."
  }

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "allowed_security_group_ids must be security group IDs such as \"sg-0123456789abcdef0\"."
  }
}

variable "multi_az" {
  type        = bool
  description = "Keep a synchronous standby in another AZ that RDS fails over to. Required in prod."
  default     = false
  nullable    = false

  validation {
    condition     = var.environment != "prod" || var.multi_az
    error_message = "multi_az must be true in prod: a single-AZ database is lost with its AZ."
  }
}

################################################################################
# Encryption
################################################################################

variable "kms_key_arn" {
  type        = string
  description = "ARN of the environment's customer-managed KMS key (in the database's region). It encrypts the storage, snapshots, the master user secret, Performance Insights data and the log groups; changing it replaces the instance."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

################################################################################
# Backups, maintenance and protection
################################################################################

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups, i.e. how far back point-in-time recovery reaches: 30 (the requirement) to 35 (RDS's maximum)."
  default     = 30
  nullable    = false

  validation {
    condition     = var.backup_retention_days >= 30 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number from 30 to 35: backups are kept for at least 30 days."
  }
}

variable "backup_window" {
  type        = string
  description = "Daily UTC window \"hh:mm-hh:mm\" (at least 30 minutes) in which the daily snapshot is taken. The default, 01:00-02:00 UTC, is 02:00-03:00 in Lagos."
  default     = "01:00-02:00"
  nullable    = false

  validation {
    condition = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window)) && try(
      (
        tonumber(substr(var.backup_window, 6, 2)) * 60 + tonumber(substr(var.backup_window, 9, 2)) -
        tonumber(substr(var.backup_window, 0, 2)) * 60 - tonumber(substr(var.backup_window, 3, 2)) + 1440
      ) % 1440 >= 30,
      false,
    )
    error_message = "backup_window must be a UTC window \"hh:mm-hh:mm\" of at least 30 minutes, e.g. \"01:00-02:00\"."
  }
}

variable "maintenance_window" {
  type        = string
  description = "Weekly UTC window \"ddd:hh:mm-ddd:hh:mm\" (days mon-sun, at least 30 minutes) for maintenance and pending changes; it must not overlap backup_window on any day."
  default     = "sun:02:30-sun:03:30"
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be a UTC window \"ddd:hh:mm-ddd:hh:mm\" with lower-case days mon-sun, e.g. \"sun:02:30-sun:03:30\"."
  }

  validation {
    # Minutes since Monday 00:00; the window may wrap past Sunday midnight.
    condition = try(
      (
        index(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], substr(var.maintenance_window, 10, 3)) * 1440 +
        tonumber(substr(var.maintenance_window, 14, 2)) * 60 + tonumber(substr(var.maintenance_window, 17, 2)) -
        index(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], substr(var.maintenance_window, 0, 3)) * 1440 -
        tonumber(substr(var.maintenance_window, 4, 2)) * 60 - tonumber(substr(var.maintenance_window, 7, 2)) + 10080
      ) % 10080 >= 30,
      true,
    )
    error_message = "maintenance_window must be at least 30 minutes long."
  }

  validation {
    # The backup window recurs daily; the maintenance window is weekly and may wrap past Sunday
    # midnight, so it is compared with the backup window of every day, shifted a week either way.
    condition = try(
      alltrue([
        for w in [{
          backup_start = tonumber(substr(var.backup_window, 0, 2)) * 60 + tonumber(substr(var.backup_window, 3, 2))
          backup_length = (
            tonumber(substr(var.backup_window, 6, 2)) * 60 + tonumber(substr(var.backup_window, 9, 2)) -
            tonumber(substr(var.backup_window, 0, 2)) * 60 - tonumber(substr(var.backup_window, 3, 2)) + 1440
          ) % 1440
          maintenance_start = (
            index(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], substr(var.maintenance_window, 0, 3)) * 1440 +
            tonumber(substr(var.maintenance_window, 4, 2)) * 60 + tonumber(substr(var.maintenance_window, 7, 2))
          )
          maintenance_length = (
            index(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], substr(var.maintenance_window, 10, 3)) * 1440 +
            tonumber(substr(var.maintenance_window, 14, 2)) * 60 + tonumber(substr(var.maintenance_window, 17, 2)) -
            index(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], substr(var.maintenance_window, 0, 3)) * 1440 -
            tonumber(substr(var.maintenance_window, 4, 2)) * 60 - tonumber(substr(var.maintenance_window, 7, 2)) + 10080
          ) % 10080
        }] :
        !anytrue(flatten([
          for day in range(7) : [
            for shift in [-10080, 0, 10080] :
            day * 1440 + w.backup_start + shift < w.maintenance_start + w.maintenance_length &&
            w.maintenance_start < day * 1440 + w.backup_start + w.backup_length + shift
          ]
        ]))
      ]),
      true,
    )
    error_message = "maintenance_window must not overlap backup_window (a daily window) on any day."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse deletion of the primary. The policy gate (DB-004) demands it in protected environments; `infra down` lifts it after confirmation, so the module does not insist. Replicas are never protected (they hold no data of their own)."
  default     = false
  nullable    = false
}

variable "final_snapshot" {
  type        = bool
  description = "Take a final snapshot and keep the automated backups until they expire when the primary is deleted. null follows deletion_protection; set it explicitly where a teardown that lifts protection must still keep the data (prod). Required (explicitly or through deletion_protection) in prod."
  default     = null

  validation {
    condition     = var.environment != "prod" || coalesce(var.final_snapshot, var.deletion_protection)
    error_message = "prod must keep a final snapshot: set final_snapshot = true (or deletion_protection = true)."
  }
}

variable "apply_immediately" {
  type        = bool
  description = "Apply changes that need a restart or failover (instance class, storage type, ...) at once instead of in the next maintenance window."
  default     = false
  nullable    = false
}

################################################################################
# Read replicas
################################################################################

variable "read_replica_count" {
  type        = number
  description = "Read replicas of the primary in the same region (0-5), named \"<identifier>-replica-01\" and up. 0 in dev."
  default     = 0
  nullable    = false

  validation {
    condition     = var.read_replica_count >= 0 && var.read_replica_count <= 5 && floor(var.read_replica_count) == var.read_replica_count
    error_message = "read_replica_count must be a whole number from 0 to 5."
  }
}

################################################################################
# Parameters
################################################################################

variable "log_min_duration_statement_ms" {
  type        = number
  description = "Log every statement running at least this many milliseconds (log_min_duration_statement); -1 logs none, 0 logs all."
  default     = 1000
  nullable    = false

  validation {
    condition     = var.log_min_duration_statement_ms >= -1 && var.log_min_duration_statement_ms <= 2147483647 && floor(var.log_min_duration_statement_ms) == var.log_min_duration_statement_ms
    error_message = "log_min_duration_statement_ms must be a whole number from -1 to 2147483647."
  }
}

variable "extra_parameters" {
  type        = map(string)
  description = "Further PostgreSQL parameters, name => value, e.g. { shared_preload_libraries = \"pg_stat_statements\" }. They take effect at the next reboot (apply method pending-reboot). rds.force_ssl, log_connections and log_min_duration_statement are the module's."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for name in keys(var.extra_parameters) : can(regex("^[a-z][a-z0-9_.]*$", name))])
    error_message = "extra_parameters names must be PostgreSQL parameter names (a-z, 0-9, '_', '.', starting with a letter)."
  }

  validation {
    condition     = length(setintersection(keys(var.extra_parameters), ["rds.force_ssl", "log_connections", "log_min_duration_statement"])) == 0
    error_message = "extra_parameters must not set rds.force_ssl, log_connections or log_min_duration_statement: the module sets them (see log_min_duration_statement_ms)."
  }
}

################################################################################
# Monitoring and logs
################################################################################

variable "performance_insights_enabled" {
  type        = bool
  description = "Turn on Performance Insights (Database Insights standard mode), encrypted with kms_key_arn."
  default     = true
  nullable    = false
}

variable "performance_insights_retention_days" {
  type        = number
  description = "Days Performance Insights data is kept: 7 (included in the price), a multiple of 31 up to 713, or 731."
  default     = 7
  nullable    = false

  validation {
    condition     = contains(concat([7, 731], [for month in range(1, 24) : month * 31]), var.performance_insights_retention_days)
    error_message = "performance_insights_retention_days must be 7, 31 * n for n from 1 to 23, or 731."
  }
}

variable "monitoring_interval" {
  type        = number
  description = "Seconds between enhanced monitoring (OS metrics) samples: 1, 5, 10, 15, 30 or 60; 0 turns it off. When on, the module creates the IAM role RDS publishes the metrics with."
  default     = 0
  nullable    = false

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days to keep the exported postgresql and upgrade logs. One of CloudWatch's retention values; 0 (never expire) is not allowed."
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# Reserved capacity
################################################################################

variable "reservation" {
  type = object({
    enabled        = optional(bool, false)
    duration_years = optional(number, 1)
    offering_type  = optional(string, "No Upfront")
    instance_count = optional(number, 1)
    id             = optional(string)
  })
  description = "Reserved capacity for the database, off by default: when enabled, buy the RDS reserved DB instance offering for instance_class with the module's multi_az setting (postgresql), for duration_years (1 or 3), paid \"No Upfront\", \"Partial Upfront\" or \"All Upfront\", for instance_count instances (default 1, the primary; only instances of instance_class with the same Multi-AZ setting match, so 1 + read_replica_count only for a single-AZ primary with replicas of its class). id: the reservation ID; null derives \"<identifier>-<1|3>y-<no|partial|all>-upfront\". A purchase is an irrevocable commitment for the whole term: disabling it or `terraform destroy` only forgets it, and changing the class, Multi-AZ or count plans a new purchase (see README, \"Reserved capacity\")."
  default     = {}
  nullable    = false

  validation {
    condition     = contains([1, 3], var.reservation.duration_years)
    error_message = "reservation.duration_years must be 1 or 3: RDS sells reservations for one or three years."
  }

  validation {
    condition     = contains(["No Upfront", "Partial Upfront", "All Upfront"], var.reservation.offering_type)
    error_message = "reservation.offering_type must be \"No Upfront\", \"Partial Upfront\" or \"All Upfront\"."
  }

  validation {
    condition     = var.reservation.instance_count >= 1 && floor(var.reservation.instance_count) == var.reservation.instance_count
    error_message = "reservation.instance_count must be a whole number of at least 1."
  }

  validation {
    condition     = var.reservation.id == null || can(regex("^[a-z][a-z0-9-]{0,254}$", var.reservation.id))
    error_message = "reservation.id must be null (derived from identifier and term) or 1-255 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

################################################################################
# Tags
################################################################################

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
