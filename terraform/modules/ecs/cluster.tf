################################################################################
# ECS cluster
################################################################################

# One cluster per service keeps capacity settings, Container Insights and IAM scoping per service.
resource "aws_ecs_cluster" "this" {
  name = var.name

  # Task- and service-level CPU, memory and network metrics for scaling decisions and incidents.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = merge(var.tags, { Name = var.name })
}

# Both Fargate providers are always associated so switching Spot on or off is only a change of
# weights, never of the cluster.
resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  dynamic "default_capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy

    content {
      capacity_provider = default_capacity_provider_strategy.key
      weight            = default_capacity_provider_strategy.value.weight
      base              = default_capacity_provider_strategy.value.base
    }
  }
}
