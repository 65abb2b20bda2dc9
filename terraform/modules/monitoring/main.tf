data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  namespace_name = "${var.environment}.monitoring.internal"

  # The three services: port, image, size, the file system directory and POSIX owner of their
  # data (the images' own users: nobody for Prometheus and Alertmanager, grafana = 472), and
  # where that directory is mounted.
  services = {
    prometheus = {
      port       = 9090
      image      = var.images.prometheus
      cpu        = var.sizes.prometheus.cpu
      memory     = var.sizes.prometheus.memory
      uid        = 65534
      data_path  = "/prometheus"
      health_url = "http://127.0.0.1:9090/-/healthy"
    }
    alertmanager = {
      port       = 9093
      image      = var.images.alertmanager
      cpu        = var.sizes.alertmanager.cpu
      memory     = var.sizes.alertmanager.memory
      uid        = 65534
      data_path  = "/alertmanager"
      health_url = "http://127.0.0.1:9093/-/healthy"
    }
    grafana = {
      port       = 3000
      image      = var.images.grafana
      cpu        = var.sizes.grafana.cpu
      memory     = var.sizes.grafana.memory
      uid        = 472
      data_path  = "/var/lib/grafana"
      health_url = "http://127.0.0.1:3000/api/health"
    }
  }

  service_names  = { for k in keys(local.services) : k => "${var.name}-${k}" }
  log_group_name = { for k in keys(local.services) : k => "/ecs/${var.name}/${k}" }
  log_group_arns = {
    for k, n in local.log_group_name : k => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${n}"
  }
  dns_names = { for k in concat(keys(local.services), keys(var.scrape_services)) : k => "${k}.${local.namespace_name}" }

  # Deterministic from var.name: the caller builds the secrets' resource policies from them at
  # plan time.
  execution_role_name = "${var.name}-execution"
  task_role_name      = "${var.name}-task"
  forwarder_name      = "${var.name}-alarm-forwarder"
  forwarder_log_group = "/aws/lambda/${local.forwarder_name}"

  # Target group names are capped at 32 characters; a longer stack name keeps its first 23
  # and gets a hash of the whole name, so the name stays unique and stable.
  grafana_target_group_name = (
    length("${var.name}-grafana") <= 32 ? "${var.name}-grafana" : "${trimsuffix(substr(var.name, 0, 23), "-")}-${substr(sha1(var.name), 0, 8)}"
  )
}

################################################################################
# Service discovery: a private DNS namespace in the VPC
################################################################################

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = local.namespace_name
  description = "Service discovery of ${var.name}: Prometheus finds Alertmanager and the scraped services here"
  vpc         = var.vpc_id

  tags = merge(var.tags, { Name = local.namespace_name })
}

# A records address a task directly (Grafana -> Prometheus); SRV records carry the port as well,
# which is what Prometheus's dns_sd_configs (type SRV) discover. Tasks register through their
# ECS service's service_registries and are removed when they stop.
resource "aws_service_discovery_service" "this" {
  for_each = local.dns_names

  name         = each.key
  description  = "${each.key} tasks of ${var.name}, found by DNS"
  namespace_id = aws_service_discovery_private_dns_namespace.this.id

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"

    dns_records {
      type = "A"
      ttl  = 10
    }

    dns_records {
      type = "SRV"
      ttl  = 10
    }
  }

  # ECS reports task health to Cloud Map: an unhealthy task leaves DNS before it is replaced.
  health_check_custom_config {
    failure_threshold = 1
  }

  tags = merge(var.tags, { Name = each.value })
}

################################################################################
# Security group of the three tasks
################################################################################

resource "aws_security_group" "this" {
  name        = "${var.name}-tasks"
  description = "Prometheus, Alertmanager and Grafana of ${var.name}: their ports among themselves, Grafana from the ALB; out to NFS, the scrape ports and HTTPS"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-tasks" })
}

# Grafana -> Prometheus and Alertmanager, Prometheus -> Alertmanager and scraping of each other.
resource "aws_vpc_security_group_ingress_rule" "self" {
  for_each = local.services

  security_group_id            = aws_security_group.this.id
  description                  = "${each.key} from the monitoring tasks"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.this.id

  tags = merge(var.tags, { Name = "${var.name}-in-${each.key}" })
}

resource "aws_vpc_security_group_egress_rule" "self" {
  for_each = local.services

  security_group_id            = aws_security_group.this.id
  description                  = "${each.key} of the monitoring tasks"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.this.id

  tags = merge(var.tags, { Name = "${var.name}-out-${each.key}" })
}

resource "aws_vpc_security_group_ingress_rule" "grafana_from_alb" {
  security_group_id            = aws_security_group.this.id
  description                  = "Grafana from the ALB only"
  ip_protocol                  = "tcp"
  from_port                    = local.services.grafana.port
  to_port                      = local.services.grafana.port
  referenced_security_group_id = var.alb_security_group_id

  tags = merge(var.tags, { Name = "${var.name}-in-alb" })
}

# The ALB's group allows only what it is told to reach; this is Grafana's part of that.
resource "aws_vpc_security_group_egress_rule" "alb_to_grafana" {
  security_group_id            = var.alb_security_group_id
  description                  = "Requests and health checks to Grafana of ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = local.services.grafana.port
  to_port                      = local.services.grafana.port
  referenced_security_group_id = aws_security_group.this.id

  tags = merge(var.tags, { Name = "${var.name}-alb-out-grafana" })
}

# Image pulls (quay.io, docker.io), CloudWatch Logs and Secrets Manager through NAT, and
# Alertmanager's notifications to PagerDuty and Slack.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to registries, AWS APIs, PagerDuty and Slack"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${var.name}-out-https" })
}

resource "aws_vpc_security_group_egress_rule" "nfs" {
  security_group_id            = aws_security_group.this.id
  description                  = "NFS to the monitoring file system"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.efs.id

  tags = merge(var.tags, { Name = "${var.name}-out-nfs" })
}

# Scrape ports within the VPC; the scraped services' groups must let this group in as well.
resource "aws_vpc_security_group_egress_rule" "scrape" {
  for_each = toset([for s in values(var.scrape_services) : tostring(s.port)])

  security_group_id = aws_security_group.this.id
  description       = "Metrics port ${each.key} within the VPC"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = var.vpc_cidr

  tags = merge(var.tags, { Name = "${var.name}-out-scrape-${each.key}" })
}
