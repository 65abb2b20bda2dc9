################################################################################
# ECS service
################################################################################

resource "aws_ecs_service" "this" {
  #checkov:skip=CKV_AWS_333: assign_public_ip defaults to false; only the preview root sets it (no NAT gateway there, docs/previews.md), and the service security group still admits the ALB only
  name            = var.name
  cluster         = aws_ecs_cluster.this.arn
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  # No launch_type: the capacity provider strategy places tasks on FARGATE / FARGATE_SPOT.
  platform_version = "LATEST"
  # Lets a change of capacity provider weights roll out as a deployment instead of replacing
  # (and so stopping) the whole service.
  force_new_deployment = true
  # Fargate spreads tasks over the subnets' AZs; rebalancing restores the spread after an AZ
  # outage or a scale-in left it lopsided.
  availability_zone_rebalancing = "ENABLED"

  dynamic "capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy

    content {
      capacity_provider = capacity_provider_strategy.key
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = var.assign_public_ip
  }

  # Cloud Map registration (SRV records: task IP + container port) lets Prometheus find every task.
  dynamic "service_registries" {
    for_each = var.service_registry_arn == null ? {} : { this = var.service_registry_arn }

    content {
      registry_arn   = service_registries.value
      container_name = "app"
      container_port = var.container_port
    }
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = "app"
    container_port   = var.container_port
  }

  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent

  # A deployment whose tasks never get healthy is stopped and rolled back to the last good one.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_controller {
    type = "ECS"
  }

  enable_ecs_managed_tags = true
  propagate_tags          = "SERVICE"
  # `infra deploy` watches rollouts; an apply only changes configuration.
  wait_for_steady_state = false

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    # `infra deploy` owns the running image (it registers task definition revisions and points
    # the service at them) and autoscaling owns the count, so an apply never reverts a deploy
    # or undoes a scale-out.
    ignore_changes = [task_definition, desired_count]
  }

  # The target group must be attached to a listener before a service can register into it, and
  # the cluster must have the capacity providers the strategy names.
  depends_on = [aws_lb_listener.https, aws_ecs_cluster_capacity_providers.this]
}

################################################################################
# Release record
################################################################################

# What is deployed: the image and task definition revision `infra deploy` last rolled out.
resource "aws_ssm_parameter" "release" {
  #checkov:skip=CKV2_AWS_34: the release record holds an image reference and a task definition ARN, both readable from the ECS API anyway: nothing secret to encrypt
  name        = local.release_parameter_name
  description = "Image and task definition currently deployed to ${var.name}; written by infra deploy"
  type        = "String"
  tier        = "Standard"
  value = jsonencode({
    image           = var.container_image
    task_definition = aws_ecs_task_definition.this.arn
  })

  tags = merge(var.tags, { Name = local.release_parameter_name })

  lifecycle {
    # The deploy tool writes it after every release; Terraform only creates the first value.
    ignore_changes = [value]
  }
}
