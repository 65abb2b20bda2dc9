################################################################################
# Task definition
################################################################################

locals {
  container_health_check_command = (
    var.container_health_check_command != null
    ? var.container_health_check_command
    : ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:${var.container_port}${var.health_check_path} || exit 1"]
  )

  app_container_all = {
    name      = "app"
    image     = var.container_image
    essential = true
    portMappings = [{
      containerPort = var.container_port
      hostPort      = var.container_port
      protocol      = "tcp"
    }]
    readonlyRootFilesystem = var.readonly_root_filesystem
    user                   = var.container_user
    # Sorted so the JSON, and therefore the plan, does not change with map ordering.
    environment = [for k in sort(keys(local.app_environment)) : { name = k, value = local.app_environment[k] }]
    secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
    # A read-only root still needs somewhere to write temporary files.
    mountPoints = var.readonly_root_filesystem ? [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }] : []
    healthCheck = length(local.container_health_check_command) == 0 ? null : {
      command     = local.container_health_check_command
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = min(var.health_check_grace_period_seconds, 300) # ECS's maximum
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "ecs"
      }
    }
    # An init process reaps zombies and forwards SIGTERM, so tasks drain and stop cleanly.
    linuxParameters = { initProcessEnabled = true }
  }

  # The service reads its feature flags from the AppConfig agent sidecar, which polls AppConfig.
  app_environment = merge(
    var.environment_variables,
    var.appconfig_agent == null ? {} : { FLAGS_URL = "http://localhost:2772${var.appconfig_agent.configuration_path}" },
  )

  agent_containers = var.appconfig_agent == null ? [] : [{
    name                   = "appconfig-agent"
    image                  = var.appconfig_agent.image
    essential              = false # the service keeps its last flags (or none) without it
    readonlyRootFilesystem = true
    environment = [
      { name = "PREFETCH_LIST", value = var.appconfig_agent.configuration_path },
      { name = "SERVICE_REGION", value = local.region },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = local.region
        awslogs-stream-prefix = "appconfig-agent"
      }
    }
  }]

  # Empty lists and nulls are dropped: ECS omits them when it returns the definition, so keeping
  # them would show a diff on every plan.
  app_container = { for k, v in local.app_container_all : k => v if v != null && try(length(v) > 0, true) }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = jsonencode(concat([local.app_container], local.agent_containers))
  # Older revisions stay registered: `infra deploy` registers its own revisions of this family
  # and a rollback must be able to return to any of them.
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Task-scoped scratch space on Fargate ephemeral storage, mounted on /tmp.
  dynamic "volume" {
    for_each = var.readonly_root_filesystem ? toset(["tmp"]) : toset([])

    content {
      name = volume.key
    }
  }

  tags = merge(var.tags, { Name = var.name })
}
