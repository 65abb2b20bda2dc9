################################################################################
# Grafana behind the service's ALB (HTTPS listener, host-header rule)
################################################################################

resource "aws_lb_target_group" "grafana" {
  #checkov:skip=CKV_AWS_378: TLS ends at the ALB's HTTPS listener; the ALB-to-Grafana hop stays inside the VPC, admitted by security group from the ALB only (main.tf, grafana_from_alb)
  name        = local.grafana_target_group_name
  vpc_id      = var.vpc_id
  target_type = "ip"
  port        = local.services.grafana.port
  protocol    = "HTTP"
  # One task, replaced by stopping it first: nothing worth draining for long.
  deregistration_delay = 30

  # /api/health answers 200 without login once the database is usable.
  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = "/api/health"
    matcher             = "200"
    interval            = 30
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Name = local.grafana_target_group_name })
}

resource "aws_lb_listener_rule" "grafana" {
  listener_arn = var.alb_listener_arn
  priority     = var.listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.grafana.arn
  }

  condition {
    host_header {
      values = [var.grafana_host]
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-grafana" })
}
