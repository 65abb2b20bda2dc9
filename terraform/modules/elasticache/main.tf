locals {
  # Version per engine when engine_version is null.
  default_engine_versions = {
    redis  = "7.1"
    valkey = "8.0"
  }
  engine_version = coalesce(var.engine_version, local.default_engine_versions[var.engine])

  # ElastiCache names parameter group families after engine and major version: redis7, valkey7,
  # valkey8.
  parameter_group_family = "${var.engine}${split(".", local.engine_version)[0]}"

  parameters = merge(var.extra_parameters, { "maxmemory-policy" = var.maxmemory_policy })

  # Failover needs a replica to promote; Multi-AZ needs failover.
  high_availability = var.num_cache_clusters >= 2

  slow_log_group_name = "/elasticache/${var.name}/slow-log"
}

################################################################################
# Parameter and subnet groups
################################################################################

# The resource has `name` only (no name_prefix). The family is part of the name, so an upgrade
# to a new major version (a new family, which forces a new group) gets a new name, and
# create_before_destroy lets the replication group switch to it before the old one is deleted.
resource "aws_elasticache_parameter_group" "this" {
  name        = "${var.name}-${local.parameter_group_family}"
  family      = local.parameter_group_family
  description = "Parameters of ElastiCache ${var.name}"

  dynamic "parameter" {
    for_each = local.parameters

    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${local.parameter_group_family}" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_elasticache_subnet_group" "this" {
  name        = var.name
  description = "Subnets of ElastiCache ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = var.name })
}

################################################################################
# Security group
################################################################################

# No egress rules: the nodes only answer connections made to them, and security groups are
# stateful, so the replies need none.
resource "aws_security_group" "this" {
  name        = "${var.name}-elasticache"
  description = "ElastiCache ${var.name}: cache port in from the allowed security groups only, no egress"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-elasticache" })
}

# Keyed by position, not by ID: the IDs usually belong to security groups created in the same
# apply (the service's tasks, the rotation Lambda), unknown at plan time, and for_each keys must
# be known. Reordering or removing an entry therefore replaces the rules after it.
resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = { for i, id in var.allowed_security_group_ids : tostring(i) => id }

  security_group_id            = aws_security_group.this.id
  description                  = "Cache port (TLS) from allowed_security_group_ids[${each.key}]"
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
  referenced_security_group_id = each.value

  tags = merge(var.tags, { Name = "${var.name}-elasticache-in-${each.key}" })
}

################################################################################
# Slow log
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days: the slow log names client addresses and commands, kept no longer than each environment needs (NDPA data minimisation)
  name              = local.slow_log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = merge(var.tags, { Name = local.slow_log_group_name })
}

################################################################################
# Replication group
################################################################################

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50: failover needs a replica, so it is on whenever num_cache_clusters >= 2; the policy gate (CACHE-002) demands that in highly available environments, and dev runs one node
  #checkov:skip=CKV_AWS_31: TLS is required (transit_encryption_mode); the AUTH token is set by the rotation Lambda from Secrets Manager, never here: the provider has no write-only auth_token (see lifecycle below)
  replication_group_id = var.name
  description          = "${var.engine} cache ${var.name} (${var.environment})"

  engine               = var.engine
  engine_version       = local.engine_version
  node_type            = var.node_type
  port                 = var.port
  parameter_group_name = aws_elasticache_parameter_group.this.name

  # One primary plus replicas (cluster mode disabled). With 2 or more nodes a replica in another
  # AZ takes over when the primary fails.
  num_cache_clusters         = var.num_cache_clusters
  automatic_failover_enabled = local.high_availability
  multi_az_enabled           = local.high_availability

  subnet_group_name  = aws_elasticache_subnet_group.this.name
  security_group_ids = [aws_security_group.this.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  # TLS is a precondition of AUTH; "required" refuses plaintext connections.
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  # No auth_token: see the lifecycle block below and the README.

  snapshot_retention_limit  = var.snapshot_retention_limit
  snapshot_window           = var.snapshot_window
  final_snapshot_identifier = var.final_snapshot ? "${var.name}-final" : null

  maintenance_window         = var.maintenance_window
  auto_minor_version_upgrade = true
  apply_immediately          = var.apply_immediately

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.this.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  # No tag carries the secret's ARN: it is unknown until apply, which would make the whole tag
  # map unknown at plan time and hide the required tags from the policy gate. The rotation
  # Lambda finds the group by the replication_group_id field of the secret instead.
  tags = merge(var.tags, { Name = var.name })

  # The provider has no write-only auth_token, so a token set here would be stored in plans and
  # state. The token lives only in Secrets Manager (auth_token_secret_arn); the rotation Lambda
  # applies it with ModifyReplicationGroup(AuthToken, AuthTokenUpdateStrategy=ROTATE), which keeps
  # the previous token valid alongside the new one. Terraform must never touch either attribute,
  # or an apply could reset or remove the token the Lambda set.
  lifecycle {
    ignore_changes = [auth_token, auth_token_update_strategy]
  }
}
