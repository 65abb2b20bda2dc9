# Unit tests with a mocked AWS provider: no credentials or network needed.
# Most runs plan only; the run that asserts on computed values (ARN, endpoints, IDs) uses apply,
# which against mocks only fills in fake values.

mock_provider "aws" {
  # Mocked attributes are random strings by default; real-looking values keep the output
  # assertions meaningful.
  mock_resource "aws_elasticache_replication_group" {
    defaults = {
      arn                      = "arn:aws:elasticache:af-south-1:123456789012:replicationgroup:ngapp-test-cache"
      primary_endpoint_address = "master.ngapp-test-cache.abc123.afs1.cache.amazonaws.com"
      reader_endpoint_address  = "replica.ngapp-test-cache.abc123.afs1.cache.amazonaws.com"
      member_clusters          = ["ngapp-test-cache-002", "ngapp-test-cache-001"]
    }
  }

  mock_resource "aws_security_group" {
    defaults = {
      id = "sg-0cccccccccccccccc"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:af-south-1:123456789012:log-group:/elasticache/ngapp-test-cache/slow-log"
    }
  }
}

variables {
  name                       = "ngapp-test-cache"
  environment                = "dev"
  vpc_id                     = "vpc-0123456789abcdef0"
  subnet_ids                 = ["subnet-0ddddddddddddddd1", "subnet-0ddddddddddddddd2", "subnet-0ddddddddddddddd3"]
  allowed_security_group_ids = ["sg-0aaaaaaaaaaaaaaa1", "sg-0bbbbbbbbbbbbbbb2"]
  kms_key_arn                = "arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  auth_token_secret_arn      = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/test/cache-auth-token-AbCdEf"
}

################################################################################
# Defaults (dev)
################################################################################

run "defaults" {
  command = plan

  # Encryption and AUTH
  assert {
    condition     = aws_elasticache_replication_group.this.at_rest_encryption_enabled == "true" && aws_elasticache_replication_group.this.kms_key_id == var.kms_key_arn
    error_message = "The cache must be encrypted at rest with kms_key_arn."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.transit_encryption_enabled && aws_elasticache_replication_group.this.transit_encryption_mode == "required"
    error_message = "The cache must require TLS (transit encryption on, mode required)."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.auth_token == null && aws_elasticache_replication_group.this.auth_token_update_strategy == null
    error_message = "No AUTH token may be in the configuration: it would land in plans and state."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.tags == tomap({ Name = "ngapp-test-cache" })
    error_message = "The group must be tagged with its name only (a secret ARN would be unknown at plan time)."
  }

  # One node without failover in dev
  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 1
    error_message = "dev must default to one node."
  }

  assert {
    condition     = !aws_elasticache_replication_group.this.automatic_failover_enabled && !aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "One node can neither fail over nor be Multi-AZ."
  }

  # Engine and size
  assert {
    condition = (
      aws_elasticache_replication_group.this.replication_group_id == "ngapp-test-cache" &&
      aws_elasticache_replication_group.this.engine == "redis" &&
      aws_elasticache_replication_group.this.engine_version == "7.1" &&
      aws_elasticache_replication_group.this.node_type == "cache.t4g.micro" &&
      aws_elasticache_replication_group.this.port == 6379
    )
    error_message = "Defaults must be Redis 7.1 on cache.t4g.micro, port 6379, group named after var.name."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.auto_minor_version_upgrade == "true" && !aws_elasticache_replication_group.this.apply_immediately
    error_message = "Minor upgrades must be automatic and changes wait for the maintenance window by default."
  }

  # Snapshots and maintenance
  assert {
    condition = (
      aws_elasticache_replication_group.this.snapshot_retention_limit == 7 &&
      aws_elasticache_replication_group.this.snapshot_window == "03:00-04:00" &&
      aws_elasticache_replication_group.this.maintenance_window == "sun:04:30-sun:05:30"
    )
    error_message = "Snapshots must be kept 7 days by default, in the default windows."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == null
    error_message = "No final snapshot unless final_snapshot is true."
  }

  # Groups
  assert {
    condition     = aws_elasticache_replication_group.this.parameter_group_name == aws_elasticache_parameter_group.this.name && aws_elasticache_replication_group.this.subnet_group_name == aws_elasticache_subnet_group.this.name
    error_message = "The group must use the module's parameter and subnet groups."
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "redis7" && aws_elasticache_parameter_group.this.name == "ngapp-test-cache-redis7"
    error_message = "Redis 7.1 must use the redis7 family, in a group named <name>-redis7."
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.parameter == toset([{ name = "maxmemory-policy", value = "volatile-lru" }])
    error_message = "The only default parameter must be maxmemory-policy = volatile-lru."
  }

  assert {
    condition     = aws_elasticache_subnet_group.this.subnet_ids == toset(var.subnet_ids) && aws_elasticache_subnet_group.this.name == "ngapp-test-cache"
    error_message = "The subnet group must hold exactly the given subnets."
  }

  # Security group: the allowed groups only, on the cache port
  assert {
    condition     = aws_security_group.this.vpc_id == var.vpc_id && aws_security_group.this.name == "ngapp-test-cache-elasticache"
    error_message = "The security group must be in var.vpc_id."
  }

  assert {
    condition     = tolist([for k in sort(keys(aws_vpc_security_group_ingress_rule.this)) : aws_vpc_security_group_ingress_rule.this[k].referenced_security_group_id]) == var.allowed_security_group_ids && keys(aws_vpc_security_group_ingress_rule.this) == ["0", "1"]
    error_message = "There must be one ingress rule per allowed security group, keyed by position."
  }

  assert {
    condition = alltrue([
      for r in aws_vpc_security_group_ingress_rule.this :
      r.ip_protocol == "tcp" && r.from_port == 6379 && r.to_port == 6379 && r.cidr_ipv4 == null && r.cidr_ipv6 == null && r.prefix_list_id == null && length(r.description) > 0
    ])
    error_message = "Ingress must be TCP on the cache port from security groups only, each rule described."
  }

  # Slow log
  assert {
    condition = (
      aws_cloudwatch_log_group.this.name == "/elasticache/ngapp-test-cache/slow-log" &&
      aws_cloudwatch_log_group.this.retention_in_days == 30 &&
      aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    )
    error_message = "The slow log group must keep logs 30 days, encrypted with kms_key_arn."
  }

  assert {
    condition = aws_elasticache_replication_group.this.log_delivery_configuration == toset([{
      destination      = "/elasticache/ngapp-test-cache/slow-log"
      destination_type = "cloudwatch-logs"
      log_format       = "json"
      log_type         = "slow-log"
    }])
    error_message = "The slow log must be delivered as JSON to the module's log group."
  }

  # Outputs known at plan time
  assert {
    condition = (
      output.auth_token_secret_arn == var.auth_token_secret_arn &&
      output.port == 6379 &&
      output.parameter_group_name == "ngapp-test-cache-redis7" &&
      output.subnet_group_name == "ngapp-test-cache" &&
      output.slow_log_group_name == "/elasticache/ngapp-test-cache/slow-log"
    )
    error_message = "Outputs must pass the secret ARN through and name the groups."
  }
}

run "outputs" {
  command = apply

  assert {
    condition     = aws_elasticache_replication_group.this.security_group_ids == toset([aws_security_group.this.id])
    error_message = "The group must be in the module's security group only."
  }

  assert {
    condition = (
      output.replication_group_id == "ngapp-test-cache" &&
      output.arn == "arn:aws:elasticache:af-south-1:123456789012:replicationgroup:ngapp-test-cache" &&
      output.primary_endpoint_address == "master.ngapp-test-cache.abc123.afs1.cache.amazonaws.com" &&
      output.reader_endpoint_address == "replica.ngapp-test-cache.abc123.afs1.cache.amazonaws.com" &&
      output.member_clusters == tolist(["ngapp-test-cache-001", "ngapp-test-cache-002"]) &&
      output.security_group_id == "sg-0cccccccccccccccc"
    )
    error_message = "Outputs must expose the group, its endpoints, its sorted nodes and its security group."
  }
}

################################################################################
# Highly available environments
################################################################################

run "staging_two_nodes" {
  command = plan

  variables {
    environment        = "staging"
    num_cache_clusters = 2
  }

  assert {
    condition     = aws_elasticache_replication_group.this.num_cache_clusters == 2
    error_message = "num_cache_clusters must reach the group."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled
    error_message = "Two nodes must turn on automatic failover and Multi-AZ."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.description == "redis cache ngapp-test-cache (staging)"
    error_message = "The description must name engine, group and environment."
  }
}

run "prod_valkey_three_nodes" {
  command = plan

  variables {
    environment              = "prod"
    engine                   = "valkey"
    engine_version           = "8.0"
    node_type                = "cache.r7g.large"
    num_cache_clusters       = 3
    snapshot_retention_limit = 35
    final_snapshot           = true
    apply_immediately        = true
    log_retention_days       = 90
    tags                     = { Component = "cache", Name = "overwritten" }
  }

  assert {
    condition     = aws_elasticache_replication_group.this.automatic_failover_enabled && aws_elasticache_replication_group.this.multi_az_enabled && aws_elasticache_replication_group.this.num_cache_clusters == 3
    error_message = "Three nodes must fail over automatically across AZs."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.engine == "valkey" && aws_elasticache_replication_group.this.engine_version == "8.0"
    error_message = "engine and engine_version must reach the group."
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "valkey8" && aws_elasticache_parameter_group.this.name == "ngapp-test-cache-valkey8"
    error_message = "Valkey 8.0 must use the valkey8 family."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.final_snapshot_identifier == "ngapp-test-cache-final"
    error_message = "final_snapshot must name the final snapshot <name>-final."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_retention_limit == 35 && aws_elasticache_replication_group.this.apply_immediately && aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "Retention, apply_immediately and log retention must reach their resources."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.tags["Name"] == var.name && aws_elasticache_replication_group.this.tags["Component"] == "cache"
    error_message = "Caller tags must be added, but never replace the Name tag."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.at_rest_encryption_enabled == "true" && aws_elasticache_replication_group.this.transit_encryption_mode == "required"
    error_message = "Encryption must not depend on the environment."
  }
}

################################################################################
# Engine versions and parameters
################################################################################

run "valkey_default_version" {
  command = plan

  variables {
    engine = "valkey"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.engine_version == "8.0" && aws_elasticache_parameter_group.this.family == "valkey8"
    error_message = "valkey without engine_version must get 8.0 and the valkey8 family."
  }
}

run "valkey_7_2" {
  command = plan

  variables {
    engine         = "valkey"
    engine_version = "7.2"
  }

  assert {
    condition     = aws_elasticache_parameter_group.this.family == "valkey7" && aws_elasticache_parameter_group.this.name == "ngapp-test-cache-valkey7"
    error_message = "Valkey 7.2 must use the valkey7 family."
  }
}

run "redis_7_0" {
  command = plan

  variables {
    engine_version = "7.0"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.engine_version == "7.0" && aws_elasticache_parameter_group.this.family == "redis7"
    error_message = "Redis 7.0 must use the redis7 family."
  }
}

run "custom_parameters" {
  command = plan

  variables {
    maxmemory_policy = "allkeys-lfu"
    extra_parameters = { "notify-keyspace-events" = "Ex", "maxmemory-samples" = "10" }
  }

  assert {
    condition = aws_elasticache_parameter_group.this.parameter == toset([
      { name = "maxmemory-policy", value = "allkeys-lfu" },
      { name = "notify-keyspace-events", value = "Ex" },
      { name = "maxmemory-samples", value = "10" },
    ])
    error_message = "maxmemory_policy and extra_parameters must all be in the parameter group."
  }
}

run "custom_port_and_windows" {
  command = plan

  variables {
    port               = 6380
    snapshot_window    = "23:30-00:30"
    maintenance_window = "sat:23:00-sun:01:00"
  }

  assert {
    condition     = aws_elasticache_replication_group.this.port == 6380 && alltrue([for r in aws_vpc_security_group_ingress_rule.this : r.from_port == 6380 && r.to_port == 6380])
    error_message = "The port must reach the group and the ingress rules."
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_window == "23:30-00:30" && aws_elasticache_replication_group.this.maintenance_window == "sat:23:00-sun:01:00"
    error_message = "Windows crossing midnight and the end of the week must be accepted."
  }
}

################################################################################
# Security group IDs unknown at plan time
################################################################################

# The usual case: an allowed group is created in the same apply, so its ID is unknown at plan
# time. Ingress rules keyed by ID would fail here with "Invalid for_each argument"; keyed by
# position they plan.
run "unknown_security_group_ids" {
  command = plan

  module {
    source = "./tests/fixtures/unknown_security_group"
  }

  assert {
    condition     = output.auth_token_secret_arn == "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/test/cache-auth-token-AbCdEf"
    error_message = "The module must plan with allowed security group IDs unknown at plan time."
  }
}

################################################################################
# Validations
################################################################################

run "rejects_prod_single_node" {
  command = plan

  variables {
    environment        = "prod"
    num_cache_clusters = 1
  }

  expect_failures = [var.num_cache_clusters]
}

run "rejects_staging_without_snapshots" {
  command = plan

  variables {
    environment              = "staging"
    num_cache_clusters       = 2
    snapshot_retention_limit = 0
  }

  expect_failures = [var.snapshot_retention_limit]
}

run "allows_dev_without_snapshots" {
  command = plan

  variables {
    snapshot_retention_limit = 0
  }

  assert {
    condition     = aws_elasticache_replication_group.this.snapshot_retention_limit == 0
    error_message = "dev may turn snapshots off."
  }
}

run "rejects_seven_nodes" {
  command = plan

  variables {
    num_cache_clusters = 7
  }

  expect_failures = [var.num_cache_clusters]
}

run "rejects_redis_6" {
  command = plan

  variables {
    engine_version = "6.2"
  }

  expect_failures = [var.engine_version]
}

run "rejects_version_wildcard" {
  command = plan

  variables {
    engine_version = "7.x"
  }

  expect_failures = [var.engine_version]
}

run "rejects_valkey_7_1" {
  command = plan

  variables {
    engine         = "valkey"
    engine_version = "7.1"
  }

  expect_failures = [var.engine_version]
}

run "rejects_unknown_engine" {
  command = plan

  variables {
    engine = "memcached"
  }

  expect_failures = [var.engine]
}

run "rejects_bad_node_type" {
  command = plan

  variables {
    node_type = "t4g.micro"
  }

  expect_failures = [var.node_type]
}

run "rejects_upper_case_name" {
  command = plan

  variables {
    name = "NgApp_Cache"
  }

  expect_failures = [var.name]
}

run "rejects_name_with_double_hyphen" {
  command = plan

  variables {
    name = "ngapp--cache"
  }

  expect_failures = [var.name]
}

run "rejects_name_ending_with_hyphen" {
  command = plan

  variables {
    name = "ngapp-cache-"
  }

  expect_failures = [var.name]
}

run "rejects_name_over_40_characters" {
  command = plan

  variables {
    name = "ngapp-staging-cache-for-the-session-store"
  }

  expect_failures = [var.name]
}

run "rejects_bad_maxmemory_policy" {
  command = plan

  variables {
    maxmemory_policy = "lru"
  }

  expect_failures = [var.maxmemory_policy]
}

run "rejects_maxmemory_policy_in_extra_parameters" {
  command = plan

  variables {
    extra_parameters = { "maxmemory-policy" = "allkeys-lru" }
  }

  expect_failures = [var.extra_parameters]
}

run "rejects_cluster_mode" {
  command = plan

  variables {
    extra_parameters = { "cluster-enabled" = "yes" }
  }

  expect_failures = [var.extra_parameters]
}

run "rejects_alias_instead_of_key_arn" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:af-south-1:123456789012:alias/ngapp-test"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_secret_name_instead_of_arn" {
  command = plan

  variables {
    auth_token_secret_arn = "/ngapp/test/cache-auth-token"
  }

  expect_failures = [var.auth_token_secret_arn]
}

run "rejects_single_subnet" {
  command = plan

  variables {
    subnet_ids = ["subnet-0ddddddddddddddd1"]
  }

  expect_failures = [var.subnet_ids]
}

run "rejects_no_allowed_security_group" {
  command = plan

  variables {
    allowed_security_group_ids = []
  }

  expect_failures = [var.allowed_security_group_ids]
}

run "rejects_cidr_as_allowed_security_group" {
  command = plan

  variables {
    allowed_security_group_ids = ["10.0.0.0/16"]
  }

  expect_failures = [var.allowed_security_group_ids]
}

run "rejects_short_snapshot_window" {
  command = plan

  variables {
    snapshot_window = "03:00-03:30"
  }

  expect_failures = [var.snapshot_window]
}

run "rejects_upper_case_maintenance_day" {
  command = plan

  variables {
    maintenance_window = "Sun:04:30-Sun:05:30"
  }

  expect_failures = [var.maintenance_window]
}

run "rejects_maintenance_window_over_a_day" {
  command = plan

  variables {
    maintenance_window = "sun:04:30-mon:05:30"
  }

  expect_failures = [var.maintenance_window]
}

run "rejects_unsupported_log_retention" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}
