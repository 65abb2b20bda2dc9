# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

output "vault_name" {
  description = "Name of the backup vault (string)."
  value       = tostring(aws_backup_vault.this.name)
}

output "vault_arn" {
  description = "ARN of the backup vault (string), e.g. for another environment's copy_destinations."
  value       = tostring(aws_backup_vault.this.arn)
}

output "plan_id" {
  description = "ID of the backup plan (string)."
  value       = tostring(aws_backup_plan.this.id)
}

output "plan_arn" {
  description = "ARN of the backup plan (string)."
  value       = tostring(aws_backup_plan.this.arn)
}

output "selection_id" {
  description = "ID of the tag-based backup selection (string)."
  value       = tostring(aws_backup_selection.this.id)
}

output "backup_role_arn" {
  description = "ARN of the IAM role AWS Backup backs up and restores with (string); a restore job needs it as its IamRoleArn."
  value       = tostring(aws_iam_role.this.arn)
}

output "kms_key_arn" {
  description = "ARN of the KMS key encrypting the vault (string): kms_key_arn, or the key the module created."
  value       = tostring(local.kms_key_arn)
}

output "selection_tag" {
  description = "The tag that puts a resource in the plan (object({ key = string, value = string })): add it to what must be backed up, e.g. the RDS module's tags."
  value       = { key = tostring(local.selection_tag.key), value = tostring(local.selection_tag.value) }
}
