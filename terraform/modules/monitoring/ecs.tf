################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.log_group_name

  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days (the environment roots pass flow_log_retention_days: 365 in prod); monitoring logs are operational and need no longer elsewhere

  name              = each.value
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = each.value })
}

################################################################################
# Task definitions
################################################################################

locals {
  # Grafana: login form only (no anonymous access, sign-up or basic auth on the API: automation
  # uses service account tokens), admin password from the secret, HTTPS-only cookies and HSTS
  # behind the ALB, nothing sent to grafana.com. Its /metrics would be public
  # through the ALB, so it is off (Grafana is not scraped).
  grafana_environment = {
    GF_SERVER_DOMAIN                      = var.grafana_host
    GF_SERVER_ROOT_URL                    = "https://${var.grafana_host}"
    GF_SECURITY_ADMIN_USER                = "admin"
    GF_SECURITY_COOKIE_SECURE             = "true"
    GF_SECURITY_COOKIE_SAMESITE           = "lax"
    GF_SECURITY_STRICT_TRANSPORT_SECURITY = "true"
    GF_SECURITY_DISABLE_GRAVATAR          = "true"
    GF_AUTH_ANONYMOUS_ENABLED             = "false"
    GF_AUTH_BASIC_ENABLED                 = "false"
    GF_USERS_ALLOW_SIGN_UP                = "false"
    GF_USERS_ALLOW_ORG_CREATE             = "false"
    GF_METRICS_ENABLED                    = "false"
    GF_ANALYTICS_REPORTING_ENABLED        = "false"
    GF_ANALYTICS_CHECK_FOR_UPDATES        = "false"
    GF_PATHS_DATA                         = local.services.grafana.data_path
  }

  container_environment = {
    prometheus   = local.config_environment.prometheus
    alertmanager = local.config_environment.alertmanager
    grafana      = merge(local.config_environment.grafana, local.grafana_environment)
  }

  containers = {
    for s, svc in local.services : s => {
      name       = s
      image      = svc.image
      essential  = true
      entryPoint = ["sh", "-c"]
      command    = [local.entrypoint_script[s]]
      portMappings = [{
        containerPort = svc.port
        hostPort      = svc.port
        protocol      = "tcp"
      }]
      # Sorted so the JSON, and therefore the plan, does not change with map ordering.
      environment = [for k in sort(keys(local.container_environment[s])) : { name = k, value = local.container_environment[s][k] }]
      secrets     = [for k in sort(keys(local.container_secrets[s])) : { name = k, valueFrom = local.container_secrets[s][k] }]
      mountPoints = [{ sourceVolume = "data", containerPath = svc.data_path, readOnly = false }]
      healthCheck = {
        command     = ["CMD-SHELL", "wget -q -O /dev/null ${svc.health_url} || exit 1"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this[s].name
          awslogs-region        = local.region
          awslogs-stream-prefix = "ecs"
        }
      }
      # An init process reaps zombies and forwards SIGTERM, so the TSDB and databases close cleanly.
      linuxParameters = { initProcessEnabled = true }
      stopTimeout     = 60
    }
  }

  # Empty lists are dropped (ECS omits them when it returns the definition, so keeping them
  # would show a diff on every plan). ECS refuses task definitions over 64 KiB; the
  # configuration is most of it (see the precondition below).
  container_definitions = {
    for s, c in local.containers : s => jsonencode([{ for k, v in c : k => v if try(length(v) > 0, true) }])
  }
}

resource "aws_ecs_task_definition" "this" {
  for_each = local.services

  family                   = local.service_names[each.key]
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  container_definitions    = local.container_definitions[each.key]

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "data"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.this.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.this[each.key].id
        iam             = "ENABLED"
      }
    }
  }

  tags = merge(var.tags, { Name = local.service_names[each.key] })

  lifecycle {
    precondition {
      condition     = length(local.container_definitions[each.key]) <= 49152
      error_message = "The ${each.key} container definition is ${length(local.container_definitions[each.key])} bytes, over this module's 48 KiB budget (ECS's limit is 64 KiB): shrink the ${each.key == "grafana" ? "dashboards" : each.key == "prometheus" ? "rule files" : "configuration"}."
    }
  }
}

################################################################################
# Services
################################################################################

resource "aws_ecs_service" "this" {
  for_each = local.services

  name             = local.service_names[each.key]
  cluster          = var.cluster_arn
  task_definition  = aws_ecs_task_definition.this[each.key].arn
  desired_count    = 1
  launch_type      = "FARGATE"
  platform_version = "LATEST" # 1.4.0 or later: EFS volumes

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.this.id]
    assign_public_ip = false
  }

  # Prometheus's TSDB and Grafana's SQLite database take a lock on the file system: the old task
  # must stop before the new one starts (a short gap in monitoring, never two writers).
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  service_registries {
    registry_arn   = aws_service_discovery_service.this[each.key].arn
    container_name = each.key
    container_port = each.value.port
  }

  dynamic "load_balancer" {
    for_each = each.key == "grafana" ? [aws_lb_target_group.grafana.arn] : []

    content {
      target_group_arn = load_balancer.value
      container_name   = each.key
      container_port   = each.value.port
    }
  }

  health_check_grace_period_seconds = each.key == "grafana" ? 120 : null

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  wait_for_steady_state   = false

  tags = merge(var.tags, { Name = local.service_names[each.key] })

  # The target group must be attached to the listener before a service registers into it, and
  # the tasks must find their mount targets and the file system policy in place.
  depends_on = [aws_lb_listener_rule.grafana, aws_efs_mount_target.this, aws_efs_file_system_policy.this, aws_iam_role_policy.task, aws_iam_role_policy.execution]
}
