################################################################################
# Rotation Lambda (only used when a secret has rotation set)
################################################################################

variable "rotation_lambda_zip" {
  type        = string
  description = "Path to the zip of the rotation Lambda built by `infra package lambdas` (handler deployment_infra.lambdas.rotate_<kind>.handler, Python 3.12, x86_64). Relative paths are taken from the directory Terraform runs in; the file must exist at plan time. Required when a secret has rotation set."
  default     = null

  validation {
    condition     = var.rotation_lambda_zip != null || alltrue([for s in values(var.secrets) : s.rotation == null])
    error_message = "rotation_lambda_zip is required when a secret has rotation set: build it with `infra package lambdas`."
  }

  validation {
    condition     = var.rotation_lambda_zip == null || try(endswith(var.rotation_lambda_zip, ".zip") && fileexists(var.rotation_lambda_zip), false)
    error_message = "rotation_lambda_zip must be the path of an existing .zip file."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC the rotation Lambda runs in, the database's VPC (e.g. the vpc module's vpc_id). Required when a secret has rotation set. May be unknown until apply."
  default     = null

  validation {
    condition     = var.vpc_id != null || alltrue([for s in values(var.secrets) : s.rotation == null])
    error_message = "vpc_id is required when a secret has rotation set."
  }

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as \"vpc-0123456789abcdef0\"."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets (with NAT or VPC endpoints for Secrets Manager, KMS and ECS) the rotation Lambda runs in; two or more in different AZs keep rotation working through an AZ outage. Required when a secret has rotation set. May be unknown until apply."
  default     = []
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 || alltrue([for s in values(var.secrets) : s.rotation == null])
    error_message = "subnet_ids must list at least one subnet when a secret has rotation set."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))]) && length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must be distinct subnet IDs such as \"subnet-0123456789abcdef0\"."
  }
}

variable "database_port" {
  type        = number
  description = "Port of the databases the rotation Lambda connects to; its security group allows this port out to the VPC's CIDR block."
  default     = 5432
  nullable    = false

  validation {
    condition     = var.database_port >= 1 && var.database_port <= 65535 && floor(var.database_port) == var.database_port
    error_message = "database_port must be a whole number from 1 to 65535."
  }
}

variable "cache_port" {
  type        = number
  description = "Port of the caches whose AUTH token the redis_auth rotation Lambda sets and tests; its security group allows this port out to the VPC's CIDR block."
  default     = 6379
  nullable    = false

  validation {
    condition     = var.cache_port >= 1 && var.cache_port <= 65535 && floor(var.cache_port) == var.cache_port
    error_message = "cache_port must be a whole number from 1 to 65535."
  }
}

variable "restart_service_arns" {
  type        = list(string)
  description = "ECS service ARNs the rotation Lambda rolls (UpdateService with a new deployment) after finishSecret, so running tasks pick up the new credentials; its role may update and describe exactly these. May be unknown until apply."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.restart_service_arns : can(regex("^arn:aws(-[a-z]+)*:ecs:[a-z0-9-]+:[0-9]{12}:service/[A-Za-z0-9_/-]+$", a))])
    error_message = "restart_service_arns must be ECS service ARNs (arn:aws:ecs:<region>:<account>:service/<cluster>/<service>)."
  }
}

variable "master_secret_arns" {
  type        = list(string)
  description = "ARNs of the RDS-managed master user secrets the rotation Lambda reads to create and alter users (the masterarn fields of the rotated secrets). May be unknown until apply."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.master_secret_arns : can(regex("^arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$", a))])
    error_message = "master_secret_arns must be Secrets Manager secret ARNs (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>)."
  }
}

variable "master_secret_kms_key_arns" {
  type        = list(string)
  description = "KMS keys encrypting the master user secrets, when not this module's key; the rotation Lambda may decrypt with them through Secrets Manager. May be unknown until apply."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.master_secret_kms_key_arns : can(regex("^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", a))])
    error_message = "master_secret_kms_key_arns must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "rotation_days" {
  type        = number
  description = "Days between automatic rotations of each rotated secret (1-90: no credential lives longer than 90 days)."
  default     = 30
  nullable    = false

  validation {
    condition     = var.rotation_days >= 1 && var.rotation_days <= 90 && floor(var.rotation_days) == var.rotation_days
    error_message = "rotation_days must be a whole number from 1 to 90."
  }
}

variable "rotate_immediately" {
  type        = bool
  description = "Rotate as soon as rotation is configured (and again when a seed is replaced). The first rotation creates the database user and stores its password; with false the secret has no password until you run the rotation yourself."
  default     = true
  nullable    = false
}

variable "rotation_lambda_tracing" {
  type        = bool
  description = "Trace the rotation Lambda with AWS X-Ray (mode Active) and let its role write traces."
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  type        = number
  description = "Days to keep the rotation Lambda's logs. Must be one of CloudWatch's retention values; 0 (never expire) is not allowed."
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

################################################################################
# Tags
################################################################################

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource that takes them (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
