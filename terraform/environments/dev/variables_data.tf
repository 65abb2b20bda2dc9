# Sizes of the data tier; the environment's terraform.tfvars sets them.

variable "rotation_lambda_zip" {
  type        = string
  description = "Path of the rotation Lambda's zip; `infra` builds it (infra package lambdas) and sets this."

  validation {
    condition     = endswith(var.rotation_lambda_zip, ".zip")
    error_message = "rotation_lambda_zip must be the path of a .zip file (built by `infra package lambdas`)."
  }
}

variable "secret_rotation_days" {
  type        = number
  description = "Rotate the database login every this many days."
  default     = 30
  nullable    = false
}

variable "database_app_username" {
  type        = string
  description = "Base name of the application's database login; rotation alternates it with <name>_clone."
  default     = "app"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]{0,50}$", var.database_app_username))
    error_message = "database_app_username must be 1-51 characters of a-z, 0-9 and _, not starting with a digit."
  }
}

variable "database_instance_class" {
  type        = string
  description = "RDS instance class of the primary and its replicas."
  default     = "db.t4g.micro"
  nullable    = false
}

variable "database_multi_az" {
  type        = bool
  description = "Run a synchronous standby in a second AZ (required in prod by the rds module)."
  default     = false
  nullable    = false
}

variable "database_allocated_storage" {
  type        = number
  description = "Initial gp3 storage in GiB (storage autoscaling grows it)."
  default     = 20
  nullable    = false
}

variable "database_read_replica_count" {
  type        = number
  description = "Number of read replicas (0 in dev)."
  default     = 0
  nullable    = false
}

variable "cache_node_type" {
  type        = string
  description = "ElastiCache node type."
  default     = "cache.t4g.micro"
  nullable    = false
}

variable "cache_nodes" {
  type        = number
  description = "Redis nodes (primary + replicas); 2 or more enables automatic failover across AZs."
  default     = 1
  nullable    = false
}

variable "final_snapshots" {
  type        = bool
  description = "Snapshot the database and the cache when they are destroyed (prod: true). Separate from deletion_protection, which `infra down` lifts before destroying."
  default     = false
  nullable    = false
}

variable "reserved_capacity" {
  type = object({
    enabled        = optional(bool, false)
    duration_years = optional(number, 1)
    offering_type  = optional(string, "No Upfront")
    # How many instances / nodes the reservations cover (rds and elasticache modules' READMEs).
    database_instances = optional(number, 1)
    cache_nodes        = optional(number, 1)
  })
  description = "Reserved capacity for the database and the cache, OFF by default (docs/adr/0006): a 1- or 3-year purchase (offering_type \"No Upfront\", \"Partial Upfront\" or \"All Upfront\") that `terraform destroy` cannot undo. Only for prod, after steady use, with --target aws (the emulator sells none); `infra ops cost-report` shows the saving. database_instances (default 1, the primary) and cache_nodes (default 1; the cache_nodes variable's value covers the whole group) are the counts reserved; they never follow the sizes by themselves, since a changed count is a new purchase."
  default = {
    enabled        = false
    duration_years = 1
    offering_type  = "No Upfront"
  }
  nullable = false
}
