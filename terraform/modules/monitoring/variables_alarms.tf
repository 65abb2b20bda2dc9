# CloudWatch alarms on the AWS-managed parts (RDS, ElastiCache, ALB) and the Lambda that forwards
# them to PagerDuty and Slack. Identifiers are for_each keys: pass values known at plan time
# (names the caller configured, not attributes AWS computes).

variable "db_instance_identifiers" {
  type        = list(string)
  description = "RDS instances (primary and replicas) watched for CPU, free storage and connections."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.db_instance_identifiers : can(regex("^[a-z][a-z0-9-]{0,62}$", id))]) && length(distinct(var.db_instance_identifiers)) == length(var.db_instance_identifiers)
    error_message = "db_instance_identifiers must be distinct RDS instance identifiers (a-z, 0-9, '-', starting with a letter)."
  }
}

variable "db_replica_identifiers" {
  type        = list(string)
  description = "RDS read replicas additionally watched for replica lag (usually also in db_instance_identifiers)."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.db_replica_identifiers : can(regex("^[a-z][a-z0-9-]{0,62}$", id))]) && length(distinct(var.db_replica_identifiers)) == length(var.db_replica_identifiers)
    error_message = "db_replica_identifiers must be distinct RDS instance identifiers (a-z, 0-9, '-', starting with a letter)."
  }
}

variable "cache_replication_group_id" {
  type        = string
  description = "ElastiCache replication group whose member clusters are watched, or null for none."
  default     = null

  validation {
    condition     = var.cache_replication_group_id == null || can(regex("^[a-z][a-z0-9-]{0,39}$", var.cache_replication_group_id))
    error_message = "cache_replication_group_id must be null or a replication group id (a-z, 0-9, '-', starting with a letter, at most 40 characters)."
  }
}

variable "cache_member_cluster_ids" {
  type        = list(string)
  description = "Member clusters of cache_replication_group_id (\"<group>-001\", \"-002\", ...) watched for engine CPU, memory use and evictions; requires cache_replication_group_id."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.cache_member_cluster_ids : can(regex("^[a-z][a-z0-9-]{0,49}$", id))]) && length(distinct(var.cache_member_cluster_ids)) == length(var.cache_member_cluster_ids)
    error_message = "cache_member_cluster_ids must be distinct cache cluster ids (a-z, 0-9, '-', starting with a letter)."
  }

  validation {
    condition     = length(var.cache_member_cluster_ids) == 0 || var.cache_replication_group_id != null
    error_message = "cache_member_cluster_ids needs cache_replication_group_id."
  }

  validation {
    condition     = var.cache_replication_group_id == null || alltrue([for id in var.cache_member_cluster_ids : startswith(id, "${coalesce(var.cache_replication_group_id, "-")}-")])
    error_message = "cache_member_cluster_ids must be members of cache_replication_group_id (\"<group>-NNN\")."
  }
}

variable "alb_arn_suffix" {
  type        = string
  description = "ARN suffix of the service's ALB (the ecs module's alb_arn_suffix, \"app/<name>/<id>\"), the LoadBalancer dimension of its metrics."
  nullable    = false

  validation {
    condition     = can(regex("^app/[A-Za-z0-9-]+/[0-9a-f]+$", var.alb_arn_suffix))
    error_message = "alb_arn_suffix must look like \"app/<name>/<id>\"."
  }
}

variable "target_group_arn_suffix" {
  type        = string
  description = "ARN suffix of the service's target group (\"targetgroup/<name>/<id>\"), the TargetGroup dimension of its metrics."
  nullable    = false

  validation {
    condition     = can(regex("^targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$", var.target_group_arn_suffix))
    error_message = "target_group_arn_suffix must look like \"targetgroup/<name>/<id>\"."
  }
}

variable "thresholds" {
  type = object({
    db_cpu_percent          = optional(number, 80)
    db_free_storage_bytes   = optional(number, 2147483648)
    db_connections          = optional(number, 80)
    db_replica_lag_seconds  = optional(number, 60)
    cache_cpu_percent       = optional(number, 80)
    cache_memory_percent    = optional(number, 90)
    cache_evictions         = optional(number, 100)
    alb_5xx_count           = optional(number, 10)
    target_5xx_count        = optional(number, 25)
    unhealthy_hosts_minutes = optional(number, 5)
  })
  description = "Alarm thresholds. Percentages and bytes are averages over 15 minutes (3 x 5 min); connections the maximum over 15 minutes; replica lag the maximum over 10 minutes; evictions and 5xx counts sums per 5 minutes; unhealthy_hosts_minutes the consecutive minutes with an unhealthy target before it pages."
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for k, v in var.thresholds : v != null && v >= 0]) && alltrue([
      for v in [var.thresholds.db_cpu_percent, var.thresholds.cache_cpu_percent, var.thresholds.cache_memory_percent] : v > 0 && v <= 100
    ])
    error_message = "thresholds must be non-negative numbers, and the percentages between 0 (exclusive) and 100."
  }

  validation {
    condition     = var.thresholds.unhealthy_hosts_minutes >= 1 && var.thresholds.unhealthy_hosts_minutes <= 60 && floor(var.thresholds.unhealthy_hosts_minutes) == var.thresholds.unhealthy_hosts_minutes
    error_message = "thresholds.unhealthy_hosts_minutes must be a whole number from 1 to 60."
  }
}

variable "forwarder_lambda_zip" {
  type        = string
  description = "Path of the project's Lambda zip (`infra package lambdas`: .infra/lambdas/rotate_postgres.zip), which holds the alarm forwarder deployment_infra.lambdas.notify_alarm."
  nullable    = false

  validation {
    condition     = endswith(var.forwarder_lambda_zip, ".zip")
    error_message = "forwarder_lambda_zip must be the path of a .zip file."
  }
}
