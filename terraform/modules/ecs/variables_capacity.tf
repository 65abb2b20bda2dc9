# Several checks here read other variables (allowed since Terraform 1.9) so that settings which
# would cause downtime are refused at plan time. The README explains the rules.

################################################################################
# Capacity and deployments
################################################################################

variable "desired_count" {
  type        = number
  description = "Tasks to start with. Only used when the service is created: afterwards autoscaling owns the count. At least 2 in staging and prod."
  default     = 2
  nullable    = false

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 1000 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number from 1 to 1000."
  }

  validation {
    condition     = !contains(["staging", "prod"], var.environment) || var.desired_count >= 2
    error_message = "desired_count must be at least 2 in staging and prod: one task is a single point of failure."
  }
}

variable "min_capacity" {
  type        = number
  description = "Fewest tasks autoscaling may scale in to. At least 1, at most desired_count; at least 2 in staging and prod."
  default     = 2
  nullable    = false

  validation {
    condition     = var.min_capacity >= 1 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity must be a whole number of at least 1."
  }

  validation {
    condition     = var.min_capacity <= var.desired_count
    error_message = "min_capacity must not exceed desired_count."
  }

  validation {
    condition     = !contains(["staging", "prod"], var.environment) || var.min_capacity >= 2
    error_message = "min_capacity must be at least 2 in staging and prod so scale-in never leaves a single task."
  }
}

variable "max_capacity" {
  type        = number
  description = "Most tasks autoscaling may scale out to. At least desired_count, at most 1000."
  default     = 6
  nullable    = false

  validation {
    condition     = var.max_capacity <= 1000 && floor(var.max_capacity) == var.max_capacity
    error_message = "max_capacity must be a whole number of at most 1000."
  }

  validation {
    condition     = var.max_capacity >= var.desired_count
    error_message = "max_capacity must be at least desired_count."
  }
}

variable "deployment_minimum_healthy_percent" {
  type        = number
  description = "Lower bound of running healthy tasks during a deployment, in percent of the task count (rounded up). 100 in staging and prod."
  default     = 100
  nullable    = false

  validation {
    condition     = var.deployment_minimum_healthy_percent >= 0 && var.deployment_minimum_healthy_percent <= 100 && floor(var.deployment_minimum_healthy_percent) == var.deployment_minimum_healthy_percent
    error_message = "deployment_minimum_healthy_percent must be a whole number from 0 to 100."
  }

  validation {
    condition     = !contains(["staging", "prod"], var.environment) || var.deployment_minimum_healthy_percent >= 100
    error_message = "deployment_minimum_healthy_percent must be 100 in staging and prod: a deployment must never stop a serving task before its replacement is healthy."
  }
}

variable "deployment_maximum_percent" {
  type        = number
  description = "Upper bound of running tasks during a deployment, in percent of the task count (rounded down). Must leave room for at least one extra task at every count from min_capacity to max_capacity (see README)."
  default     = 200
  nullable    = false

  validation {
    condition     = var.deployment_maximum_percent >= 100 && floor(var.deployment_maximum_percent) == var.deployment_maximum_percent
    error_message = "deployment_maximum_percent must be a whole number of at least 100."
  }

  validation {
    # Zero-downtime rule: at every task count n autoscaling may reach, ECS may run
    # floor(n * max / 100) tasks and must keep ceil(n * min / 100) healthy; the first must exceed
    # the second, or a rolling deployment cannot start a replacement without stopping a serving task.
    condition = alltrue([
      for n in range(max(1, var.min_capacity), max(1, var.min_capacity, var.max_capacity) + 1) :
      floor(n * var.deployment_maximum_percent / 100) >= ceil(n * var.deployment_minimum_healthy_percent / 100) + 1
    ])
    error_message = "deployment_maximum_percent is too low: for every task count n from min_capacity to max_capacity, floor(n * deployment_maximum_percent / 100) must be at least ceil(n * deployment_minimum_healthy_percent / 100) + 1, so a deployment can start a new task while the minimum healthy tasks keep serving."
  }
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds ECS ignores failing ALB health checks of a new task while it starts; also the container health check's start period (capped at ECS's 300)."
  default     = 60
  nullable    = false

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 3600 && floor(var.health_check_grace_period_seconds) == var.health_check_grace_period_seconds
    error_message = "health_check_grace_period_seconds must be a whole number from 0 to 3600."
  }
}

variable "deregistration_delay_seconds" {
  type        = number
  description = "Seconds the ALB keeps draining in-flight requests to a task being stopped before it deregisters it."
  default     = 30
  nullable    = false

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600 && floor(var.deregistration_delay_seconds) == var.deregistration_delay_seconds
    error_message = "deregistration_delay_seconds must be a whole number from 0 to 3600."
  }
}

variable "fargate_weight" {
  type        = number
  description = "Relative share of tasks (beyond fargate_base) placed on on-demand FARGATE."
  default     = 1
  nullable    = false

  validation {
    condition     = var.fargate_weight >= 0 && var.fargate_weight <= 1000 && floor(var.fargate_weight) == var.fargate_weight
    error_message = "fargate_weight must be a whole number from 0 to 1000."
  }
}

variable "fargate_spot_weight" {
  type        = number
  description = "Relative share of tasks (beyond fargate_base) placed on FARGATE_SPOT, which AWS may reclaim with two minutes' notice. 0: no Spot unless asked for."
  default     = 0
  nullable    = false

  validation {
    condition     = var.fargate_spot_weight >= 0 && var.fargate_spot_weight <= 1000 && floor(var.fargate_spot_weight) == var.fargate_spot_weight
    error_message = "fargate_spot_weight must be a whole number from 0 to 1000."
  }

  validation {
    condition     = var.fargate_weight + var.fargate_spot_weight > 0
    error_message = "fargate_weight and fargate_spot_weight must not both be 0: no task could be placed beyond fargate_base."
  }
}

variable "fargate_base" {
  type        = number
  description = "Tasks always placed on on-demand FARGATE before the weights apply, so Spot reclaims never take the whole service down."
  default     = 1
  nullable    = false

  validation {
    condition     = var.fargate_base >= 0 && var.fargate_base <= 100000 && floor(var.fargate_base) == var.fargate_base
    error_message = "fargate_base must be a whole number from 0 to 100000."
  }
}

################################################################################
# Autoscaling
################################################################################

variable "cpu_target_percent" {
  type        = number
  description = "Average service CPU utilisation (percent) the CPU target-tracking policy aims for."
  default     = 60
  nullable    = false

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be from 10 to 90."
  }
}

variable "memory_target_percent" {
  type        = number
  description = "Average service memory utilisation (percent) the memory target-tracking policy aims for."
  default     = 70
  nullable    = false

  validation {
    condition     = var.memory_target_percent >= 10 && var.memory_target_percent <= 90
    error_message = "memory_target_percent must be from 10 to 90."
  }
}

variable "requests_per_target" {
  type        = number
  description = "ALB requests per task per minute to aim for; when set, a third target-tracking policy on ALBRequestCountPerTarget is added. null: no request-based scaling."
  default     = null

  validation {
    condition     = var.requests_per_target == null || try(var.requests_per_target > 0, false)
    error_message = "requests_per_target must be null or greater than 0."
  }
}

variable "scale_in_cooldown_seconds" {
  type        = number
  description = "Seconds after a scale-in before another scale-in; slows scale-in down, which is the module's scale-in protection."
  default     = 300
  nullable    = false

  validation {
    condition     = var.scale_in_cooldown_seconds >= 0 && var.scale_in_cooldown_seconds <= 3600 && floor(var.scale_in_cooldown_seconds) == var.scale_in_cooldown_seconds
    error_message = "scale_in_cooldown_seconds must be a whole number from 0 to 3600."
  }
}

variable "scale_out_cooldown_seconds" {
  type        = number
  description = "Seconds after a scale-out before another scale-out."
  default     = 60
  nullable    = false

  validation {
    condition     = var.scale_out_cooldown_seconds >= 0 && var.scale_out_cooldown_seconds <= 3600 && floor(var.scale_out_cooldown_seconds) == var.scale_out_cooldown_seconds
    error_message = "scale_out_cooldown_seconds must be a whole number from 0 to 3600."
  }
}
