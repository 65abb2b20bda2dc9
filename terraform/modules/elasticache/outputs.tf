# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

################################################################################
# Replication group
################################################################################

output "replication_group_id" {
  description = "ID of the replication group (string)."
  value       = tostring(aws_elasticache_replication_group.this.replication_group_id)
}

output "arn" {
  description = "ARN of the replication group (string)."
  value       = tostring(aws_elasticache_replication_group.this.arn)
}

output "primary_endpoint_address" {
  description = "DNS name of the primary (string): where clients write. It follows the primary across failovers."
  value       = tostring(aws_elasticache_replication_group.this.primary_endpoint_address)
}

output "reader_endpoint_address" {
  description = "DNS name spreading reads over the replicas (string); the primary when there is only one node."
  value       = tostring(aws_elasticache_replication_group.this.reader_endpoint_address)
}

output "port" {
  description = "Port the nodes listen on (number). Connections must use TLS."
  value       = tonumber(aws_elasticache_replication_group.this.port)
}

output "member_clusters" {
  description = "IDs of the nodes (cache clusters) of the group, sorted (list(string))."
  value       = tolist(sort(aws_elasticache_replication_group.this.member_clusters))
}

output "parameter_group_name" {
  description = "Name of the parameter group (string), \"<name>-<family>\"."
  value       = tostring(aws_elasticache_parameter_group.this.name)
}

output "subnet_group_name" {
  description = "Name of the subnet group (string)."
  value       = tostring(aws_elasticache_subnet_group.this.name)
}

################################################################################
# Access
################################################################################

output "security_group_id" {
  description = "ID of the cache's security group (string). Clients also need an egress rule to it on port in their own group."
  value       = tostring(aws_security_group.this.id)
}

output "auth_token_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the AUTH token (string), passed through from the input so callers wire ECS secrets and IAM from the cache module."
  value       = tostring(var.auth_token_secret_arn)
}

################################################################################
# Logs
################################################################################

output "slow_log_group_name" {
  description = "Name of the CloudWatch log group receiving the slow log (string)."
  value       = tostring(aws_cloudwatch_log_group.this.name)
}

################################################################################
# Reserved capacity
################################################################################

output "reservation_id" {
  description = "ID of the ElastiCache reserved cache node reservation (string); null unless reservation.enabled."
  value       = one([for r in aws_elasticache_reserved_cache_node.this : tostring(r.id)])
}

output "reservation_arn" {
  description = "ARN of the ElastiCache reserved cache node reservation (string); null unless reservation.enabled."
  value       = one([for r in aws_elasticache_reserved_cache_node.this : tostring(r.arn)])
}
