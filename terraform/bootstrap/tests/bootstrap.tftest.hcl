# Unit tests with a mocked AWS provider: no credentials or network needed.
# apply against mocks only fills computed attributes with fake values, which lets
# the assertions compare ARNs.

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

  # The real data source renders JSON; the mock would otherwise return a random string.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  # The provider still validates ARN arguments (the table's kms_key_arn) during plan.
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::ngapp-tfstate-123456789012"
    }
  }
}

variables {
  project           = "ngapp"
  state_bucket_name = "ngapp-tfstate-123456789012"
  lock_table_name   = "ngapp-tflock"
  tags = {
    Project   = "ngapp"
    ManagedBy = "terraform"
  }
}

run "state_backend" {
  command = apply

  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition = alltrue([
      for r in aws_s3_bucket_server_side_encryption_configuration.this.rule :
      one(r.apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" &&
      one(r.apply_server_side_encryption_by_default).kms_master_key_id == aws_kms_key.state.arn &&
      r.bucket_key_enabled
    ]) && length(aws_s3_bucket_server_side_encryption_configuration.this.rule) == 1
    error_message = "The state bucket must use SSE-KMS with the state key and a bucket key."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.this.block_public_acls &&
      aws_s3_bucket_public_access_block.this.block_public_policy &&
      aws_s3_bucket_public_access_block.this.ignore_public_acls &&
      aws_s3_bucket_public_access_block.this.restrict_public_buckets
    )
    error_message = "All four public access blocks must be on."
  }

  assert {
    condition     = one(aws_s3_bucket_ownership_controls.this.rule).object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition = (
      one(aws_s3_bucket_lifecycle_configuration.this.rule).status == "Enabled" &&
      one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days == 90 &&
      one(one(aws_s3_bucket_lifecycle_configuration.this.rule).abort_incomplete_multipart_upload).days_after_initiation == 7
    )
    error_message = "Noncurrent versions must expire after 90 days and incomplete uploads be aborted."
  }

  assert {
    condition     = aws_kms_key.state.enable_key_rotation && aws_kms_key.state.deletion_window_in_days == 30 && aws_kms_alias.state.name == "alias/ngapp-tfstate"
    error_message = "The state key must rotate, have a 30-day deletion window and the alias alias/<project>-tfstate."
  }

  assert {
    condition     = aws_dynamodb_table.lock.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.lock.hash_key == "LockID"
    error_message = "The lock table must be on-demand with hash key LockID."
  }

  assert {
    condition     = one(aws_dynamodb_table.lock.attribute).name == "LockID" && one(aws_dynamodb_table.lock.attribute).type == "S"
    error_message = "LockID must be a string attribute."
  }

  assert {
    condition     = one(aws_dynamodb_table.lock.point_in_time_recovery).enabled
    error_message = "The lock table must have point-in-time recovery."
  }

  assert {
    condition     = one(aws_dynamodb_table.lock.server_side_encryption).enabled && one(aws_dynamodb_table.lock.server_side_encryption).kms_key_arn == aws_kms_key.state.arn
    error_message = "The lock table must be encrypted with the state key."
  }

  assert {
    condition     = aws_dynamodb_table.lock.deletion_protection_enabled
    error_message = "The lock table must have deletion protection."
  }

  assert {
    condition     = output.state_bucket == "ngapp-tfstate-123456789012" && output.lock_table == "ngapp-tflock" && output.region == "af-south-1" && output.kms_key_arn == aws_kms_key.state.arn
    error_message = "Outputs must name the bucket, table, key and region (af-south-1 by default)."
  }
}

run "custom_retention" {
  command = plan

  variables {
    noncurrent_version_retention_days = 30
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days == 30
    error_message = "noncurrent_version_retention_days must set the expiry of noncurrent versions."
  }
}

run "rejects_upper_case_bucket_name" {
  command = plan

  variables {
    state_bucket_name = "NgApp_TFState"
  }

  expect_failures = [var.state_bucket_name]
}

run "rejects_dotted_bucket_name" {
  command = plan

  variables {
    state_bucket_name = "ngapp.tfstate"
  }

  expect_failures = [var.state_bucket_name]
}

run "rejects_reserved_bucket_suffix" {
  command = plan

  variables {
    state_bucket_name = "ngapp-tfstate-s3alias"
  }

  expect_failures = [var.state_bucket_name]
}

run "rejects_bad_project" {
  command = plan

  variables {
    project = "NG"
  }

  expect_failures = [var.project]
}
