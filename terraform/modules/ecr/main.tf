data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  create_kms_key = var.kms_key_arn == null
  kms_key_arn    = local.create_kms_key ? aws_kms_key.this["ecr"].arn : var.kms_key_arn
  # '/' is flattened so every alias sits directly under alias/ecr/; '.' is legal in repository
  # names but not in alias names.
  kms_alias_name = "alias/ecr/${replace(var.name, "/[/.]/", "-")}"

  # A tagPrefixList with several prefixes selects only images carrying a tag for every one of
  # them (AND), so each prefix gets its own rule to select images tagged with any of them.
  # An image is handled by the first rule that selects it, so one tagged with two prefixes
  # counts once, against the earlier prefix.
  lifecycle_rules = concat(
    [{
      rulePriority = 1
      description  = "Expire untagged images ${var.untagged_expiry_days} days after push"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = var.untagged_expiry_days
      }
      action = { type = "expire" }
    }],
    [for i, prefix in var.release_tag_prefixes : {
      rulePriority = i + 2
      description  = "Keep the last ${var.keep_release_images} images tagged ${prefix}*"
      selection = {
        tagStatus     = "tagged"
        tagPrefixList = [prefix]
        countType     = "imageCountMoreThan"
        countNumber   = var.keep_release_images
      }
      action = { type = "expire" }
    }],
  )
}

################################################################################
# KMS key
################################################################################

# Only the account root is named: IAM policies then decide who may use the key, and ECR
# uses it through a grant it creates on behalf of whoever creates the repository.
data "aws_iam_policy_document" "kms_key" {
  #checkov:skip=CKV_AWS_109: a key policy must give the account root kms:* (AWS's default statement) so IAM policies can grant use and the key never becomes unmanageable
  #checkov:skip=CKV_AWS_111: a key policy governs only its own key and AWS requires resources = "*"; write access goes to the account root, and IAM policies decide who uses the key
  #checkov:skip=CKV_AWS_356: "*" in a key policy means this key (AWS requires it); the principals are the account root and condition-bound service principals, never "*"
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.create_kms_key ? toset(["ecr"]) : toset([])

  description             = "Encrypts images of ECR repository ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_key.json

  tags = merge(var.tags, { Name = "ecr/${var.name}" })
}

resource "aws_kms_alias" "this" {
  for_each = aws_kms_key.this

  name          = local.kms_alias_name
  target_key_id = each.value.key_id
}

################################################################################
# Repository
################################################################################

resource "aws_ecr_repository" "this" {
  name = var.name
  # Immutable tags are the point: a tag names one image forever, so a deployed tag can be
  # traced to, and rolled back to, exactly the image that ran.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = var.scan_on_push
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = local.kms_key_arn
  }

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  # Rules are listed in ascending rulePriority: ECR returns them sorted, so any other
  # order would show a diff on every plan.
  policy = jsonencode({ rules = local.lifecycle_rules })
}
