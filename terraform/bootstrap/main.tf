data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

################################################################################
# KMS key for state and locks
################################################################################

# Only the account root is named: IAM policies then decide who may use the key, and
# S3 and DynamoDB use it on behalf of those principals.
data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109: a key policy must give the account root kms:* (AWS's default statement) so IAM policies can grant use and the key never becomes unmanageable
  #checkov:skip=CKV_AWS_111: a key policy governs only its own key and AWS requires resources = "*"; write access goes to the account root, and IAM policies decide who uses the key
  #checkov:skip=CKV_AWS_356: "*" in a key policy means this key (AWS requires it); the principals are the account root and condition-bound service principals, never "*"
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "state" {
  description             = "Encrypts Terraform state and locks of ${var.project}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.state_key.json

  tags = { Name = "${var.project}-tfstate" }
}

resource "aws_kms_alias" "state" {
  name          = "alias/${var.project}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

################################################################################
# State bucket
################################################################################

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18: auditing who read state is the job of the account's CloudTrail S3 data events (set up outside this repository); server access logs are best-effort and need an unlogged bucket of their own
  #checkov:skip=CKV_AWS_144: single-region by design: state describes resources in af-south-1, the only AWS region in Africa (residency/transfers.toml); versioning and force_destroy = false protect it
  #checkov:skip=CKV2_AWS_62: nothing consumes state bucket events: every write is a new object version and runs under the backend's lock
  bucket = var.state_bucket_name
  # Losing this bucket loses every environment's state: never empty it on destroy.
  force_destroy = false

  tags = { Name = var.state_bucket_name }
}

# Versions let a corrupted or bad state be rolled back.
resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.state.id

  rule {
    # State holds secrets and resource details; the bucket key cuts KMS request costs.
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.state.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: access is decided by IAM and the bucket policy only.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "state_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.state.id
  policy = data.aws_iam_policy_document.state_bucket.json

  # S3 rejects a bucket policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state-and-abort-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Lifecycle rules on noncurrent versions need versioning in place first.
  depends_on = [aws_s3_bucket_versioning.this]
}

################################################################################
# Lock table
################################################################################

resource "aws_dynamodb_table" "lock" {
  name         = var.lock_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"
  # Lock rows are short-lived, but a deleted table breaks every environment's runs.
  deletion_protection_enabled = true

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }

  tags = { Name = var.lock_table_name }
}
