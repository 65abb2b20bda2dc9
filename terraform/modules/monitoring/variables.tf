# Identity, network, ALB and bookkeeping inputs. The services' configuration and sizes live in
# variables_services.tf, the CloudWatch alarms' inputs in variables_alarms.tf.

################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Name of the monitoring stack, e.g. \"ngapp-dev-monitoring\"; prefixes the ECS services, task families, roles (\"<name>-execution\", \"<name>-task\", \"<name>-alarm-forwarder\"), security groups, log groups, file system, SNS topic, Lambda and alarms. 1-40 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-' (\"-alarm-forwarder\" must stay within IAM's 64 characters)."

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 1-40 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-' and without \"--\"."
  }
}

variable "environment" {
  type        = string
  description = "Environment monitored, e.g. \"dev\", \"staging\", \"prod\" or \"preview-123\": names the Cloud Map namespace (\"<environment>.monitoring.internal\") and is Prometheus's `environment` external label."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment)) && !endswith(var.environment, "-")
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

################################################################################
# Network
################################################################################

variable "vpc_id" {
  type        = string
  description = "ID of the environment's VPC: the Cloud Map namespace, file system and tasks live in it."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as \"vpc-0123456789abcdef0\"."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC: Prometheus may connect to the scrape_services' ports within it (the scraped services' own security groups must also let security_group_id in)."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("^[0-9.]+/[0-9]+$", var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR block such as \"10.10.0.0/16\"."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets (with NAT egress, for image pulls and PagerDuty/Slack) of the tasks and the file system's mount targets, at least 2 in different AZs."

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && length(distinct(var.private_subnet_ids)) == length(var.private_subnet_ids)
    error_message = "private_subnet_ids must list at least 2 distinct subnets."
  }

  validation {
    condition     = alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "private_subnet_ids must be subnet IDs such as \"subnet-0123456789abcdef0\"."
  }
}

variable "cluster_arn" {
  type        = string
  description = "ARN of the environment's ECS cluster (the ecs module's cluster_arn) the three services run in."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255}$", var.cluster_arn))
    error_message = "cluster_arn must be an ECS cluster ARN such as \"arn:aws:ecs:af-south-1:123456789012:cluster/ngapp-dev-api\"."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of the environment's KMS key: encrypts the file system, SNS topic, log groups and the Lambda's environment, and protects the three secrets. Its policy must let CloudWatch Logs use it for log groups and CloudWatch (cloudwatch.amazonaws.com) call kms:Decrypt and kms:GenerateDataKey* so alarms can publish to the encrypted topic."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$", var.kms_key_arn)) || can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/mrk-[0-9a-f]{32}$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (not an alias) such as \"arn:aws:kms:af-south-1:123456789012:key/<uuid>\"."
  }
}

################################################################################
# Grafana behind the service's ALB
################################################################################

variable "alb_listener_arn" {
  type        = string
  description = "ARN of the HTTPS listener of the service's ALB (the ecs module's https_listener_arn); Grafana gets a host-header rule on it. Its certificate must cover grafana_host."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+$", var.alb_listener_arn))
    error_message = "alb_listener_arn must be an application load balancer listener ARN."
  }
}

variable "alb_security_group_id" {
  type        = string
  description = "ID of the ALB's security group (the ecs module's alb_security_group_id): the only source Grafana accepts, given an egress rule to Grafana's port by this module."

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.alb_security_group_id))
    error_message = "alb_security_group_id must be a security group ID such as \"sg-0123456789abcdef0\"."
  }
}

variable "grafana_host" {
  type        = string
  description = "Host name Grafana answers on through the ALB, e.g. \"grafana.dev.ngapp.example\"; also Grafana's root URL (https://<grafana_host>) and cookie domain. The caller points a DNS record at the ALB."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.grafana_host)) && length(var.grafana_host) <= 253
    error_message = "grafana_host must be a lower-case DNS name such as \"grafana.dev.ngapp.example\"."
  }
}

variable "listener_rule_priority" {
  type        = number
  description = "Priority of Grafana's rule on the HTTPS listener (1-50000, unique on the listener)."
  default     = 100
  nullable    = false

  validation {
    condition     = var.listener_rule_priority >= 1 && var.listener_rule_priority <= 50000 && floor(var.listener_rule_priority) == var.listener_rule_priority
    error_message = "listener_rule_priority must be a whole number from 1 to 50000."
  }
}

################################################################################
# Logs and tags
################################################################################

variable "log_retention_days" {
  type        = number
  description = "Retention of the services' and the forwarder's log groups, in days (a value CloudWatch Logs accepts)."
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags of every resource (the caller adds e.g. BackupPlan to select the file system for backups)."
  default     = {}
  nullable    = false
}
