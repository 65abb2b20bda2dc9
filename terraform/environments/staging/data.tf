# The data tier: the environment's KMS key and secrets, PostgreSQL, and Redis. Identical in every
# environment root (sizes come from terraform.tfvars).

data "aws_partition" "current" {}

# The identity running Terraform (its role, not the session) reads secret versions back.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  # Role ARNs built from names, which are known at plan time, so the secrets' resource policies
  # are known at plan time and the policy gate (SEC-002) can check them before anything exists.
  iam_role_prefix = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/"
  service_role_arns = [
    "${local.iam_role_prefix}${module.service.task_role_name}",
    "${local.iam_role_prefix}${module.service.execution_role_name}",
  ]
  db_secret        = "db/app"
  cache_secret     = "cache/auth"
  pagerduty_secret = "monitoring/pagerduty"
  slack_secret     = "monitoring/slack"
  grafana_secret   = "monitoring/grafana-admin"
  cache_id         = "${local.name}-cache"
}

module "secrets" {
  source = "../../modules/secrets"

  name        = local.name
  project     = var.project
  environment = var.environment

  secrets = {
    (local.db_secret) = {
      description = "${local.name}: application database login (alternating users, rotated)"
      kind        = "json"
      # Non-secret fields only; the rotation Lambda adds the password.
      json_fields = {
        engine    = "postgres"
        host      = module.database.address
        port      = tostring(module.database.port)
        dbname    = module.database.db_name
        username  = var.database_app_username
        masterarn = module.database.master_user_secret_arn
      }
      rotation = "postgres"
    }
    (local.cache_secret) = {
      description = "${local.name}: Redis AUTH token (set on the cache by its rotation Lambda)"
      kind        = "json"
      # The literal id, not the cache module's output: the cache takes this secret's ARN.
      json_fields = { engine = "redis", replication_group_id = local.cache_id }
      rotation    = "redis_auth"
    }
    # Paging keys: an operator puts them (docs/runbooks/secret-rotation.md); only the monitoring
    # task and the alarm forwarder read them.
    (local.pagerduty_secret) = {
      description = "${local.name}: PagerDuty Events API v2 routing key, JSON {\"routing_key\": ...}"
      kind        = "external"
      readers     = local.monitoring_reader_arns
    }
    (local.slack_secret) = {
      description = "${local.name}: Slack incoming webhook, JSON {\"webhook_url\": ...}"
      kind        = "external"
      readers     = local.monitoring_reader_arns
    }
    (local.grafana_secret) = {
      description = "${local.name}: Grafana admin password"
      kind        = "generated"
      readers     = local.monitoring_reader_arns
    }
  }

  reader_role_arns = local.service_role_arns
  admin_role_arns  = [data.aws_iam_session_context.current.issuer_arn]

  rotation_lambda_zip  = var.rotation_lambda_zip
  vpc_id               = module.vpc.vpc_id
  subnet_ids           = module.vpc.private_subnet_ids
  restart_service_arns = [module.service.service_id]
  master_secret_arns   = [module.database.master_user_secret_arn]
  rotation_days        = var.secret_rotation_days
  # Deleting a secret waits out a recovery window, except where data is disposable.
  recovery_window_in_days = var.deletion_protection ? 30 : 0
}

module "database" {
  source = "../../modules/rds"

  identifier     = "${local.name}-db"
  environment    = var.environment
  vpc_id         = module.vpc.vpc_id
  kms_key_arn    = module.secrets.kms_key_arn
  instance_class = var.database_instance_class
  multi_az       = var.database_multi_az

  db_subnet_group_name = module.vpc.database_subnet_group_name
  allowed_security_group_ids = [
    module.service.service_security_group_id,
    module.secrets.rotation_security_group_ids["postgres"],
  ]

  allocated_storage   = var.database_allocated_storage
  read_replica_count  = var.database_read_replica_count
  deletion_protection = var.deletion_protection
  final_snapshot      = var.final_snapshots

  # Opt-in, off by default: an irrevocable purchase (docs/adr/0006).
  reservation = {
    enabled        = var.reserved_capacity.enabled
    duration_years = var.reserved_capacity.duration_years
    offering_type  = var.reserved_capacity.offering_type
    instance_count = var.reserved_capacity.database_instances
  }

  # Picked up by the backup plan's selection (dr.tf).
  tags = { (local.backup_tag.key) = local.backup_tag.value }
}

module "cache" {
  source = "../../modules/elasticache"

  name               = local.cache_id
  environment        = var.environment
  vpc_id             = module.vpc.vpc_id
  subnet_ids         = module.vpc.database_subnet_ids
  kms_key_arn        = module.secrets.kms_key_arn
  node_type          = var.cache_node_type
  num_cache_clusters = var.cache_nodes

  allowed_security_group_ids = [
    module.service.service_security_group_id,
    module.secrets.rotation_security_group_ids["redis_auth"],
  ]
  auth_token_secret_arn = module.secrets.secret_arns[local.cache_secret]
  final_snapshot        = var.final_snapshots

  # Opt-in, off by default: an irrevocable purchase (docs/adr/0006).
  reservation = {
    enabled        = var.reserved_capacity.enabled
    duration_years = var.reserved_capacity.duration_years
    offering_type  = var.reserved_capacity.offering_type
    node_count     = var.reserved_capacity.cache_nodes
  }
}

# The service's security group lets out only HTTPS by default: open exactly the database and
# the cache to it (their own groups admit only the service and the rotation Lambda).
resource "aws_vpc_security_group_egress_rule" "service_to_database" {
  security_group_id            = module.service.service_security_group_id
  description                  = "PostgreSQL to the environment's database"
  ip_protocol                  = "tcp"
  from_port                    = module.database.port
  to_port                      = module.database.port
  referenced_security_group_id = module.database.security_group_id

  tags = { Name = "${local.name}-service-out-database" }
}

resource "aws_vpc_security_group_egress_rule" "service_to_cache" {
  security_group_id            = module.service.service_security_group_id
  description                  = "Redis (TLS) to the environment's cache"
  ip_protocol                  = "tcp"
  from_port                    = module.cache.port
  to_port                      = module.cache.port
  referenced_security_group_id = module.cache.security_group_id

  tags = { Name = "${local.name}-service-out-cache" }
}
