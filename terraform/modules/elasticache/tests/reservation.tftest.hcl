# Reserved capacity (var.reservation) with a mocked AWS provider: no credentials, nothing bought.
# Plans only, except the outputs run, which applies against the mocks.

mock_provider "aws" {
  # What DescribeReservedCacheNodesOfferings answers; the offering's own fields echo the query.
  mock_data "aws_elasticache_reserved_cache_node_offering" {
    defaults = {
      offering_id = "1ef01f4d-1b70-4ab8-9b2c-0e8ab5d51d32"
      fixed_price = 0
    }
  }

  mock_resource "aws_elasticache_reserved_cache_node" {
    defaults = {
      arn = "arn:aws:elasticache:af-south-1:123456789012:reserved-instance:ngapp-test-cache-1y-no-upfront"
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
  subnet_ids                 = ["subnet-0ddddddddddddddd1", "subnet-0ddddddddddddddd2"]
  allowed_security_group_ids = ["sg-0aaaaaaaaaaaaaaa1"]
  kms_key_arn                = "arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  auth_token_secret_arn      = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/test/cache-auth-token-AbCdEf"
}

################################################################################
# Off by default
################################################################################

run "disabled_by_default" {
  command = plan

  assert {
    condition     = length(aws_elasticache_reserved_cache_node.this) == 0
    error_message = "Nothing may be reserved unless reservation.enabled is set."
  }

  assert {
    condition     = length(data.aws_elasticache_reserved_cache_node_offering.this) == 0
    error_message = "The offering must not be looked up while the reservation is off (the emulator sells none)."
  }

  assert {
    condition     = output.reservation_id == null
    error_message = "reservation_id must be null when nothing is reserved."
  }
}

run "disabled_with_settings" {
  command = plan

  variables {
    reservation = { enabled = false, duration_years = 3, offering_type = "All Upfront", node_count = 2 }
  }

  assert {
    condition     = length(aws_elasticache_reserved_cache_node.this) == 0 && length(data.aws_elasticache_reserved_cache_node_offering.this) == 0
    error_message = "Settings without enabled = true must buy and look up nothing."
  }
}

################################################################################
# Enabled
################################################################################

run "enabled_defaults" {
  command = plan

  variables {
    reservation = { enabled = true }
  }

  assert {
    condition     = keys(aws_elasticache_reserved_cache_node.this) == ["ngapp-test-cache-1y-no-upfront"]
    error_message = "One reservation, keyed by its derived ID \"<name>-1y-no-upfront\", must be planned."
  }

  assert {
    condition = alltrue([
      for o in data.aws_elasticache_reserved_cache_node_offering.this :
      o.cache_node_type == "cache.t4g.micro" && o.duration == "P1Y" &&
      o.offering_type == "No Upfront" && o.product_description == "redis"
    ]) && length(data.aws_elasticache_reserved_cache_node_offering.this) == 1
    error_message = "The offering must be redis on the module's node type, one year (\"P1Y\"), no upfront."
  }

  assert {
    condition = (
      aws_elasticache_reserved_cache_node.this["ngapp-test-cache-1y-no-upfront"].reserved_cache_nodes_offering_id == "1ef01f4d-1b70-4ab8-9b2c-0e8ab5d51d32" &&
      aws_elasticache_reserved_cache_node.this["ngapp-test-cache-1y-no-upfront"].cache_node_count == 1 &&
      aws_elasticache_reserved_cache_node.this["ngapp-test-cache-1y-no-upfront"].id == "ngapp-test-cache-1y-no-upfront"
    )
    error_message = "The reservation must buy the offering found, for one node, under the derived ID."
  }

  assert {
    condition     = aws_elasticache_reserved_cache_node.this["ngapp-test-cache-1y-no-upfront"].tags == tomap({ Name = "ngapp-test-cache-1y-no-upfront" })
    error_message = "The reservation must be tagged with its ID."
  }

  assert {
    condition     = output.reservation_id == "ngapp-test-cache-1y-no-upfront"
    error_message = "reservation_id must expose the reservation's ID."
  }
}

run "enabled_prod_every_node_three_years" {
  command = plan

  variables {
    environment        = "prod"
    node_type          = "cache.r7g.large"
    num_cache_clusters = 3
    reservation        = { enabled = true, duration_years = 3, offering_type = "Partial Upfront", node_count = 3 }
  }

  assert {
    condition = alltrue([
      for o in data.aws_elasticache_reserved_cache_node_offering.this :
      o.cache_node_type == "cache.r7g.large" && o.duration == "P3Y" && o.offering_type == "Partial Upfront"
    ]) && length(data.aws_elasticache_reserved_cache_node_offering.this) == 1
    error_message = "The offering must be the group's node type for three years (\"P3Y\"), partial upfront."
  }

  assert {
    condition = (
      keys(aws_elasticache_reserved_cache_node.this) == ["ngapp-test-cache-3y-partial-upfront"] &&
      aws_elasticache_reserved_cache_node.this["ngapp-test-cache-3y-partial-upfront"].cache_node_count == 3
    )
    error_message = "Every node of the group must be coverable, under an ID naming the term and payment option."
  }
}

run "enabled_covers_only_the_nodes_asked_for" {
  command = plan

  variables {
    environment        = "staging"
    num_cache_clusters = 2
    reservation        = { enabled = true }
  }

  assert {
    condition     = aws_elasticache_reserved_cache_node.this["ngapp-test-cache-1y-no-upfront"].cache_node_count == 1
    error_message = "node_count, not num_cache_clusters, must set the count: scaling the group must not buy a new reservation."
  }
}

run "enabled_valkey" {
  command = plan

  variables {
    engine      = "valkey"
    reservation = { enabled = true, offering_type = "All Upfront" }
  }

  assert {
    condition = (
      data.aws_elasticache_reserved_cache_node_offering.this["ngapp-test-cache-1y-all-upfront"].product_description == "valkey" &&
      data.aws_elasticache_reserved_cache_node_offering.this["ngapp-test-cache-1y-all-upfront"].offering_type == "All Upfront"
    )
    error_message = "A valkey group must ask for valkey offerings."
  }
}

run "enabled_with_explicit_id" {
  command = plan

  variables {
    reservation = { enabled = true, id = "ngapp-test-cache-second" }
  }

  assert {
    condition = (
      keys(aws_elasticache_reserved_cache_node.this) == ["ngapp-test-cache-second"] &&
      aws_elasticache_reserved_cache_node.this["ngapp-test-cache-second"].id == "ngapp-test-cache-second"
    )
    error_message = "An explicit reservation.id must replace the derived one."
  }
}

run "outputs" {
  command = apply

  variables {
    reservation = { enabled = true }
  }

  assert {
    condition = (
      output.reservation_id == "ngapp-test-cache-1y-no-upfront" &&
      output.reservation_arn == "arn:aws:elasticache:af-south-1:123456789012:reserved-instance:ngapp-test-cache-1y-no-upfront"
    )
    error_message = "reservation_id and reservation_arn must expose the reservation."
  }
}

################################################################################
# More reserved than running: a warning (check), not an error
################################################################################

run "warns_when_reserving_more_than_runs" {
  command = plan

  variables {
    reservation = { enabled = true, node_count = 2 }
  }

  expect_failures = [check.reservation_matches_nodes]
}

################################################################################
# Validation
################################################################################

run "rejects_two_years" {
  command = plan

  variables {
    reservation = { enabled = true, duration_years = 2 }
  }

  expect_failures = [var.reservation]
}

run "rejects_duration_in_seconds" {
  command = plan

  variables {
    reservation = { enabled = true, duration_years = 31536000 }
  }

  expect_failures = [var.reservation]
}

run "rejects_legacy_offering_type" {
  command = plan

  variables {
    reservation = { enabled = true, offering_type = "Heavy Utilization" }
  }

  expect_failures = [var.reservation]
}

run "rejects_zero_nodes" {
  command = plan

  variables {
    reservation = { enabled = true, node_count = 0 }
  }

  expect_failures = [var.reservation]
}

run "rejects_fractional_nodes" {
  command = plan

  variables {
    reservation = { enabled = true, node_count = 1.5 }
  }

  expect_failures = [var.reservation]
}

run "rejects_bad_id" {
  command = plan

  variables {
    reservation = { enabled = true, id = "-cache" }
  }

  expect_failures = [var.reservation]
}

# Validation holds even while disabled, so a bad setting is caught before anyone turns it on.
run "rejects_bad_offering_type_while_disabled" {
  command = plan

  variables {
    reservation = { offering_type = "Some Upfront" }
  }

  expect_failures = [var.reservation]
}
