################################################################################
# Secrets
################################################################################

resource "aws_secretsmanager_secret" "this" {
  for_each = var.secrets

  name                    = "${local.secret_name_prefix}/${each.key}"
  description             = each.value.description
  kms_key_id              = aws_kms_key.this.arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = merge(var.tags, { Name = "${local.secret_name_prefix}/${each.key}" })
}

################################################################################
# Values
################################################################################

# Versions Terraform owns name AWSCURRENT in version_stages: if someone puts another value by
# hand, the next plan shows it and the apply moves AWSCURRENT back to Terraform's version.

# A fresh random value is drawn on every run, but it is only sent when the version is created,
# i.e. on the first apply and whenever value_version changes. It never reaches plan or state.
ephemeral "aws_secretsmanager_random_password" "generated" {
  for_each = local.generated_secrets

  password_length            = each.value.length
  exclude_punctuation        = each.value.exclude_punctuation
  require_each_included_type = true
}

resource "aws_secretsmanager_secret_version" "generated" {
  for_each = local.generated_secrets

  secret_id                = aws_secretsmanager_secret.this[each.key].id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.generated[each.key].random_password
  secret_string_wo_version = each.value.value_version
  version_stages           = ["AWSCURRENT"]
}

resource "aws_secretsmanager_secret_version" "json" {
  for_each = local.static_json_secrets

  secret_id      = aws_secretsmanager_secret.this[each.key].id
  secret_string  = jsonencode(each.value.json_fields)
  version_stages = ["AWSCURRENT"]
}

# The seed of a rotated secret: its non-secret fields, no password. The first rotation adds the
# password in a new version and moves AWSCURRENT there; from then on the Lambda owns the value.
#
# The provider reads back only the version it created (by version ID), so rotation causes no diff
# in secret_string. A change of json_fields replaces the seed, making it AWSCURRENT without a
# password, which replaces the secret's rotation (rotation.tf) and so rotates at once.
# version_stages drifts after every rotation (AWSCURRENT -> AWSPREVIOUS -> none), and applying that
# drift would move AWSCURRENT back to the seed and undo the rotation: hence ignore_changes.
# TERRAFORM_SEED keeps the seed labelled for good: Secrets Manager may delete versions without any
# label, and the provider would then write the seed again as AWSCURRENT, over the rotated password
# (hashicorp/terraform-provider-aws#37302).
resource "aws_secretsmanager_secret_version" "rotation_seed" {
  for_each = local.rotated_json_secrets

  secret_id      = aws_secretsmanager_secret.this[each.key].id
  secret_string  = jsonencode(each.value.json_fields)
  version_stages = ["AWSCURRENT", "TERRAFORM_SEED"]

  lifecycle {
    ignore_changes = [version_stages]
  }
}

################################################################################
# Resource policies: only the listed principals may read a value
################################################################################

# The Deny covers GetSecretValue (which BatchGetSecretValue also requires per secret): that is
# the call that discloses a value. Metadata and management calls stay under IAM alone so that
# operators, inventory tools and Terraform can still describe, fix or delete the secret; a Deny
# on secretsmanager:* would also lock out everyone not listed, break-glass included.
#
# Readers are matched on aws:PrincipalArn rather than named as principals of the Deny: the
# condition needs no existing role and survives a role being recreated. The ARNs may be unknown
# until apply, in which case the document is rendered during apply.
data "aws_iam_policy_document" "secret_access" {
  for_each = var.secrets

  statement {
    sid       = "DenyReadToOthers"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalArn"
      values   = local.secret_readers[each.key]
    }
  }

  # Same-account principals named in a resource policy need no IAM grant of their own; decrypting
  # still needs kms:Decrypt on the key from IAM (the ECS module grants it to the execution role).
  statement {
    sid       = "AllowReadToReaders"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = local.secret_readers[each.key]
    }
  }
}

resource "aws_secretsmanager_secret_policy" "this" {
  for_each = var.secrets

  secret_arn          = aws_secretsmanager_secret.this[each.key].arn
  policy              = data.aws_iam_policy_document.secret_access[each.key].json
  block_public_policy = true

  # The Allow statement names the rotation role, which must exist when the policy is put.
  depends_on = [aws_iam_role.rotation]

  lifecycle {
    # Checked at apply when the ARNs are unknown at plan.
    precondition {
      condition     = alltrue([for arn in local.secret_readers[each.key] : split(":", arn)[4] == local.account_id])
      error_message = "reader_role_arns and admin_role_arns must belong to the account the secrets are in: cross-account reads are not allowed."
    }
  }
}

################################################################################
# Deployer check
################################################################################

# Terraform reads secret versions back on every refresh, so a deployer outside the allowed
# readers locks itself out of its own plans. Only a warning: who runs the plan is not config.
# Outside the check block on purpose: a data source scoped to a check is read again at every
# apply, so every plan would show a pending read and never "no changes".
data "aws_iam_session_context" "deployer" {
  arn = data.aws_caller_identity.current.arn
}

check "deployer_can_read_secrets" {
  assert {
    # anytrue, not contains: a match among the known ARNs settles it even if others are unknown.
    condition     = anytrue([for arn in concat(var.admin_role_arns, var.reader_role_arns) : arn == data.aws_iam_session_context.deployer.issuer_arn])
    error_message = "The identity running Terraform (${data.aws_iam_session_context.deployer.issuer_arn}) is not in admin_role_arns or reader_role_arns: after the first apply the secrets' resource policies deny it the GetSecretValue calls Terraform needs to refresh secret versions."
  }
}
