# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

output "policy_id" {
  description = "ID of the service control policy (string), e.g. p-abcd1234."
  value       = tostring(aws_organizations_policy.this.id)
}

output "policy_arn" {
  description = "ARN of the service control policy (string)."
  value       = tostring(aws_organizations_policy.this.arn)
}

output "scp_json" {
  description = "The rendered policy document (string, minified JSON): what AWS stores and counts against the 5,120-character limit."
  value       = tostring(local.scp_json)
}

output "scp_size" {
  description = "Length of scp_json in characters (number); AWS's limit is 5,120."
  value       = tonumber(length(local.scp_json))
}

output "exempt_actions" {
  description = "The policy's NotAction list (list(string)): actions allowed in every region."
  value       = tolist(local.exempt_actions)
}

output "attachment_ids" {
  description = "Attachment ids by target_ids key (map(string)), each \"<target id>:<policy id>\"."
  value       = tomap({ for k, a in aws_organizations_policy_attachment.this : k => a.id })
}

output "config_rule_arns" {
  description = "ARNs of the organization Config rules (list(string)); empty unless enable_config_rules."
  value       = tolist([for r in aws_config_organization_managed_rule.this : r.arn])
}
