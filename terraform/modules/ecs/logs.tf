################################################################################
# Container logs
################################################################################

data "aws_iam_policy_document" "log_key" {
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

  # CloudWatch Logs may use the key only for this service's log group.
  statement {
    sid = "CloudWatchLogsUsesForLogGroup"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.create_log_kms_key ? toset(["logs"]) : toset([])

  description             = "Encrypts container logs of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.log_key.json

  tags = merge(var.tags, { Name = "${var.name}-logs" })
}

resource "aws_kms_alias" "this" {
  for_each = aws_kms_key.this

  name          = "alias/${var.name}-logs"
  target_key_id = each.value.key_id
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338: retention is the caller's log_retention_days: container logs may hold personal data and are kept no longer than each environment needs (NDPA data minimisation)
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = local.log_kms_key_arn

  tags = merge(var.tags, { Name = local.log_group_name })
}

################################################################################
# ALB access logs bucket
################################################################################

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18: this is the access-log bucket: logging it needs yet another bucket, and logging into itself loops
  #checkov:skip=CKV_AWS_144: client IP addresses are personal data that residency keeps in af-south-1, the only AWS region in Africa; a replica elsewhere would move them abroad
  #checkov:skip=CKV_AWS_145: ELB access logs support SSE-S3 only: ELB cannot write to a bucket whose default encryption is SSE-KMS
  #checkov:skip=CKV2_AWS_62: no consumer for log object events: logs are read on demand and expire after alb_access_logs_retention_days
  bucket = var.alb_access_logs_bucket_name
  # A protected (prod) bucket must be emptied by hand; others go with the environment.
  force_destroy = !var.deletion_protection

  # Access logs hold client IP addresses: personal data under the NDPA.
  tags = merge(var.tags, { Name = var.alb_access_logs_bucket_name, DataClassification = "personal" })
}

# ALB access logs support SSE-S3 only; ELB cannot write to a bucket defaulting to SSE-KMS.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

# Versions let logs deleted by mistake (or by an intruder covering tracks) be recovered.
resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs off: access is decided by IAM and the bucket policy only, and the account owns every log.
resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "access_logs_bucket" {
  # af-south-1 opened before August 2022, where AWS documents the regional ELB account as the
  # writer; newer regions use the log delivery service principal. Both are granted so the policy
  # holds either way, limited to this service's prefix of this account.
  statement {
    sid       = "ElbLogDeliveryWrites"
    actions   = ["s3:PutObject"]
    resources = [local.access_logs_objects]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

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
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.access_logs_bucket.json

  # S3 rejects a bucket policy while the public access block is being changed.
  depends_on = [aws_s3_bucket_public_access_block.this]
}

# Personal data is kept no longer than needed: current logs expire after the retention period
# and the versions that leaves behind are purged 7 days later.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.alb_access_logs_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Lifecycle rules on noncurrent versions need versioning in place first.
  depends_on = [aws_s3_bucket_versioning.this]
}
