locals {
  # AWS's example "Deny access to AWS based on the requested AWS Region" (AWS Organizations User
  # Guide, SCP general examples), with the differences the README explains: kms:*, acm:*, chime:*,
  # a4b:* and mobileanalytics:* removed; billing, account and S3 bucket-location actions added.
  # These are global services (endpoint in us-east-1) or account-wide settings: exempting them lets
  # the account work; none of them stores the product's data.
  global_exempt_actions = [
    "account:*",
    "aws-marketplace-management:*",
    "aws-marketplace:*",
    "aws-portal:*",
    "billing:*",
    "budgets:*",
    "ce:*",
    "cloudfront:*",
    "config:*",
    "consolidatedbilling:*",
    "cur:*",
    "directconnect:*",
    "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways",
    "ec2:DescribeVpnGateways",
    "fms:*",
    "globalaccelerator:*",
    "health:*",
    "iam:*",
    "importexport:*",
    "invoicing:*",
    "networkmanager:*",
    "organizations:*",
    "payments:*",
    "pricing:*",
    "purchase-orders:*",
    "route53:*",
    "route53domains:*",
    "s3:GetAccountPublic*",
    "s3:GetBucketLocation",
    "s3:ListAllMyBuckets",
    "s3:PutAccountPublic*",
    "shield:*",
    "sts:*",
    "support:*",
    "supportplans:*",
    "tax:*",
    "trustedadvisor:*",
    "waf-regional:*",
    "waf:*",
    "wafv2:*",
    "wellarchitected:*",
  ]

  exempt_actions = sort(distinct(concat(local.global_exempt_actions, var.extra_exempt_actions)))

  # The actions the S3 replication role performs against the DESTINATION bucket, so their
  # aws:RequestedRegion is the destination's region.
  replication_actions = [
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:ReplicateDelete",
    "s3:ReplicateObject",
    "s3:ReplicateTags",
  ]

  break_glass = length(var.break_glass_role_arns) > 0 ? { ArnNotLike = { "aws:PrincipalARN" = var.break_glass_role_arns } } : {}

  statements = concat(
    [
      {
        Sid       = "DenyOutsideAllowedRegions"
        Effect    = "Deny"
        NotAction = local.exempt_actions
        Resource  = "*"
        Condition = merge({ StringNotEquals = { "aws:RequestedRegion" = var.allowed_regions } }, local.break_glass)
      },
    ],
    # Regions allowed only for public data (CloudFront's us-east-1): the edge's actions and the
    # global services work there, nothing else does, so no data store can be created there.
    length(var.public_only_regions) > 0 ? [
      {
        Sid       = "DenyAllButEdgeInPublicOnlyRegions"
        Effect    = "Deny"
        NotAction = sort(distinct(concat(local.exempt_actions, var.public_only_actions)))
        Resource  = "*"
        Condition = merge({ StringEquals = { "aws:RequestedRegion" = var.public_only_regions } }, local.break_glass)
      },
    ] : [],
    [
      # A replication rule names its destination bucket by ARN, which carries no region, and no
      # condition key exposes the destination: who may write rules is the only lever here.
      merge(
        {
          Sid      = "DenyReplicationConfiguration"
          Effect   = "Deny"
          Action   = ["s3:PutReplicationConfiguration"]
          Resource = "*"
        },
        length(var.replication_admin_role_arns) > 0 ? { Condition = { ArnNotLike = { "aws:PrincipalARN" = var.replication_admin_role_arns } } } : {},
      ),
      # ... and the replication itself is refused where the destination region is not allowed,
      # whoever wrote the rule and whatever the region statement exempts (no break-glass here).
      {
        Sid       = "DenyReplicationOutsideAllowedRegions"
        Effect    = "Deny"
        Action    = local.replication_actions
        Resource  = "*"
        Condition = { StringNotEquals = { "aws:RequestedRegion" = var.allowed_regions } }
      },
    ],
  )

  # Minified: AWS counts every character of the stored document against the SCP size limit.
  scp_json = jsonencode({ Version = "2012-10-17", Statement = local.statements })

  scp_max_chars = 5120
}

################################################################################
# Service control policy
################################################################################

resource "aws_organizations_policy" "this" {
  name        = "${var.name}-region-deny"
  description = "Residency guardrail: deny activity outside ${join(", ", var.allowed_regions)} (global services exempt) and S3 replication out of them."
  type        = "SERVICE_CONTROL_POLICY"
  content     = local.scp_json

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(local.scp_json) <= local.scp_max_chars
      error_message = "The rendered SCP is ${length(local.scp_json)} characters, over AWS's limit of ${local.scp_max_chars}: shorten extra_exempt_actions, public_only_actions or the role ARN lists (a wildcard pattern such as arn:aws:iam::*:role/break-glass-* covers many)."
    }
  }
}

resource "aws_organizations_policy_attachment" "this" {
  for_each = var.target_ids

  policy_id = aws_organizations_policy.this.id
  target_id = each.value
}

################################################################################
# Evidence: AWS Config rule in every member account (optional)
################################################################################

locals {
  required_tag_keys = sort(keys(var.required_tags))

  # REQUIRED_TAGS takes tag1Key..tag6Key and optional comma-separated tagNValue lists.
  required_tags_parameters = merge([
    for i, key in local.required_tag_keys : merge(
      { "tag${i + 1}Key" = key },
      length(var.required_tags[key]) > 0 ? { "tag${i + 1}Value" = join(",", var.required_tags[key]) } : {},
    )
  ]...)
}

# An organization rule: this module runs in the management account, where an account-level
# aws_config_config_rule would only evaluate the management account itself.
resource "aws_config_organization_managed_rule" "this" {
  count = var.enable_config_rules ? 1 : 0

  name              = "${var.name}-required-tags"
  description       = "Every supported resource carries ${join(", ", local.required_tag_keys)}: the DataClassification tag is what the residency gate and audits read."
  rule_identifier   = "REQUIRED_TAGS"
  input_parameters  = jsonencode(local.required_tags_parameters)
  excluded_accounts = var.config_excluded_account_ids
}
