data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  final_snapshot = coalesce(var.final_snapshot, var.deletion_protection)
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  engine_major     = split(".", var.engine_version)[0]
  parameter_family = "postgres${local.engine_major}"

  # Replicas are numbered "01", "02", ...: removing the last one never renames the others.
  replica_keys = toset([for i in range(var.read_replica_count) : format("%02d", i + 1)])
  instance_identifiers = merge(
    { primary = var.identifier },
    { for k in local.replica_keys : k => "${var.identifier}-replica-${k}" },
  )

  # RDS creates a missing export log group itself, unencrypted and kept forever, so the module
  # creates every instance's groups first (see monitoring.tf). Keys: "<primary|01|02...>/<log>".
  log_exports = ["postgresql", "upgrade"]
  log_groups = {
    for pair in setproduct(keys(local.instance_identifiers), local.log_exports) :
    "${pair[0]}/${pair[1]}" => "/aws/rds/instance/${local.instance_identifiers[pair[0]]}/${pair[1]}"
  }

  # rds.force_ssl refuses every connection without TLS; the other two put connections and slow
  # statements in the exported postgresql log. All three are dynamic: applied without a reboot.
  managed_parameters = {
    "rds.force_ssl"            = "1"
    log_connections            = "1"
    log_min_duration_statement = tostring(var.log_min_duration_statement_ms)
  }

  monitoring_role_arn = var.monitoring_interval > 0 ? aws_iam_role.this["enhanced-monitoring"].arn : null

  # The database, its replicas, snapshots (copy_tags_to_snapshot) and logs hold the data.
  data_tags = { DataClassification = var.data_classification }
}

################################################################################
# Parameter group
################################################################################

resource "aws_db_parameter_group" "this" {
  # name_prefix + create_before_destroy: a new major version needs a new family, so the new
  # group must exist before the instances move to it and the old one is deleted.
  name_prefix = "${var.identifier}-"
  family      = local.parameter_family
  description = "PostgreSQL ${local.engine_major} settings of ${var.identifier}: TLS required, connections and slow statements logged"

  dynamic "parameter" {
    for_each = local.managed_parameters

    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "immediate"
    }
  }

  # Extra parameters may be static (e.g. shared_preload_libraries), which RDS refuses to apply
  # immediately; pending-reboot works for every parameter, at the next reboot.
  dynamic "parameter" {
    for_each = var.extra_parameters

    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }

  tags = merge(var.tags, { Name = var.identifier })

  lifecycle {
    create_before_destroy = true
  }
}

################################################################################
# Primary instance
################################################################################

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_118: enhanced monitoring is opt-in (monitoring_interval): Performance Insights (on by default) and the CloudWatch metrics the monitoring module alarms on watch the database; OS metrics cost log ingestion per instance
  #checkov:skip=CKV_AWS_157: set per environment; the multi_az variable's validation requires it in prod, and a single-AZ dev or staging database halves their cost
  #checkov:skip=CKV_AWS_293: set per environment from deletion_protection; the policy gate (DB-004) demands it in protected environments, and dev must stay deletable by infra down
  #checkov:skip=CKV_AWS_161: the application and the rotation Lambda log in with the Secrets Manager credentials the module rotates; IAM authentication is an opt-in second login path (iam_database_authentication_enabled)
  identifier     = var.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  # Storage: gp3, autoscaling up to max_allocated_storage, encrypted with the environment's key.
  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  # Credentials: RDS generates the master password, keeps it in Secrets Manager (encrypted with
  # the same key) and rotates it; it never passes through Terraform.
  db_name                             = var.db_name
  username                            = var.master_username
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = var.kms_key_arn
  iam_database_authentication_enabled = var.iam_database_authentication_enabled
  port                                = var.port

  # Network: database subnets only, reachable through the module's security group only.
  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  multi_az               = var.multi_az

  # Engine and maintenance. With auto_minor_version_upgrade an engine_version of "16" follows
  # AWS's minor releases without a diff; a major change (16 -> 17) is an explicit edit of
  # engine_version, so it is allowed rather than failing the apply.
  parameter_group_name        = aws_db_parameter_group.this.name
  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = true
  maintenance_window          = var.maintenance_window
  apply_immediately           = var.apply_immediately

  # Backups: daily snapshots in backup_window plus transaction logs, i.e. point-in-time recovery
  # over the whole retention period.
  backup_retention_period = var.backup_retention_days
  backup_window           = var.backup_window
  copy_tags_to_snapshot   = true

  # Protected instances (prod) cannot be deleted, take a final snapshot if protection is lifted
  # and deleted, and keep their automated backups (PITR) after deletion until they expire.
  deletion_protection      = var.deletion_protection
  skip_final_snapshot      = !local.final_snapshot
  delete_automated_backups = !local.final_snapshot
  # Suffixed with the time of the plan that created the instance, so a re-created instance never
  # collides with the final snapshot of an earlier one; ignore_changes keeps the value fixed.
  final_snapshot_identifier = "${var.identifier}-final-${formatdate("YYYYMMDDhhmmss", plantimestamp())}"

  # Monitoring
  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_days : null
  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = local.monitoring_role_arn
  enabled_cloudwatch_logs_exports       = local.log_exports

  tags = merge(var.tags, local.data_tags, { Name = var.identifier })

  lifecycle {
    ignore_changes = [final_snapshot_identifier]
  }

  # RDS must find the encrypted log groups in place, and the monitoring role must carry its
  # policy before RDS accepts it.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy_attachment.this]
}

################################################################################
# Read replicas
################################################################################

resource "aws_db_instance" "replica" {
  for_each = local.replica_keys

  #checkov:skip=CKV_AWS_118: enhanced monitoring is opt-in (monitoring_interval): Performance Insights (on by default) and the CloudWatch metrics the monitoring module alarms on watch the database; OS metrics cost log ingestion per instance
  #checkov:skip=CKV_AWS_133: a replica holds no data of its own: the primary's automated backups (PITR, DB-001) and the dr module's backup plan cover it (see backup_retention_period below)
  #checkov:skip=CKV_AWS_157: replicas serve reads and are re-created from the primary, which is the multi-AZ instance in prod; a multi-AZ replica would double its cost for no data safety
  #checkov:skip=CKV_AWS_293: a replica holds nothing of its own and must stay deletable so that read_replica_count can be lowered in prod (see deletion_protection below)

  identifier = local.instance_identifiers[each.key]
  # The ARN, not the identifier: the provider requires it when db_subnet_group_name is set.
  replicate_source_db = aws_db_instance.this.arn
  instance_class      = coalesce(var.replica_instance_class, var.instance_class)

  # Engine, version, storage size, database, user and password come from the source. A replica in
  # the source's region is always encrypted with the source's key: AWS asks for no kms_key_id.
  max_allocated_storage               = var.max_allocated_storage
  storage_type                        = "gp3"
  storage_encrypted                   = true
  iam_database_authentication_enabled = var.iam_database_authentication_enabled

  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  multi_az               = false

  parameter_group_name       = aws_db_parameter_group.this.name
  auto_minor_version_upgrade = true
  maintenance_window         = var.maintenance_window
  apply_immediately          = var.apply_immediately

  # RDS for PostgreSQL takes no automated backups of read replicas; the primary's backups cover
  # the data. A replica holds nothing of its own and can be re-created from the primary, so it is
  # not deletion-protected: otherwise lowering read_replica_count in prod (where
  # deletion_protection must stay true) could never be applied.
  backup_retention_period = 0
  copy_tags_to_snapshot   = true
  deletion_protection     = false
  skip_final_snapshot     = true

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? var.performance_insights_retention_days : null
  monitoring_interval                   = var.monitoring_interval
  monitoring_role_arn                   = local.monitoring_role_arn
  enabled_cloudwatch_logs_exports       = local.log_exports

  tags = merge(var.tags, local.data_tags, { Name = local.instance_identifiers[each.key] })

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy_attachment.this]
}
