variable "project" {
  type        = string
  description = "Project name (infra.toml project.name), the first part of resource names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "project must be 3-20 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "environment" {
  type        = string
  description = "Environment name (this directory's name), the second part of resource names."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.environment))
    error_message = "environment must be 1-31 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "region" {
  type        = string
  description = "AWS region to deploy into; af-south-1 (Cape Town) keeps data on the continent."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"af-south-1\"."
  }
}

variable "default_tags" {
  type        = map(string)
  description = "Tags every resource gets through the provider's default_tags (Project, Environment, ManagedBy, Owner, DataClassification, ...)."
  nullable    = false
}

variable "vpc_cidr" {
  type        = string
  description = "IPv4 CIDR block of the VPC (/16 to /24)."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block such as \"10.10.0.0/16\"."
  }
}

variable "az_count" {
  type        = number
  description = "Number of availability zones to use (2 or 3)."
  default     = 3
  nullable    = false

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count must be 2 or 3."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "Share one NAT gateway across AZs: cheaper, acceptable outside production."
  default     = true
  nullable    = false
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days to keep VPC flow logs (a CloudWatch Logs retention value)."
  default     = 30
  nullable    = false
}

variable "domain_name" {
  type        = string
  description = "The product's DNS domain (infra.toml project.domain); this environment lives at <environment>.<domain_name>."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as \"ngapp.example\"."
  }
}

variable "service_name" {
  type        = string
  description = "Short name of the containerised service (the last part of its ECR, ECS and ALB names)."
  default     = "api"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,9}$", var.service_name))
    error_message = "service_name must be 2-10 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "initial_image_tag" {
  type        = string
  description = "Image tag the service starts with before the first `infra deploy`; deploys own the image afterwards."
  default     = "bootstrap"
  nullable    = false
}

variable "container_port" {
  type        = number
  description = "Port the service's container listens on."
  default     = 8080
  nullable    = false
}

variable "cpu" {
  type        = number
  description = "Fargate task CPU units (256 = 0.25 vCPU)."
  default     = 256
  nullable    = false
}

variable "memory" {
  type        = number
  description = "Fargate task memory in MiB."
  default     = 512
  nullable    = false
}

variable "desired_count" {
  type        = number
  description = "Tasks the service starts with; autoscaling moves it between min_capacity and max_capacity."
  nullable    = false
}

variable "min_capacity" {
  type        = number
  description = "Fewest tasks autoscaling may run."
  nullable    = false
}

variable "max_capacity" {
  type        = number
  description = "Most tasks autoscaling may run."
  nullable    = false
}

variable "fargate_weight" {
  type        = number
  description = "Capacity provider weight of on-demand FARGATE."
  default     = 1
  nullable    = false
}

variable "fargate_spot_weight" {
  type        = number
  description = "Capacity provider weight of FARGATE_SPOT (0: no spot)."
  default     = 0
  nullable    = false
}

variable "fargate_base" {
  type        = number
  description = "Tasks that always run on on-demand FARGATE before weights apply."
  default     = 1
  nullable    = false
}

variable "requests_per_target" {
  type        = number
  description = "ALB requests per task to scale on (null: scale on CPU and memory only)."
  default     = null
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the load balancer from deletion (prod). `infra down` lifts it first, after confirmation."
  default     = false
  nullable    = false
}

variable "force_delete_images" {
  type        = bool
  description = "Let destroying the environment delete the ECR repository with its images (throwaway environments only)."
  default     = false
  nullable    = false
}
