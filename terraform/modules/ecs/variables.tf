# Identity, network, TLS and bookkeeping inputs. Container, capacity and logging inputs live in
# variables_container.tf, variables_capacity.tf and variables_logs.tf.

################################################################################
# Identity
################################################################################

variable "name" {
  type        = string
  description = "Service name, e.g. \"ngapp-dev-api\"; also names the cluster, ALB, target group, task family, roles and log group. 1-32 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-' nor starting with \"internal-\" (ALB and target group names are capped at 32)."

  validation {
    # ELB reserves the "internal-" prefix for load balancer names.
    condition     = can(regex("^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", var.name)) && !startswith(var.name, "internal-")
    error_message = "name must be 1-32 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-' and not starting with \"internal-\"."
  }
}

variable "environment" {
  type        = string
  description = "Environment the service runs in, e.g. \"dev\", \"staging\", \"prod\" or \"preview-123\". \"staging\" and \"prod\" get the stricter zero-downtime checks."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of lower-case a-z, 0-9 and '-', starting with a letter."
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

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets for the ALB, at least 2 in different AZs (an ALB needs two AZs)."

  validation {
    condition     = length(var.public_subnet_ids) >= 2 && length(distinct(var.public_subnet_ids)) == length(var.public_subnet_ids)
    error_message = "public_subnet_ids must list at least 2 distinct subnets."
  }

  validation {
    condition     = alltrue([for id in var.public_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "public_subnet_ids must be subnet IDs such as \"subnet-0123456789abcdef0\"."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets (with NAT egress) for the tasks, at least 2 in different AZs so one AZ outage leaves tasks running."

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && length(distinct(var.private_subnet_ids)) == length(var.private_subnet_ids)
    error_message = "private_subnet_ids must list at least 2 distinct subnets."
  }

  validation {
    condition     = alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "private_subnet_ids must be subnet IDs such as \"subnet-0123456789abcdef0\"."
  }
}

variable "assign_public_ip" {
  type        = bool
  description = "Give tasks a public IP so they reach ECR and AWS APIs without NAT (pass public subnets as private_subnet_ids then; throwaway preview environments only). The service security group still admits the ALB only."
  default     = false
  nullable    = false
}

variable "allowed_ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDR blocks that may reach the ALB on ports 80 and 443."
  default     = ["0.0.0.0/0"]
  nullable    = false

  validation {
    condition     = length(var.allowed_ingress_cidrs) >= 1 && length(distinct(var.allowed_ingress_cidrs)) == length(var.allowed_ingress_cidrs)
    error_message = "allowed_ingress_cidrs must list at least one CIDR block, without duplicates."
  }

  validation {
    condition     = alltrue([for c in var.allowed_ingress_cidrs : can(regex("^[0-9.]+/[0-9]+$", c)) && try(cidrsubnet(c, 0, 0) == c, false)])
    error_message = "allowed_ingress_cidrs must be IPv4 CIDR blocks written as their network address, e.g. \"0.0.0.0/0\" or \"198.51.100.0/24\"."
  }
}

################################################################################
# TLS
################################################################################

variable "certificate_arn" {
  type        = string
  description = "ARN of the ACM certificate the HTTPS listener serves; it must be in the ALB's region."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "ssl_policy" {
  type        = string
  description = "ELB security policy of the HTTPS listener. The default allows TLS 1.3 and 1.2 only."
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  nullable    = false

  validation {
    condition     = can(regex("^ELBSecurityPolicy-[A-Za-z0-9-]+$", var.ssl_policy))
    error_message = "ssl_policy must be an ELB security policy name such as \"ELBSecurityPolicy-TLS13-1-2-2021-06\"."
  }
}

################################################################################
# Release bookkeeping and tags
################################################################################

variable "release_parameter_prefix" {
  type        = string
  description = "SSM path prefix, e.g. \"/ngapp/dev\"; the parameter \"<prefix>/<name>/release\" records the deployed image and task definition."

  validation {
    condition     = can(regex("^(/[A-Za-z0-9_.-]+)+$", var.release_parameter_prefix))
    error_message = "release_parameter_prefix must be an SSM path such as \"/ngapp/dev\": starting with '/', no trailing '/', segments of A-Z, a-z, 0-9, '_', '.', '-'."
  }
}

variable "service_registry_arn" {
  type        = string
  description = "ARN of a Cloud Map service with SRV records that the service's tasks register in (container app, container_port), e.g. so Prometheus discovers them; null: none."
  default     = null

  validation {
    condition     = var.service_registry_arn == null || can(regex("^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:[0-9]{12}:service/srv-[a-z0-9]+$", var.service_registry_arn))
    error_message = "service_registry_arn must be a Cloud Map service ARN (arn:aws:servicediscovery:<region>:<account>:service/srv-...)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
