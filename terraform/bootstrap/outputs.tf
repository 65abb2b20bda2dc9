# Terraform outputs take no `type` argument, so each value is pinned with tostring().

output "state_bucket" {
  description = "Name of the S3 bucket holding Terraform state (backend `bucket`)."
  value       = tostring(aws_s3_bucket.state.bucket)
}

output "state_bucket_arn" {
  description = "ARN of the state bucket, for IAM policies of CI and operators."
  value       = tostring(aws_s3_bucket.state.arn)
}

output "lock_table" {
  description = "Name of the DynamoDB lock table (backend `dynamodb_table`)."
  value       = tostring(aws_dynamodb_table.lock.name)
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting state objects and the lock table."
  value       = tostring(aws_kms_key.state.arn)
}

output "region" {
  description = "Region of the bucket, table and key (backend `region`)."
  value       = tostring(var.region)
}
