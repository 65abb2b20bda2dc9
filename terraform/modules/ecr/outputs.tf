# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion.

output "repository_name" {
  description = "Name of the ECR repository (string)."
  value       = tostring(aws_ecr_repository.this.name)
}

output "repository_arn" {
  description = "ARN of the ECR repository (string), for IAM policies granting push or pull."
  value       = tostring(aws_ecr_repository.this.arn)
}

output "repository_url" {
  description = "URL of the repository (string), <account>.dkr.ecr.<region>.amazonaws.com/<name>: what docker push and task definitions use."
  value       = tostring(aws_ecr_repository.this.repository_url)
}

output "registry_id" {
  description = "ID of the registry holding the repository (string): the AWS account ID."
  value       = tostring(aws_ecr_repository.this.registry_id)
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the images (string): the module's own key or the one passed in."
  value       = tostring(local.kms_key_arn)
}
