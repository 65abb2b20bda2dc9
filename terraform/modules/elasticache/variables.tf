# Some checks read other variables (allowed since Terraform 1.9) so that staging and prod cannot
# be planned with a single node or without snapshots.

################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Replication group ID, e.g. \"ngapp-dev-cache\"; also names the parameter group, subnet group, security group and slow log group. ElastiCache rules: 1-40 characters of a-z, 0-9 and '-', starting with a letter, without \"--\" and not ending with '-'."

  validation {
    condition     = length(var.name) <= 40 && can(regex("^[a-z]([a-z0-9-]*[a-z0-9])?$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 1-40 characters of a-z, 0-9 and '-', start with a letter, not end with '-' and not contain \"--\"."
  }
}

variable "environment" {
  type        = string
  description = "Environment the cache serves, e.g. \"dev\", \"staging\", \"prod\" or \"preview-123\". \"staging\" and \"prod\" need at least 2 nodes and snapshots."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
  }
}

################################################################################
# Engine and size
################################################################################

variable "engine" {
  type        = string
  description = "Cache engine: \"redis\" (Redis OSS) or \"valkey\"."
  default     = "redis"
  nullable    = false

  validation {
    condition     = contains(["redis", "valkey"], var.engine)
    error_message = "engine must be \"redis\" or \"valkey\"."
  }
}

variable "engine_version" {
  type        = string
  description = "Engine version as major.minor, 7 or later (e.g. \"7.1\" for redis, \"7.2\" or \"8.0\" for valkey). Null picks 7.1 for redis and 8.0 for valkey. The major version selects the parameter group family."
  default     = null

  validation {
    # Major 7-9 or two digits: AUTH token rotation (ROTATE) and TLS-only mode need 7.
    condition     = var.engine_version == null || can(regex("^([7-9]|[1-9][0-9])\\.[0-9]+$", var.engine_version))
    error_message = "engine_version must be major.minor with a major version of 7 or later, e.g. \"7.1\"."
  }

  validation {
    condition     = var.engine != "valkey" || var.engine_version == null || !can(regex("^7\\.[01]$", var.engine_version))
    error_message = "engine_version must be 7.2 or later for valkey (ElastiCache's first Valkey version)."
  }
}

variable "node_type" {
  type        = string
  description = "Node instance type, e.g. \"cache.t4g.micro\" or \"cache.r7g.large\"."
  default     = "cache.t4g.micro"
  nullable    = false

  validation {
    condition     = can(regex("^cache\\.[a-z0-9-]+\\.[a-z0-9]+$", var.node_type))
    error_message = "node_type must be an ElastiCache node type such as \"cache.t4g.micro\"."
  }
}

variable "num_cache_clusters" {
  type        = number
  description = "Nodes: one primary plus replicas, 1-6. With 2 or more, automatic failover and Multi-AZ are on. At least 2 in staging and prod."
  default     = 1
  nullable    = false

  validation {
    condition     = var.num_cache_clusters >= 1 && var.num_cache_clusters <= 6 && floor(var.num_cache_clusters) == var.num_cache_clusters
    error_message = "num_cache_clusters must be a whole number from 1 to 6."
  }

  validation {
    condition     = !contains(["staging", "prod"], var.environment) || var.num_cache_clusters >= 2
    error_message = "num_cache_clusters must be at least 2 in staging and prod: one node is a single point of failure and cannot fail over."
  }
}

variable "port" {
  type        = number
  description = "Port the nodes listen on."
  default     = 6379
  nullable    = false

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be a whole number from 1 to 65535."
  }
}

variable "maxmemory_policy" {
  type        = string
  description = "Eviction policy when memory is full (the maxmemory-policy parameter). The default evicts least recently used keys that have a TTL."
  default     = "volatile-lru"
  nullable    = false

  validation {
    condition     = contains(["volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random", "allkeys-random", "volatile-ttl", "noeviction"], var.maxmemory_policy)
    error_message = "maxmemory_policy must be one of volatile-lru, allkeys-lru, volatile-lfu, allkeys-lfu, volatile-random, allkeys-random, volatile-ttl, noeviction."
  }
}

variable "extra_parameters" {
  type        = map(string)
  description = "Further parameters of the parameter group, name -> value, e.g. { \"notify-keyspace-events\" = \"Ex\" }. Not maxmemory-policy (use maxmemory_policy) nor cluster-enabled (the module builds cluster-mode-disabled groups)."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.extra_parameters) : can(regex("^[a-z][a-z0-9-]*$", k))])
    error_message = "extra_parameters names must be parameter names such as \"notify-keyspace-events\" (a-z, 0-9, '-')."
  }

  validation {
    condition     = !contains(keys(var.extra_parameters), "maxmemory-policy") && !contains(keys(var.extra_parameters), "cluster-enabled")
    error_message = "extra_parameters must not set maxmemory-policy (use maxmemory_policy) or cluster-enabled (cluster mode is not supported)."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  type        = string
  description = "ID of the VPC holding the subnets (e.g. the vpc module's vpc_id)."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as \"vpc-0123456789abcdef0\"."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the cache's subnet group: the vpc module's database_subnet_ids (no internet route). At least 2, in different AZs, so a replica can sit in another AZ than the primary."

  validation {
    condition     = length(var.subnet_ids) >= 2 && length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must list at least 2 distinct subnets."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "subnet_ids must be subnet IDs such as \"subnet-0123456789abcdef0\"."
  }
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups that may connect on the cache port: the service's tasks (the ecs module's service_security_group_id) and the rotation Lambda's. Nothing else can reach the cache. The IDs may be unknown at plan time; the list's length may not."

  validation {
    condition     = length(var.allowed_security_group_ids) >= 1 && length(distinct(var.allowed_security_group_ids)) == length(var.allowed_security_group_ids)
    error_message = "allowed_security_group_ids must list at least one security group, without duplicates."
  }

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "allowed_security_group_ids must be security group IDs such as \"sg-0123456789abcdef0\"."
  }
}

################################################################################
# Encryption and AUTH
################################################################################

variable "kms_key_arn" {
  type        = string
  description = "ARN of the customer-managed KMS key (in the cache's region) encrypting the nodes' disks and snapshots and the slow log group. Changing it replaces the replication group."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "auth_token_secret_arn" {
  type        = string
  description = "ARN of the Secrets Manager secret holding the AUTH token (created by the secrets module). The module never reads it: the rotation Lambda applies the token to the group named by the secret's replication_group_id field. Passed back as the auth_token_secret_arn output."

  validation {
    # The ARN becomes a tag value: at most 256 characters, and a secret name's characters are all
    # allowed in ElastiCache tag values.
    condition     = length(var.auth_token_secret_arn) <= 256 && can(regex("^arn:aws(-[a-z]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.auth_token_secret_arn))
    error_message = "auth_token_secret_arn must be a full Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>) of at most 256 characters."
  }
}

################################################################################
# Snapshots and maintenance
################################################################################

variable "snapshot_retention_limit" {
  type        = number
  description = "Days automatic daily snapshots are kept, 0-35 (0 turns them off). At least 1 in staging and prod."
  default     = 7
  nullable    = false

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35 && floor(var.snapshot_retention_limit) == var.snapshot_retention_limit
    error_message = "snapshot_retention_limit must be a whole number from 0 to 35."
  }

  validation {
    condition     = !contains(["staging", "prod"], var.environment) || var.snapshot_retention_limit >= 1
    error_message = "snapshot_retention_limit must be at least 1 in staging and prod: without snapshots a lost group cannot be restored."
  }
}

variable "snapshot_window" {
  type        = string
  description = "Daily UTC window in which the snapshot starts, hh24:mi-hh24:mi, at least 60 minutes. Keep it clear of maintenance_window."
  default     = "03:00-04:00"
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
    error_message = "snapshot_window must be hh24:mi-hh24:mi in UTC, e.g. \"03:00-04:00\"."
  }

  validation {
    # Minutes from start to end (b: the two times in minutes); the window may cross midnight. A
    # malformed value passes here (try) and fails the format check above.
    condition = try(alltrue([
      for b in [[for t in regexall("(\\d\\d):(\\d\\d)", var.snapshot_window) : tonumber(t[0]) * 60 + tonumber(t[1])]] :
      (b[1] - b[0] + 1440) % 1440 >= 60
    ]), true)
    error_message = "snapshot_window must be at least 60 minutes long."
  }
}

variable "maintenance_window" {
  type        = string
  description = "Weekly UTC maintenance window, ddd:hh24:mi-ddd:hh24:mi in lower case, 60 minutes to 24 hours."
  default     = "sun:04:30-sun:05:30"
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be ddd:hh24:mi-ddd:hh24:mi in UTC with lower-case days, e.g. \"sun:04:30-sun:05:30\"."
  }

  validation {
    # Minutes from start to end (b: the two times in minutes of the week); the window may cross
    # the end of the week. A malformed value passes here (try) and fails the format check above.
    condition = try(alltrue([
      for b in [[
        for t in regexall("([a-z]{3}):(\\d\\d):(\\d\\d)", var.maintenance_window) :
        index(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], t[0]) * 1440 + tonumber(t[1]) * 60 + tonumber(t[2])
      ]] :
      (b[1] - b[0] + 10080) % 10080 >= 60 && (b[1] - b[0] + 10080) % 10080 <= 1440
    ]), true)
    error_message = "maintenance_window must be 60 minutes to 24 hours long."
  }
}

variable "final_snapshot" {
  type        = bool
  description = "Take a final snapshot named \"<name>-final\" when the replication group is destroyed. Prod roots set true."
  default     = false
  nullable    = false
}

variable "apply_immediately" {
  type        = bool
  description = "Apply changes (node type, engine version, parameter group) at once instead of in the next maintenance window. Some cause a failover or a restart."
  default     = false
  nullable    = false
}

################################################################################
# Reserved capacity
################################################################################

variable "reservation" {
  type = object({
    enabled        = optional(bool, false)
    duration_years = optional(number, 1)
    offering_type  = optional(string, "No Upfront")
    node_count     = optional(number, 1)
    id             = optional(string)
  })
  description = "Reserved capacity for the cache, off by default: when enabled, buy the ElastiCache reserved node offering for node_type (product description: the engine), for duration_years (1 or 3, asked as \"P1Y\"/\"P3Y\"), paid \"No Upfront\", \"Partial Upfront\" or \"All Upfront\", for node_count nodes (default 1; num_cache_clusters covers every node of the group). id: the reservation ID; null derives \"<name>-<1|3>y-<no|partial|all>-upfront\". A purchase is an irrevocable commitment for the whole term: disabling it or `terraform destroy` only forgets it, and changing node_type or node_count plans a new purchase (see README, \"Reserved capacity\")."
  default     = {}
  nullable    = false

  validation {
    condition     = contains([1, 3], var.reservation.duration_years)
    error_message = "reservation.duration_years must be 1 or 3: ElastiCache sells reservations for one or three years."
  }

  validation {
    condition     = contains(["No Upfront", "Partial Upfront", "All Upfront"], var.reservation.offering_type)
    error_message = "reservation.offering_type must be \"No Upfront\", \"Partial Upfront\" or \"All Upfront\" (the Light/Medium/Heavy Utilization types are for previous-generation nodes only)."
  }

  validation {
    condition     = var.reservation.node_count >= 1 && floor(var.reservation.node_count) == var.reservation.node_count
    error_message = "reservation.node_count must be a whole number of at least 1."
  }

  validation {
    condition     = var.reservation.id == null || can(regex("^[a-z][a-z0-9-]{0,254}$", var.reservation.id))
    error_message = "reservation.id must be null (derived from name and term) or 1-255 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

################################################################################
# Slow log and tags
################################################################################

variable "log_retention_days" {
  type        = number
  description = "Days to keep the slow log in CloudWatch Logs. Must be one of CloudWatch's retention values; 0 (never expire) is not allowed."
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags). The module's Name tag takes precedence."
  default     = {}
  nullable    = false
}
