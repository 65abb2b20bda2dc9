# Reserved capacity (var.reservation) with a mocked AWS provider: no credentials, nothing bought.
# Plans only, except the outputs run, which applies against the mocks.

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

  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # What DescribeReservedDBInstancesOfferings answers; the offering's own fields echo the query.
  mock_data "aws_rds_reserved_instance_offering" {
    defaults = {
      offering_id   = "438012d3-4052-4cc7-b2e3-8d3372e0e706"
      currency_code = "USD"
      fixed_price   = 0
    }
  }

  mock_resource "aws_db_instance" {
    defaults = {
      arn = "arn:aws:rds:af-south-1:123456789012:db:ngapp-test-db"
    }
  }

  mock_resource "aws_rds_reserved_instance" {
    defaults = {
      arn = "arn:aws:rds:af-south-1:123456789012:ri:ngapp-test-db-1y-no-upfront"
    }
  }
}

variables {
  identifier                 = "ngapp-test-db"
  environment                = "dev"
  vpc_id                     = "vpc-0123456789abcdef0"
  db_subnet_group_name       = "ngapp-test"
  allowed_security_group_ids = ["sg-0aaaaaaaaaaaaaaa1"]
  kms_key_arn                = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}

################################################################################
# Off by default
################################################################################

run "disabled_by_default" {
  command = plan

  assert {
    condition     = length(aws_rds_reserved_instance.this) == 0
    error_message = "Nothing may be reserved unless reservation.enabled is set."
  }

  assert {
    condition     = length(data.aws_rds_reserved_instance_offering.this) == 0
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
    reservation = { enabled = false, duration_years = 3, offering_type = "All Upfront", instance_count = 2 }
  }

  assert {
    condition     = length(aws_rds_reserved_instance.this) == 0 && length(data.aws_rds_reserved_instance_offering.this) == 0
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
    condition     = keys(aws_rds_reserved_instance.this) == ["ngapp-test-db-1y-no-upfront"]
    error_message = "One reservation, keyed by its derived ID \"<identifier>-1y-no-upfront\", must be planned."
  }

  assert {
    condition = alltrue([
      for o in data.aws_rds_reserved_instance_offering.this :
      o.db_instance_class == "db.t4g.micro" && o.duration == 31536000 && o.multi_az == false &&
      o.offering_type == "No Upfront" && o.product_description == "postgresql"
    ]) && length(data.aws_rds_reserved_instance_offering.this) == 1
    error_message = "The offering must be PostgreSQL on the module's class, single-AZ, one year (in seconds), no upfront."
  }

  assert {
    condition = (
      aws_rds_reserved_instance.this["ngapp-test-db-1y-no-upfront"].offering_id == "438012d3-4052-4cc7-b2e3-8d3372e0e706" &&
      aws_rds_reserved_instance.this["ngapp-test-db-1y-no-upfront"].instance_count == 1 &&
      aws_rds_reserved_instance.this["ngapp-test-db-1y-no-upfront"].reservation_id == "ngapp-test-db-1y-no-upfront"
    )
    error_message = "The reservation must buy the offering found, for one instance (the primary), under the derived ID."
  }

  assert {
    condition     = aws_rds_reserved_instance.this["ngapp-test-db-1y-no-upfront"].tags == tomap({ Name = "ngapp-test-db-1y-no-upfront" })
    error_message = "The reservation must be tagged with its ID."
  }

  assert {
    condition     = output.reservation_id == "ngapp-test-db-1y-no-upfront"
    error_message = "reservation_id must expose the reservation's ID."
  }
}

run "enabled_prod_multi_az_three_years" {
  command = plan

  variables {
    environment            = "prod"
    multi_az               = true
    deletion_protection    = true
    instance_class         = "db.m7g.large"
    read_replica_count     = 1
    replica_instance_class = "db.m7g.large"
    reservation            = { enabled = true, duration_years = 3, offering_type = "All Upfront" }
  }

  assert {
    condition = alltrue([
      for o in data.aws_rds_reserved_instance_offering.this :
      o.db_instance_class == "db.m7g.large" && o.duration == 94608000 && o.multi_az == true &&
      o.offering_type == "All Upfront" && o.product_description == "postgresql"
    ]) && length(data.aws_rds_reserved_instance_offering.this) == 1
    error_message = "A Multi-AZ primary needs the Multi-AZ offering of its class, for three years (in seconds), all upfront."
  }

  assert {
    condition = (
      keys(aws_rds_reserved_instance.this) == ["ngapp-test-db-3y-all-upfront"] &&
      aws_rds_reserved_instance.this["ngapp-test-db-3y-all-upfront"].instance_count == 1
    )
    error_message = "The derived ID must name the term and payment option; the count stays 1 (the single-AZ replica does not match a Multi-AZ offering)."
  }
}

run "enabled_covers_replicas_of_a_single_az_primary" {
  command = plan

  variables {
    instance_class     = "db.t4g.small"
    read_replica_count = 2
    reservation        = { enabled = true, offering_type = "Partial Upfront", instance_count = 3 }
  }

  assert {
    condition = (
      keys(aws_rds_reserved_instance.this) == ["ngapp-test-db-1y-partial-upfront"] &&
      aws_rds_reserved_instance.this["ngapp-test-db-1y-partial-upfront"].instance_count == 3 &&
      data.aws_rds_reserved_instance_offering.this["ngapp-test-db-1y-partial-upfront"].db_instance_class == "db.t4g.small" &&
      data.aws_rds_reserved_instance_offering.this["ngapp-test-db-1y-partial-upfront"].offering_type == "Partial Upfront"
    )
    error_message = "A single-AZ primary and two replicas of its class must be coverable by one reservation of three."
  }
}

run "enabled_with_explicit_id" {
  command = plan

  variables {
    reservation = { enabled = true, id = "ngapp-test-db-second" }
  }

  assert {
    condition = (
      keys(aws_rds_reserved_instance.this) == ["ngapp-test-db-second"] &&
      aws_rds_reserved_instance.this["ngapp-test-db-second"].reservation_id == "ngapp-test-db-second"
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
      output.reservation_id == "ngapp-test-db-1y-no-upfront" &&
      output.reservation_arn == "arn:aws:rds:af-south-1:123456789012:ri:ngapp-test-db-1y-no-upfront"
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
    reservation = { enabled = true, instance_count = 2 }
  }

  expect_failures = [check.reservation_matches_instances]
}

run "warns_when_replicas_do_not_match_a_multi_az_offering" {
  command = plan

  variables {
    multi_az           = true
    read_replica_count = 1
    reservation        = { enabled = true, instance_count = 2 }
  }

  expect_failures = [check.reservation_matches_instances]
}

run "warns_when_replicas_are_of_another_class" {
  command = plan

  variables {
    read_replica_count     = 1
    replica_instance_class = "db.t4g.small"
    reservation            = { enabled = true, instance_count = 2 }
  }

  expect_failures = [check.reservation_matches_instances]
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

run "rejects_lower_case_offering_type" {
  command = plan

  variables {
    reservation = { enabled = true, offering_type = "no upfront" }
  }

  expect_failures = [var.reservation]
}

run "rejects_zero_instances" {
  command = plan

  variables {
    reservation = { enabled = true, instance_count = 0 }
  }

  expect_failures = [var.reservation]
}

run "rejects_fractional_instances" {
  command = plan

  variables {
    reservation = { enabled = true, instance_count = 1.5 }
  }

  expect_failures = [var.reservation]
}

run "rejects_bad_id" {
  command = plan

  variables {
    reservation = { enabled = true, id = "Reserved_DB" }
  }

  expect_failures = [var.reservation]
}

# Validation holds even while disabled, so a bad setting is caught before anyone turns it on.
run "rejects_bad_duration_while_disabled" {
  command = plan

  variables {
    reservation = { duration_years = 5 }
  }

  expect_failures = [var.reservation]
}
