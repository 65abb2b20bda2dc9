# Unit tests with a mocked AWS provider: no credentials or network needed. The policy document is
# rendered from the inputs alone, so plan runs check its structure through output.scp_json.

mock_provider "aws" {
  mock_resource "aws_organizations_policy" {
    defaults = {
      id  = "p-abcd1234"
      arn = "arn:aws:organizations::111111111111:policy/o-exampleorgid/service_control_policy/p-abcd1234"
    }
  }
}

variables {
  name            = "ngapp"
  allowed_regions = ["af-south-1", "us-east-1"]
}

run "defaults_deny_outside_allowed_regions" {
  command = plan

  assert {
    condition     = aws_organizations_policy.this.type == "SERVICE_CONTROL_POLICY" && aws_organizations_policy.this.name == "ngapp-region-deny"
    error_message = "one SCP named <name>-region-deny"
  }

  assert {
    condition     = jsondecode(output.scp_json).Version == "2012-10-17" && [for s in jsondecode(output.scp_json).Statement : s.Sid] == ["DenyOutsideAllowedRegions", "DenyReplicationConfiguration", "DenyReplicationOutsideAllowedRegions"]
    error_message = "the region statement, then the two replication statements"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(output.scp_json).Statement : s.Effect == "Deny" && s.Resource == "*"
    ])
    error_message = "every statement denies, on every resource"
  }

  assert {
    condition     = jsondecode(output.scp_json).Statement[0].Condition == { StringNotEquals = { "aws:RequestedRegion" = ["af-south-1", "us-east-1"] } }
    error_message = "the region condition is exactly allowed_regions, and no principal is exempt without break_glass_role_arns"
  }

  assert {
    condition = length(setsubtract([
      "iam:*", "organizations:*", "sts:*", "route53:*", "route53domains:*", "cloudfront:*", "waf:*",
      "support:*", "budgets:*", "ce:*", "cur:*", "health:*", "trustedadvisor:*", "globalaccelerator:*",
      "shield:*", "account:*", "billing:*", "aws-portal:*", "payments:*", "tax:*", "purchase-orders:*",
      "invoicing:*", "pricing:*", "s3:GetBucketLocation", "s3:ListAllMyBuckets", "s3:GetAccountPublic*",
    ], jsondecode(output.scp_json).Statement[0].NotAction)) == 0
    error_message = "the global services are exempt"
  }

  assert {
    condition = length(setintersection(jsondecode(output.scp_json).Statement[0].NotAction, [
      "s3:*", "s3:ReplicateObject", "s3:PutReplicationConfiguration", "kms:*", "rds:*", "dynamodb:*", "ec2:*", "*"
    ])) == 0
    error_message = "nothing that stores or carries data is exempt from the region statement"
  }

  assert {
    condition     = tolist(jsondecode(output.scp_json).Statement[0].NotAction) == sort(distinct(jsondecode(output.scp_json).Statement[0].NotAction)) && output.exempt_actions == tolist(jsondecode(output.scp_json).Statement[0].NotAction)
    error_message = "NotAction is sorted, without duplicates, and is the exempt_actions output"
  }

  assert {
    condition     = jsondecode(output.scp_json).Statement[1].Action == ["s3:PutReplicationConfiguration"] && !can(jsondecode(output.scp_json).Statement[1].Condition)
    error_message = "without replication_admin_role_arns nobody may put a replication configuration"
  }

  assert {
    condition     = toset(jsondecode(output.scp_json).Statement[2].Action) == toset(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"]) && jsondecode(output.scp_json).Statement[2].Condition == { StringNotEquals = { "aws:RequestedRegion" = ["af-south-1", "us-east-1"] } }
    error_message = "replication traffic to a region outside allowed_regions is denied"
  }

  assert {
    condition     = length(output.scp_json) == output.scp_size && output.scp_size < 5120 && aws_organizations_policy.this.content == output.scp_json
    error_message = "the stored content is the rendered JSON, under the SCP limit"
  }

  assert {
    condition     = length(aws_organizations_policy_attachment.this) == 0 && length(aws_config_organization_managed_rule.this) == 0
    error_message = "no attachment without target_ids; no Config rule unless enabled"
  }
}

run "break_glass_replication_admins_and_targets" {
  command = apply

  variables {
    allowed_regions             = ["af-south-1"]
    break_glass_role_arns       = ["arn:aws:iam::*:role/ngapp-break-glass", "arn:aws:iam::210987654321:role/admin/*"]
    replication_admin_role_arns = ["arn:aws:iam::*:role/ngapp-replication-admin"]
    extra_exempt_actions        = ["devicefarm:*", "iam:*"]
    target_ids                  = { workloads = "ou-ab12-cd34ef56", sandbox = "123456789012", root = "r-ab12" }
    tags                        = { Project = "ngapp" }
  }

  assert {
    condition     = jsondecode(output.scp_json).Statement[0].Condition == { StringNotEquals = { "aws:RequestedRegion" = ["af-south-1"] }, ArnNotLike = { "aws:PrincipalARN" = ["arn:aws:iam::*:role/ngapp-break-glass", "arn:aws:iam::210987654321:role/admin/*"] } }
    error_message = "the break-glass roles are exempt from the region statement (both conditions must hold to deny)"
  }

  assert {
    condition     = jsondecode(output.scp_json).Statement[1].Condition == { ArnNotLike = { "aws:PrincipalARN" = ["arn:aws:iam::*:role/ngapp-replication-admin"] } }
    error_message = "only the replication admins may put replication configurations (break-glass is not one of them)"
  }

  assert {
    condition     = !can(jsondecode(output.scp_json).Statement[2].Condition.ArnNotLike)
    error_message = "nobody is exempt from the replication region statement"
  }

  assert {
    condition     = contains(output.exempt_actions, "devicefarm:*") && length([for a in output.exempt_actions : a if a == "iam:*"]) == 1
    error_message = "extra_exempt_actions are added once each"
  }

  assert {
    condition     = toset(keys(aws_organizations_policy_attachment.this)) == toset(["workloads", "sandbox", "root"]) && alltrue([for a in aws_organizations_policy_attachment.this : a.policy_id == "p-abcd1234"])
    error_message = "one attachment of the policy per target"
  }

  assert {
    condition     = aws_organizations_policy_attachment.this["workloads"].target_id == "ou-ab12-cd34ef56" && toset(keys(output.attachment_ids)) == toset(["workloads", "sandbox", "root"])
    error_message = "attachments go to the given ids and are output by key"
  }

  assert {
    condition     = output.policy_id == "p-abcd1234" && startswith(output.policy_arn, "arn:aws:organizations::") && aws_organizations_policy.this.tags["Project"] == "ngapp"
    error_message = "policy id, arn and tags"
  }
}

run "public_only_region_allows_the_edge_alone" {
  command = plan

  variables {
    public_only_regions   = ["us-east-1"]
    break_glass_role_arns = ["arn:aws:iam::*:role/ngapp-break-glass"]
  }

  assert {
    condition     = [for s in jsondecode(output.scp_json).Statement : s.Sid] == ["DenyOutsideAllowedRegions", "DenyAllButEdgeInPublicOnlyRegions", "DenyReplicationConfiguration", "DenyReplicationOutsideAllowedRegions"]
    error_message = "a statement for the public-only regions"
  }

  assert {
    condition     = jsondecode(output.scp_json).Statement[1].Condition == { StringEquals = { "aws:RequestedRegion" = ["us-east-1"] }, ArnNotLike = { "aws:PrincipalARN" = ["arn:aws:iam::*:role/ngapp-break-glass"] } }
    error_message = "it applies in us-east-1 only, break-glass exempt"
  }

  assert {
    condition     = length(setsubtract(concat(output.exempt_actions, ["acm:*", "logs:*Deliver*"]), jsondecode(output.scp_json).Statement[1].NotAction)) == 0
    error_message = "global services, ACM and the log delivery objects still work there"
  }

  assert {
    condition     = length(setintersection(jsondecode(output.scp_json).Statement[1].NotAction, ["s3:*", "s3:ReplicateObject", "rds:*", "logs:*", "logs:CreateLogGroup", "kms:*"])) == 0
    error_message = "no data store and no replication destination can be made there"
  }

  assert {
    condition     = output.scp_size < 5120
    error_message = "still under the SCP limit"
  }
}

run "config_rule_required_tags" {
  command = plan

  variables {
    enable_config_rules         = true
    config_excluded_account_ids = ["210987654321"]
  }

  assert {
    condition     = aws_config_organization_managed_rule.this[0].rule_identifier == "REQUIRED_TAGS" && aws_config_organization_managed_rule.this[0].name == "ngapp-required-tags"
    error_message = "one organization REQUIRED_TAGS rule"
  }

  assert {
    condition = jsondecode(aws_config_organization_managed_rule.this[0].input_parameters) == {
      tag1Key   = "DataClassification"
      tag1Value = "public,internal,personal,sensitive-personal"
      tag2Key   = "Environment"
      tag3Key   = "Project"
    }
    error_message = "DataClassification (with its allowed values), Environment and Project"
  }

  assert {
    condition     = aws_config_organization_managed_rule.this[0].excluded_accounts == toset(["210987654321"])
    error_message = "excluded accounts are passed on"
  }
}

################################################################################
# Refused inputs
################################################################################

run "refuses_no_region" {
  command = plan
  variables { allowed_regions = [] }
  expect_failures = [var.allowed_regions]
}

run "refuses_a_bad_region_name" {
  command = plan
  variables { allowed_regions = ["af-south-1", "Cape Town"] }
  expect_failures = [var.allowed_regions]
}

run "refuses_a_public_only_region_not_allowed" {
  command = plan
  variables { public_only_regions = ["eu-west-1"] }
  expect_failures = [var.public_only_regions]
}

run "refuses_every_region_public_only" {
  command = plan
  variables { public_only_regions = ["af-south-1", "us-east-1"] }
  expect_failures = [var.public_only_regions]
}

run "refuses_bad_target_ids" {
  command = plan
  variables { target_ids = { workloads = "workloads-ou", account = "12345" } }
  expect_failures = [var.target_ids]
}

run "refuses_a_bad_break_glass_arn" {
  command = plan
  variables { break_glass_role_arns = ["arn:aws:iam::123456789012:user/alice"] }
  expect_failures = [var.break_glass_role_arns]
}

run "refuses_exempting_s3" {
  command = plan
  variables { extra_exempt_actions = ["s3:*"] }
  expect_failures = [var.extra_exempt_actions]
}

run "refuses_a_policy_over_the_size_limit" {
  command = plan

  variables {
    break_glass_role_arns = [for i in range(80) : format("arn:aws:iam::%012d:role/break-glass-%02d", i, i)]
  }

  expect_failures = [aws_organizations_policy.this]
}
