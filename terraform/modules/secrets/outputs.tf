# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

################################################################################
# KMS key
################################################################################

output "kms_key_arn" {
  description = "ARN of the environment's KMS key (string): encrypts the secrets and the rotation logs; pass it to RDS (storage, Performance Insights, master user secret), ElastiCache and the ECS module's secrets_kms_key_arns."
  value       = tostring(aws_kms_key.this.arn)
}

output "kms_key_id" {
  description = "ID of the environment's KMS key (string)."
  value       = tostring(aws_kms_key.this.key_id)
}

output "kms_alias_name" {
  description = "Alias of the environment's KMS key (string), alias/<name>."
  value       = tostring(aws_kms_alias.this.name)
}

################################################################################
# Secrets
################################################################################

# Only the secrets themselves, not their values or rotation: consumers (ECS task definitions,
# the rotation Lambda's restart list) may then feed back into this module without a cycle.
output "secret_arns" {
  description = "ARN of each secret by key (map(string)). ECS takes these as secrets valueFrom, whole or as \"<arn>:<json-key>::\" for one field of a JSON secret."
  value       = tomap({ for k, s in aws_secretsmanager_secret.this : k => s.arn })
}

output "secret_names" {
  description = "Name of each secret by key (map(string)), /<project>/<environment>/<key>."
  value       = tomap({ for k, s in aws_secretsmanager_secret.this : k => s.name })
}

################################################################################
# Rotation
################################################################################

output "rotation_lambda_arns" {
  description = "ARN of each rotation Lambda by kind (map(string))."
  value       = tomap({ for kind, f in aws_lambda_function.rotation : kind => f.arn })
}

output "rotation_lambda_role_arns" {
  description = "ARN of each rotation Lambda's IAM role by kind (map(string))."
  value       = tomap({ for kind, r in aws_iam_role.rotation : kind => r.arn })
}

output "rotation_security_group_ids" {
  description = "Security group of each rotation Lambda by kind (map(string): \"postgres\", \"redis_auth\"): allow it in on the database's or cache's security group."
  value       = tomap({ for kind, g in aws_security_group.rotation : kind => g.id })
}
