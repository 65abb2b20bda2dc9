# Unit tests with a mocked AWS provider: no credentials or network needed.
# Runs that assert on computed values (ARNs, IDs) use apply, which against mocks
# only fills in fake values.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = {
      name = "af-south-1"
    }
  }

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

  # Mocked ARNs are random strings by default, but the provider still validates ARN
  # arguments (aws_flow_log, aws_cloudwatch_log_group) during plan, so give real-looking ones.
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/ngapp-test-flow-logs"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:af-south-1:123456789012:log-group:/aws/vpc-flow-logs/ngapp-test"
    }
  }

  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }

  # The real data source renders JSON; the mock would otherwise return a random string.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name = "ngapp-test"
  cidr = "10.10.0.0/16"
  azs  = ["af-south-1a", "af-south-1b", "af-south-1c"]
}

run "three_azs_nat_per_az" {
  command = apply

  assert {
    condition     = length(aws_subnet.public) == 3 && length(aws_subnet.private) == 3 && length(aws_subnet.database) == 3
    error_message = "3 AZs must give 3 subnets of each tier."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 3 && length(aws_eip.nat) == 3
    error_message = "Without single_nat_gateway there must be one NAT gateway and EIP per AZ."
  }

  assert {
    condition     = alltrue([for az, r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this[az].id])
    error_message = "Each private route table must route through its own AZ's NAT gateway."
  }

  assert {
    condition = (
      aws_subnet.public["af-south-1a"].cidr_block == "10.10.0.0/20" &&
      aws_subnet.public["af-south-1c"].cidr_block == "10.10.32.0/20" &&
      aws_subnet.private["af-south-1a"].cidr_block == "10.10.64.0/20" &&
      aws_subnet.database["af-south-1b"].cidr_block == "10.10.144.0/20"
    )
    error_message = "Subnet CIDRs must follow the documented layout (public 0-2, private 4-6, database 8-10 of 16 blocks)."
  }

  assert {
    condition = alltrue(concat(
      [for s in aws_subnet.public : s.tags.Tier == "public" && !s.map_public_ip_on_launch],
      [for s in aws_subnet.private : s.tags.Tier == "private"],
      [for s in aws_subnet.database : s.tags.Tier == "database"],
    ))
    error_message = "Subnets must carry their Tier tag and public subnets must not assign public IPs."
  }

  assert {
    condition     = output.public_subnet_ids == tolist([for az in var.azs : aws_subnet.public[az].id])
    error_message = "public_subnet_ids must be in AZ order."
  }

  assert {
    condition     = length(output.nat_public_ips) == 3 && length(output.private_route_table_ids) == 3
    error_message = "Outputs must list one NAT IP and private route table per AZ."
  }

  assert {
    condition     = length(aws_kms_key.this) == 1 && aws_kms_key.this["flow-logs"].enable_key_rotation
    error_message = "Without flow_log_kms_key_arn the module must create a rotating KMS key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id != null && aws_cloudwatch_log_group.flow_logs.kms_key_id == aws_kms_key.this["flow-logs"].arn
    error_message = "The flow log group must be encrypted with the module's KMS key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.retention_in_days == 90 && output.flow_log_kms_key_arn == aws_kms_key.this["flow-logs"].arn
    error_message = "The flow log group must default to 90 days and output its key."
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_flow_log.this.log_destination == aws_cloudwatch_log_group.flow_logs.arn
    error_message = "The flow log must capture ALL traffic into the log group."
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no rules."
  }

  assert {
    condition     = length(aws_route_table.database.route) == 0
    error_message = "The database route table must have no inline routes."
  }

  assert {
    condition = alltrue(concat(
      [for r in aws_route.private_nat : r.route_table_id != aws_route_table.database.id],
      [aws_route.public_internet.route_table_id != aws_route_table.database.id],
    ))
    error_message = "No 0.0.0.0/0 route may target the database route table."
  }

  assert {
    condition     = contains(aws_vpc_endpoint.s3.route_table_ids, aws_route_table.database.id) && length(aws_vpc_endpoint.s3.route_table_ids) == 4
    error_message = "The S3 endpoint must be attached to the 3 private and the database route tables."
  }

  assert {
    condition     = aws_vpc_endpoint.s3.service_name == "com.amazonaws.af-south-1.s3" && aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "The S3 endpoint must be a Gateway endpoint in the VPC's region."
  }

  assert {
    condition     = length(aws_db_subnet_group.this.subnet_ids) == 3 && output.database_subnet_group_name == "ngapp-test"
    error_message = "The DB subnet group must hold the 3 database subnets."
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "The VPC must have DNS support and hostnames enabled."
  }
}

run "single_nat_gateway" {
  command = apply

  variables {
    single_nat_gateway = true
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_eip.nat) == 1 && keys(aws_nat_gateway.this) == ["af-south-1a"]
    error_message = "single_nat_gateway must create exactly one NAT gateway and EIP, in the first AZ."
  }

  assert {
    condition     = length(aws_route.private_nat) == 3 && alltrue([for r in aws_route.private_nat : r.nat_gateway_id == aws_nat_gateway.this["af-south-1a"].id])
    error_message = "Every private route table must route through the single NAT gateway."
  }

  assert {
    condition     = length(output.nat_gateway_ids) == 1 && length(output.nat_public_ips) == 1
    error_message = "Outputs must list the single NAT gateway."
  }
}

run "nat_disabled" {
  command = plan

  variables {
    enable_nat_gateway = false
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0 && length(aws_route.private_nat) == 0
    error_message = "enable_nat_gateway = false must create no NAT gateway, EIP or private default route."
  }

  assert {
    condition     = length(aws_route_table.private) == 3
    error_message = "Private route tables must exist even without NAT."
  }
}

run "two_azs" {
  command = plan

  variables {
    azs = ["af-south-1a", "af-south-1b"]
  }

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2 && length(aws_subnet.database) == 2
    error_message = "2 AZs must give 2 subnets of each tier."
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 2 && length(aws_route_table.private) == 2
    error_message = "2 AZs must give 2 NAT gateways and 2 private route tables."
  }
}

run "smallest_vpc_slash_24" {
  command = plan

  variables {
    cidr = "10.20.30.0/24"
  }

  assert {
    condition = (
      aws_subnet.public["af-south-1a"].cidr_block == "10.20.30.0/28" &&
      aws_subnet.private["af-south-1b"].cidr_block == "10.20.30.80/28" &&
      aws_subnet.database["af-south-1c"].cidr_block == "10.20.30.160/28"
    )
    error_message = "A /24 VPC must get /28 subnets in the documented layout."
  }
}

run "external_kms_key" {
  command = plan

  variables {
    flow_log_kms_key_arn    = "arn:aws:kms:af-south-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    flow_log_retention_days = 30
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_alias.this) == 0
    error_message = "A given flow_log_kms_key_arn must stop the module creating its own key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.flow_log_kms_key_arn && aws_cloudwatch_log_group.flow_logs.retention_in_days == 30
    error_message = "The flow log group must use the given key and retention."
  }
}

run "rejects_prefix_33" {
  command = plan

  variables {
    cidr = "10.0.0.0/33"
  }

  expect_failures = [var.cidr]
}

run "rejects_not_a_cidr" {
  command = plan

  variables {
    cidr = "not-a-cidr"
  }

  expect_failures = [var.cidr]
}

run "rejects_prefix_outside_16_to_24" {
  command = plan

  variables {
    cidr = "10.0.0.0/12"
  }

  expect_failures = [var.cidr]
}

run "rejects_host_bits_set" {
  command = plan

  variables {
    cidr = "10.0.0.1/16"
  }

  expect_failures = [var.cidr]
}

run "rejects_four_azs" {
  command = plan

  variables {
    azs = ["af-south-1a", "af-south-1b", "af-south-1c", "af-south-1d"]
  }

  expect_failures = [var.azs]
}

run "rejects_duplicate_azs" {
  command = plan

  variables {
    azs = ["af-south-1a", "af-south-1a"]
  }

  expect_failures = [var.azs]
}

run "rejects_unsupported_retention" {
  command = plan

  variables {
    flow_log_retention_days = 10
  }

  expect_failures = [var.flow_log_retention_days]
}

run "rejects_bad_name" {
  command = plan

  variables {
    name = "NgApp_Dev"
  }

  expect_failures = [var.name]
}
