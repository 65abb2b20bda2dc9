################################################################################
# Container
################################################################################

variable "container_image" {
  type        = string
  description = "Image the first task definition runs, e.g. \"<account>.dkr.ecr.af-south-1.amazonaws.com/ngapp-api:1.0.0\". Only the initial image: `infra deploy` owns the running image afterwards."

  validation {
    condition     = can(regex("^[^[:space:]]+$", var.container_image)) && length(var.container_image) <= 1024
    error_message = "container_image must be a non-empty image reference without whitespace."
  }
}

variable "container_port" {
  type        = number
  description = "Port the container listens on for HTTP; the target group and security groups use it."
  default     = 8080
  nullable    = false

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number from 1 to 65535."
  }
}

variable "health_check_path" {
  type        = string
  description = "HTTP path the ALB (and the default container health check) probes; it must answer 200."
  default     = "/health"
  nullable    = false

  validation {
    condition     = can(regex("^/[^[:space:]]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must start with '/' and contain no whitespace (at most 1024 characters)."
  }
}

variable "cpu" {
  type        = number
  description = "Task CPU units: one of Fargate's sizes 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 = 1 vCPU)."
  default     = 256
  nullable    = false

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "memory" {
  type        = number
  description = "Task memory in MiB, 512 to 122880, in a combination Fargate supports for the chosen cpu (e.g. 256 CPU: 512, 1024 or 2048)."
  default     = 512
  nullable    = false

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MiB from 512 to 122880."
  }

  validation {
    # Fargate's CPU/memory table. An unknown cpu passes here so only the cpu check reports it.
    condition = alltrue([
      for cpu, sizes in {
        "256"   = [512, 1024, 2048]
        "512"   = range(1024, 4097, 1024)
        "1024"  = range(2048, 8193, 1024)
        "2048"  = range(4096, 16385, 1024)
        "4096"  = range(8192, 30721, 1024)
        "8192"  = range(16384, 61441, 4096)
        "16384" = range(32768, 122881, 8192)
      } : tostring(var.cpu) != cpu || contains(sizes, var.memory)
    ])
    error_message = "memory does not fit cpu on Fargate: 256 -> 512/1024/2048; 512 -> 1024-4096; 1024 -> 2048-8192; 2048 -> 4096-16384; 4096 -> 8192-30720 (1024 steps); 8192 -> 16384-61440 (4096 steps); 16384 -> 32768-122880 (8192 steps)."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Plain environment variables of the container (name -> value). Never put secrets here: use secrets."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "environment_variables names must match ^[A-Za-z_][A-Za-z0-9_]*$."
  }
}

variable "secrets" {
  type        = map(string)
  description = "Secret environment variables (name -> full ARN of a Secrets Manager secret, optionally with \":<json-key>:<version-stage>:<version-id>\", or of an SSM parameter). ECS injects them at start; the execution role may read exactly these."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "secrets names must match ^[A-Za-z_][A-Za-z0-9_]*$."
  }

  validation {
    # A Secrets Manager ARN must be complete (with the 6-character suffix) so the IAM grant can be exact.
    condition = alltrue([
      for arn in values(var.secrets) :
      can(regex("^arn:aws(-[a-z]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}(:[^:]*:[^:]*:[^:]*)?$", arn)) ||
      can(regex("^arn:aws(-[a-z]+)?:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+$", arn))
    ])
    error_message = "secrets values must be full Secrets Manager secret ARNs (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>[:<json-key>:<stage>:<version>]) or SSM parameter ARNs (arn:aws:ssm:<region>:<account>:parameter/<name>)."
  }

  validation {
    condition     = length(setintersection(keys(var.secrets), keys(var.environment_variables))) == 0
    error_message = "A name may be in environment_variables or in secrets, not both."
  }
}

variable "readonly_root_filesystem" {
  type        = bool
  description = "Mount the container's root filesystem read-only. A writable task volume is then mounted on /tmp."
  default     = true
  nullable    = false
}

variable "container_user" {
  type        = string
  description = "User (and optional group) the container runs as, \"uid[:gid]\" or a name from the image. Root is refused."
  default     = "1000:1000"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$", var.container_user)) && !can(regex("^(0|root)(:|$)", var.container_user))
    error_message = "container_user must be \"uid[:gid]\" or \"user[:group]\" and must not be root (0 or \"root\")."
  }
}

variable "container_health_check_command" {
  type        = list(string)
  description = "ECS container health check command. null builds [\"CMD-SHELL\", \"wget -q -O /dev/null http://127.0.0.1:<container_port><health_check_path> || exit 1\"] (the image needs wget); [] turns the container health check off (the ALB check still applies)."
  default     = null

  validation {
    # Terraform's || does not short-circuit, hence try() around the first element.
    condition = (
      var.container_health_check_command == null ? true :
      length(var.container_health_check_command) == 0 ||
      (length(var.container_health_check_command) >= 2 && contains(["CMD", "CMD-SHELL"], try(var.container_health_check_command[0], "")))
    )
    error_message = "container_health_check_command must be null, [] or a list starting with \"CMD\" or \"CMD-SHELL\" followed by the command."
  }
}

################################################################################
# IAM
################################################################################

variable "ecr_repository_arns" {
  type        = list(string)
  description = "ECR repositories the execution role may pull from; [\"*\"] allows any (pulls still need the repository's own permission when cross-account)."
  default     = ["*"]
  nullable    = false

  validation {
    condition     = length(var.ecr_repository_arns) >= 1 && alltrue([for a in var.ecr_repository_arns : a == "*" || can(regex("^arn:aws(-[a-z]+)?:ecr:[a-z0-9-]+:[0-9]{12}:repository/.+$", a))])
    error_message = "ecr_repository_arns must be a non-empty list of \"*\" or ECR repository ARNs (arn:aws:ecr:<region>:<account>:repository/<name>)."
  }
}

variable "secrets_kms_key_arns" {
  type        = list(string)
  description = "Customer-managed KMS keys encrypting the secrets/parameters in secrets; the execution role gets kms:Decrypt on exactly these. Not needed for AWS-managed keys."
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for a in var.secrets_kms_key_arns : can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", a))])
    error_message = "secrets_kms_key_arns must be KMS key ARNs (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "task_role_policy_json" {
  type        = string
  description = "IAM policy document (JSON) for the application's own AWS calls, attached inline to the task role. null leaves the task role without permissions. Whether it is null must be known at plan time; attach policies built from not-yet-created resources to the task_role_name output instead."
  default     = null

  validation {
    condition     = var.task_role_policy_json == null || can(jsondecode(var.task_role_policy_json).Statement)
    error_message = "task_role_policy_json must be null or a JSON IAM policy document with a Statement."
  }
}

variable "appconfig_agent" {
  type = object({
    configuration_path = string
    configuration_arn  = string
    image              = optional(string, "public.ecr.aws/aws-appconfig/aws-appconfig-agent:2.x")
  })
  description = "Run the AWS AppConfig agent as a sidecar and point the app at it: `configuration_path` (\"/applications/<app>/environments/<env>/configurations/<profile>\", the flags module's agent_path) becomes FLAGS_URL=http://localhost:2772<path>; `configuration_arn` (that configuration's ARN) is what the task role may read. null: no agent, no flags."
  default     = null

  validation {
    condition = var.appconfig_agent == null || (
      can(regex("^/applications/[^/]+/environments/[^/]+/configurations/[^/]+$", var.appconfig_agent.configuration_path))
      && can(regex("^arn:aws[a-z-]*:appconfig:[a-z0-9-]+:[0-9]{12}:application/[a-z0-9]+/environment/[a-z0-9]+/configuration/[a-z0-9]+$", var.appconfig_agent.configuration_arn))
    )
    error_message = "appconfig_agent.configuration_path must be /applications/<app>/environments/<env>/configurations/<profile>, and configuration_arn arn:<partition>:appconfig:<region>:<account>:application/<id>/environment/<id>/configuration/<id>."
  }
}
