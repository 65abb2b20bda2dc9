# Unit tests with a mocked AWS provider: no credentials or network needed.
# Most runs plan only; the run that asserts on computed values (outputs, the monitoring role
# wiring) uses apply, which against mocks only fills in fake values.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  # The real data source renders JSON; the mock would otherwise return a random string, which
  # the provider's JSON validation of IAM policies rejects.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # Mocked ARNs and IDs are random strings by default, but the provider validates ARN arguments
  # (the instance's monitoring_role_arn), so give real-looking ones.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ngapp-test-db-monitoring"
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0dddddddddddddddd"
    }
  }

  mock_resource "aws_db_instance" {
    defaults = {
      arn         = "arn:aws:rds:af-south-1:123456789012:db:ngapp-test-db"
      resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
      address     = "ngapp-test-db.c0abcdefghij.af-south-1.rds.amazonaws.com"
      endpoint    = "ngapp-test-db.c0abcdefghij.af-south-1.rds.amazonaws.com:5432"
    }
  }
}

variables {
  identifier                 = "ngapp-test-db"
  environment                = "dev"
  vpc_id                     = "vpc-0123456789abcdef0"
  db_subnet_group_name       = "ngapp-test"
  allowed_security_group_ids = ["sg-0aaaaaaaaaaaaaaa1", "sg-0aaaaaaaaaaaaaaa2"]
  kms_key_arn                = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}

################################################################################
# Defaults
################################################################################

run "defaults" {
  command = plan

  # Engine and storage
  assert {
    condition = (
      aws_db_instance.this.identifier == "ngapp-test-db" &&
      aws_db_instance.this.engine == "postgres" && aws_db_instance.this.engine_version == "16" &&
      aws_db_instance.this.instance_class == "db.t4g.micro" &&
      aws_db_instance.this.auto_minor_version_upgrade && !aws_db_instance.this.apply_immediately
    )
    error_message = "The default must be PostgreSQL 16 on db.t4g.micro with automatic minor upgrades."
  }

  assert {
    condition = (
      aws_db_instance.this.storage_type == "gp3" && aws_db_instance.this.allocated_storage == 20 &&
      aws_db_instance.this.max_allocated_storage == 100
    )
    error_message = "Storage must be 20 GiB of gp3, autoscaling up to 100 GiB."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn
    error_message = "Storage must be encrypted with the environment's KMS key."
  }

  # Credentials
  assert {
    condition = (
      aws_db_instance.this.manage_master_user_password &&
      aws_db_instance.this.master_user_secret_kms_key_id == var.kms_key_arn &&
      aws_db_instance.this.username == "postgres_admin" && aws_db_instance.this.db_name == "app" &&
      !aws_db_instance.this.iam_database_authentication_enabled
    )
    error_message = "RDS must manage the master password in Secrets Manager, encrypted with the environment's key."
  }

  # Backups: automated backups for 30 days are what point-in-time recovery restores from.
  assert {
    condition = (
      aws_db_instance.this.backup_retention_period == 30 &&
      aws_db_instance.this.backup_window == "01:00-02:00" &&
      aws_db_instance.this.maintenance_window == "sun:02:30-sun:03:30" &&
      aws_db_instance.this.copy_tags_to_snapshot
    )
    error_message = "Backups (and so PITR) must be kept 30 days, taken daily in 01:00-02:00 UTC, with maintenance on Sunday 02:30-03:30."
  }

  # Unprotected outside prod
  assert {
    condition = (
      !aws_db_instance.this.deletion_protection && aws_db_instance.this.skip_final_snapshot &&
      aws_db_instance.this.delete_automated_backups && !aws_db_instance.this.multi_az
    )
    error_message = "By default the instance must be single-AZ, unprotected and deleted without a final snapshot."
  }

  # Network
  assert {
    condition = (
      !aws_db_instance.this.publicly_accessible &&
      aws_db_instance.this.db_subnet_group_name == "ngapp-test" &&
      aws_db_instance.this.port == 5432
    )
    error_message = "The instance must sit in the given database subnet group on 5432, not publicly accessible."
  }

  assert {
    condition     = aws_security_group.this.vpc_id == var.vpc_id && aws_security_group.this.name == "ngapp-test-db-db"
    error_message = "The security group must be in the given VPC."
  }

  assert {
    condition = (
      tolist(keys(aws_vpc_security_group_ingress_rule.this)) == tolist(["0", "1"]) &&
      tolist([for k in ["0", "1"] : aws_vpc_security_group_ingress_rule.this[k].referenced_security_group_id]) == var.allowed_security_group_ids &&
      alltrue([
        for r in aws_vpc_security_group_ingress_rule.this :
        r.ip_protocol == "tcp" && r.from_port == 5432 && r.to_port == 5432 && r.cidr_ipv4 == null && r.cidr_ipv6 == null &&
        r.description == "PostgreSQL from ${r.referenced_security_group_id}"
      ])
    )
    error_message = "The database must accept its port from exactly the allowed security groups, from no CIDR."
  }

  # Parameters
  assert {
    condition     = aws_db_parameter_group.this.family == "postgres16" && startswith(aws_db_parameter_group.this.name_prefix, "ngapp-test-db-")
    error_message = "The module's parameter group must be of family postgres16, named after the identifier."
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p if p.name == "rds.force_ssl"]) == { name = "rds.force_ssl", value = "1", apply_method = "immediate" }
    error_message = "The parameter group must force TLS (rds.force_ssl = 1)."
  }

  assert {
    condition = (
      length(aws_db_parameter_group.this.parameter) == 3 &&
      one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "log_connections"]) == "1" &&
      one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "log_min_duration_statement"]) == "1000"
    )
    error_message = "Connections and statements running 1 s or more must be logged."
  }

  # Performance Insights and enhanced monitoring
  assert {
    condition = (
      aws_db_instance.this.performance_insights_enabled &&
      aws_db_instance.this.performance_insights_kms_key_id == var.kms_key_arn &&
      aws_db_instance.this.performance_insights_retention_period == 7
    )
    error_message = "Performance Insights must be on for 7 days, encrypted with the environment's key."
  }

  assert {
    condition = (
      aws_db_instance.this.monitoring_interval == 0 &&
      length(aws_iam_role.this) == 0 && length(aws_iam_role_policy_attachment.this) == 0
    )
    error_message = "Enhanced monitoring must be off by default, without a monitoring role."
  }

  # Logs
  assert {
    condition     = aws_db_instance.this.enabled_cloudwatch_logs_exports == toset(["postgresql", "upgrade"])
    error_message = "The postgresql and upgrade logs must be exported to CloudWatch Logs."
  }

  assert {
    condition = (
      { for k, g in aws_cloudwatch_log_group.this : k => g.name } == {
        "primary/postgresql" = "/aws/rds/instance/ngapp-test-db/postgresql"
        "primary/upgrade"    = "/aws/rds/instance/ngapp-test-db/upgrade"
      } &&
      alltrue([for g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn && g.retention_in_days == 30])
    )
    error_message = "The export log groups must be created by the module, KMS-encrypted and kept 30 days."
  }

  # Replicas and tags
  assert {
    condition     = length(aws_db_instance.replica) == 0
    error_message = "There must be no read replica by default."
  }

  assert {
    condition = (
      aws_db_instance.this.tags.DataClassification == "personal" &&
      alltrue([for g in aws_cloudwatch_log_group.this : g.tags.DataClassification == "personal"])
    )
    error_message = "The instance and its logs must be classified as personal data."
  }
}

################################################################################
# Prod hardening
################################################################################

run "prod_hardening" {
  command = plan

  variables {
    environment         = "prod"
    multi_az            = true
    deletion_protection = true
    instance_class      = "db.m7g.large"
  }

  assert {
    condition     = aws_db_instance.this.multi_az && aws_db_instance.this.deletion_protection
    error_message = "Prod must be multi-AZ and deletion-protected."
  }

  assert {
    condition = (
      !aws_db_instance.this.skip_final_snapshot &&
      can(regex("^ngapp-test-db-final-[0-9]{14}$", aws_db_instance.this.final_snapshot_identifier)) &&
      !aws_db_instance.this.delete_automated_backups
    )
    error_message = "A protected instance must take a uniquely named final snapshot and keep its automated backups when deleted."
  }
}

################################################################################
# Engine versions
################################################################################

run "postgres_17" {
  command = plan

  variables {
    engine_version = "17"
  }

  assert {
    condition     = aws_db_instance.this.engine_version == "17" && aws_db_parameter_group.this.family == "postgres17"
    error_message = "PostgreSQL 17 must get a postgres17 parameter group."
  }
}

run "postgres_minor_version" {
  command = plan

  variables {
    engine_version = "16.4"
  }

  assert {
    condition     = aws_db_instance.this.engine_version == "16.4" && aws_db_parameter_group.this.family == "postgres16"
    error_message = "A minor version must be passed through, with the family of its major."
  }
}

################################################################################
# Read replicas
################################################################################

run "two_replicas" {
  command = plan

  variables {
    read_replica_count     = 2
    replica_instance_class = "db.t4g.small"
  }

  # The primary's ARN is known only after apply; give it one so the replicas' source can be compared.
  override_resource {
    target          = aws_db_instance.this
    override_during = plan
    values = {
      arn = "arn:aws:rds:af-south-1:123456789012:db:ngapp-test-db"
    }
  }

  assert {
    condition = (
      tolist(keys(aws_db_instance.replica)) == tolist(["01", "02"]) &&
      [for r in aws_db_instance.replica : r.identifier] == ["ngapp-test-db-replica-01", "ngapp-test-db-replica-02"]
    )
    error_message = "Two replicas must be created, numbered 01 and 02."
  }

  assert {
    condition     = alltrue([for r in aws_db_instance.replica : r.replicate_source_db == "arn:aws:rds:af-south-1:123456789012:db:ngapp-test-db"])
    error_message = "Every replica must replicate from the primary."
  }

  assert {
    condition = alltrue([
      for r in aws_db_instance.replica :
      r.instance_class == "db.t4g.small" && r.storage_encrypted && !r.publicly_accessible && !r.multi_az &&
      r.db_subnet_group_name == "ngapp-test" && r.backup_retention_period == 0 &&
      r.skip_final_snapshot && !r.deletion_protection && r.auto_minor_version_upgrade &&
      r.performance_insights_enabled && r.performance_insights_kms_key_id == var.kms_key_arn &&
      r.enabled_cloudwatch_logs_exports == toset(["postgresql", "upgrade"]) &&
      r.tags.DataClassification == "personal"
    ])
    error_message = "Replicas must be encrypted, private, single-AZ, without backups or protection, with Performance Insights and exported logs."
  }

  assert {
    condition = (
      length(aws_cloudwatch_log_group.this) == 6 &&
      aws_cloudwatch_log_group.this["02/postgresql"].name == "/aws/rds/instance/ngapp-test-db-replica-02/postgresql"
    )
    error_message = "Each replica must get its own encrypted export log groups."
  }
}

run "replica_inherits_instance_class" {
  command = plan

  variables {
    read_replica_count = 1
    instance_class     = "db.r7g.large"
  }

  assert {
    condition     = aws_db_instance.replica["01"].instance_class == "db.r7g.large"
    error_message = "Without replica_instance_class a replica must use instance_class."
  }
}

################################################################################
# Enhanced monitoring and other options
################################################################################

run "enhanced_monitoring" {
  command = plan

  variables {
    monitoring_interval = 60
  }

  assert {
    condition     = length(aws_iam_role.this) == 1 && aws_iam_role.this["enhanced-monitoring"].name == "ngapp-test-db-monitoring"
    error_message = "monitoring_interval > 0 must create the monitoring role."
  }

  assert {
    condition     = aws_iam_role_policy_attachment.this["enhanced-monitoring"].policy_arn == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    error_message = "The monitoring role must carry AWS's AmazonRDSEnhancedMonitoringRole policy."
  }

  assert {
    condition = (
      one(data.aws_iam_policy_document.monitoring_assume.statement[0].principals).identifiers == toset(["monitoring.rds.amazonaws.com"]) &&
      one(data.aws_iam_policy_document.monitoring_assume.statement[0].condition).variable == "aws:SourceAccount" &&
      one(data.aws_iam_policy_document.monitoring_assume.statement[0].condition).values == tolist(["123456789012"])
    )
    error_message = "Only RDS monitoring acting for this account may assume the role."
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 60
    error_message = "The instance must sample OS metrics every 60 s."
  }
}

run "options_passed_through" {
  command = plan

  variables {
    performance_insights_enabled        = false
    iam_database_authentication_enabled = true
    apply_immediately                   = true
    port                                = 6432
    log_min_duration_statement_ms       = -1
    log_retention_days                  = 90
    extra_parameters                    = { shared_preload_libraries = "pg_stat_statements" }
    tags                                = { Component = "database" }
  }

  assert {
    condition = (
      !aws_db_instance.this.performance_insights_enabled &&
      aws_db_instance.this.iam_database_authentication_enabled && aws_db_instance.this.apply_immediately &&
      aws_db_instance.this.port == 6432
    )
    error_message = "Performance Insights, IAM authentication, apply_immediately and port must be passed through."
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.this : r.from_port == 6432 && r.to_port == 6432])
    error_message = "The security group must open the configured port."
  }

  assert {
    condition = (
      one([for p in aws_db_parameter_group.this.parameter : p if p.name == "shared_preload_libraries"]) == { name = "shared_preload_libraries", value = "pg_stat_statements", apply_method = "pending-reboot" } &&
      one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "log_min_duration_statement"]) == "-1"
    )
    error_message = "Extra parameters must be added (applied at the next reboot) and log_min_duration_statement follow its input."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 90])
    error_message = "log_retention_days must reach the log groups."
  }

  assert {
    condition = (
      aws_db_instance.this.tags.Component == "database" && aws_security_group.this.tags.Component == "database" &&
      aws_db_parameter_group.this.tags.Component == "database" &&
      alltrue([for r in aws_vpc_security_group_ingress_rule.this : r.tags.Component == "database"]) &&
      alltrue([for g in aws_cloudwatch_log_group.this : g.tags.Component == "database"])
    )
    error_message = "tags must reach every resource."
  }
}

run "allowed_security_groups_unknown_at_plan" {
  command = plan

  module {
    source = "./tests/unknown_security_groups"
  }

  # The plan succeeding is the test: for_each keys that depended on the IDs would fail here with
  # "Invalid for_each argument". (Mocked IDs are only filled in on apply.)
  assert {
    condition     = aws_security_group.tasks.name == "ngapp-test-api-service"
    error_message = "The fixture must plan with a security group ID unknown until apply."
  }
}

################################################################################
# Outputs (apply against mocks)
################################################################################

run "outputs" {
  command = apply

  variables {
    read_replica_count  = 1
    monitoring_interval = 60
  }

  # The mock leaves the computed master_user_secret block empty, where RDS fills it in. An
  # override replaces the mock's defaults for this resource, so they are repeated.
  override_resource {
    target = aws_db_instance.this
    values = {
      arn         = "arn:aws:rds:af-south-1:123456789012:db:ngapp-test-db"
      resource_id = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
      address     = "ngapp-test-db.c0abcdefghij.af-south-1.rds.amazonaws.com"
      endpoint    = "ngapp-test-db.c0abcdefghij.af-south-1.rds.amazonaws.com:5432"
      master_user_secret = [{
        secret_arn    = "arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-0123-AbCdEf"
        kms_key_id    = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        secret_status = "active"
      }]
    }
  }

  assert {
    condition = (
      output.identifier == "ngapp-test-db" && output.port == 5432 && output.db_name == "app" &&
      output.master_username == "postgres_admin" &&
      output.arn == "arn:aws:rds:af-south-1:123456789012:db:ngapp-test-db" &&
      output.address == "ngapp-test-db.c0abcdefghij.af-south-1.rds.amazonaws.com" &&
      output.endpoint == "ngapp-test-db.c0abcdefghij.af-south-1.rds.amazonaws.com:5432" &&
      output.resource_id == "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
    )
    error_message = "Outputs must expose the primary's identity, endpoint and credentials' user."
  }

  assert {
    condition     = output.master_user_secret_arn == "arn:aws:secretsmanager:af-south-1:123456789012:secret:rds!db-0123-AbCdEf"
    error_message = "master_user_secret_arn must expose the secret RDS manages."
  }

  assert {
    condition = (
      output.security_group_id == "sg-0dddddddddddddddd" &&
      output.parameter_group_name == aws_db_parameter_group.this.name &&
      aws_db_instance.this.parameter_group_name == aws_db_parameter_group.this.name &&
      aws_db_instance.replica["01"].parameter_group_name == aws_db_parameter_group.this.name
    )
    error_message = "The primary and replicas must use the module's parameter group; outputs must expose it and the security group."
  }

  assert {
    condition = (
      aws_db_instance.this.vpc_security_group_ids == toset([aws_security_group.this.id]) &&
      aws_db_instance.replica["01"].vpc_security_group_ids == toset([aws_security_group.this.id]) &&
      alltrue([for r in aws_vpc_security_group_ingress_rule.this : r.security_group_id == aws_security_group.this.id])
    )
    error_message = "The primary and replicas must be in the module's security group only, and the rules must belong to it."
  }

  assert {
    condition = (
      output.replica_identifiers == tomap({ "01" = "ngapp-test-db-replica-01" }) &&
      tolist(keys(output.replica_addresses)) == tolist(["01"]) && tolist(keys(output.replica_arns)) == tolist(["01"])
    )
    error_message = "Replica outputs must be keyed by replica number."
  }

  assert {
    condition = output.log_group_names == tomap({
      "primary/postgresql" = "/aws/rds/instance/ngapp-test-db/postgresql"
      "primary/upgrade"    = "/aws/rds/instance/ngapp-test-db/upgrade"
      "01/postgresql"      = "/aws/rds/instance/ngapp-test-db-replica-01/postgresql"
      "01/upgrade"         = "/aws/rds/instance/ngapp-test-db-replica-01/upgrade"
    })
    error_message = "log_group_names must list every instance's export log groups."
  }

  assert {
    condition = (
      aws_db_instance.this.monitoring_role_arn == aws_iam_role.this["enhanced-monitoring"].arn &&
      aws_db_instance.replica["01"].monitoring_role_arn == aws_iam_role.this["enhanced-monitoring"].arn
    )
    error_message = "The primary and replicas must publish enhanced monitoring with the module's role."
  }
}

################################################################################
# Validations
################################################################################

run "rejects_7_day_backups" {
  command = plan

  variables {
    backup_retention_days = 7
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_36_day_backups" {
  command = plan

  variables {
    backup_retention_days = 36
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_postgres_14" {
  command = plan

  variables {
    engine_version = "14"
  }

  expect_failures = [var.engine_version]
}

run "rejects_postgres_15_minor" {
  command = plan

  variables {
    engine_version = "15.7"
  }

  expect_failures = [var.engine_version]
}

run "rejects_prod_without_multi_az" {
  command = plan

  variables {
    environment         = "prod"
    multi_az            = false
    deletion_protection = true
  }

  expect_failures = [var.multi_az]
}

run "rejects_prod_without_a_final_snapshot" {
  command = plan

  variables {
    environment         = "prod"
    multi_az            = true
    deletion_protection = false
  }

  expect_failures = [var.final_snapshot]
}

# What `infra down` plans before destroying prod: protection lifted, the final snapshot kept.
run "prod_teardown_keeps_the_final_snapshot" {
  command = plan

  variables {
    environment         = "prod"
    multi_az            = true
    deletion_protection = false
    final_snapshot      = true
  }

  assert {
    condition     = !aws_db_instance.this.deletion_protection && !aws_db_instance.this.skip_final_snapshot && !aws_db_instance.this.delete_automated_backups
    error_message = "Lifting deletion protection must not drop the final snapshot or the automated backups."
  }
}

run "staging_may_be_single_az_and_unprotected" {
  command = plan

  variables {
    environment = "staging"
  }

  assert {
    condition     = !aws_db_instance.this.multi_az && !aws_db_instance.this.deletion_protection
    error_message = "Only prod enforces multi-AZ and deletion protection."
  }
}

run "rejects_malformed_backup_window" {
  command = plan

  variables {
    backup_window = "1:00-2:00"
  }

  expect_failures = [var.backup_window]
}

run "rejects_backup_window_past_midnight_hour" {
  command = plan

  variables {
    backup_window = "24:00-00:30"
  }

  expect_failures = [var.backup_window]
}

run "rejects_short_backup_window" {
  command = plan

  variables {
    backup_window = "01:00-01:15"
  }

  expect_failures = [var.backup_window]
}

run "rejects_malformed_maintenance_window" {
  command = plan

  variables {
    maintenance_window = "Sunday 02:30-03:30"
  }

  expect_failures = [var.maintenance_window]
}

run "rejects_short_maintenance_window" {
  command = plan

  variables {
    maintenance_window = "sun:03:00-sun:03:20"
  }

  expect_failures = [var.maintenance_window]
}

run "rejects_maintenance_overlapping_backups" {
  command = plan

  variables {
    maintenance_window = "wed:01:30-wed:02:30"
  }

  expect_failures = [var.maintenance_window]
}

run "rejects_maintenance_overlapping_backups_across_the_week_boundary" {
  command = plan

  variables {
    backup_window      = "00:00-00:30"
    maintenance_window = "sun:23:30-mon:00:15"
  }

  expect_failures = [var.maintenance_window]
}

run "accepts_adjacent_windows" {
  command = plan

  variables {
    backup_window      = "23:30-00:30"
    maintenance_window = "mon:00:30-mon:01:00"
  }

  assert {
    condition     = aws_db_instance.this.backup_window == "23:30-00:30" && aws_db_instance.this.maintenance_window == "mon:00:30-mon:01:00"
    error_message = "Windows that touch without overlapping must be accepted, backup windows may cross midnight."
  }
}

run "rejects_upper_case_identifier" {
  command = plan

  variables {
    identifier = "Ngapp_DB"
  }

  expect_failures = [var.identifier]
}

run "rejects_identifier_with_double_hyphen" {
  command = plan

  variables {
    identifier = "ngapp--db"
  }

  expect_failures = [var.identifier]
}

run "rejects_identifier_ending_with_hyphen" {
  command = plan

  variables {
    identifier = "ngapp-db-"
  }

  expect_failures = [var.identifier]
}

run "rejects_identifier_too_long_for_replicas" {
  command = plan

  variables {
    identifier = join("", ["a", join("", [for i in range(52) : "b"])])
  }

  expect_failures = [var.identifier]
}

run "rejects_6_replicas" {
  command = plan

  variables {
    read_replica_count = 6
  }

  expect_failures = [var.read_replica_count]
}

run "rejects_postgres_master_username" {
  command = plan

  variables {
    master_username = "postgres"
  }

  expect_failures = [var.master_username]
}

run "rejects_rds_prefixed_master_username" {
  command = plan

  variables {
    master_username = "rds_app"
  }

  expect_failures = [var.master_username]
}

run "rejects_kms_alias" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:af-south-1:123456789012:alias/ngapp-dev"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_monitoring_interval_2" {
  command = plan

  variables {
    monitoring_interval = 2
  }

  expect_failures = [var.monitoring_interval]
}

run "rejects_performance_insights_retention_8" {
  command = plan

  variables {
    performance_insights_retention_days = 8
  }

  expect_failures = [var.performance_insights_retention_days]
}

run "accepts_performance_insights_retention_93" {
  command = plan

  variables {
    performance_insights_retention_days = 93
  }

  assert {
    condition     = aws_db_instance.this.performance_insights_retention_period == 93
    error_message = "A multiple of 31 days must be accepted."
  }
}

run "rejects_max_storage_below_allocated" {
  command = plan

  variables {
    allocated_storage     = 50
    max_allocated_storage = 40
  }

  expect_failures = [var.max_allocated_storage]
}

run "rejects_overriding_force_ssl" {
  command = plan

  variables {
    extra_parameters = { "rds.force_ssl" = "0" }
  }

  expect_failures = [var.extra_parameters]
}

run "rejects_no_allowed_security_group" {
  command = plan

  variables {
    allowed_security_group_ids = []
  }

  expect_failures = [var.allowed_security_group_ids]
}

run "rejects_cidr_as_security_group" {
  command = plan

  variables {
    allowed_security_group_ids = ["10.0.0.0/16"]
  }

  expect_failures = [var.allowed_security_group_ids]
}
