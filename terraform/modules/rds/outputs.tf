# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

################################################################################
# Primary
################################################################################

output "identifier" {
  description = "Identifier of the primary DB instance (string)."
  value       = tostring(aws_db_instance.this.identifier)
}

output "arn" {
  description = "ARN of the primary DB instance (string)."
  value       = tostring(aws_db_instance.this.arn)
}

output "resource_id" {
  description = "Resource ID (db-...) of the primary (string), the resource in rds-db:connect IAM policies and the dimension of its Performance Insights and enhanced monitoring data."
  value       = tostring(aws_db_instance.this.resource_id)
}

output "address" {
  description = "DNS name of the primary (string), the host applications connect to; it follows a multi-AZ failover."
  value       = tostring(aws_db_instance.this.address)
}

output "endpoint" {
  description = "Host and port of the primary as \"<address>:<port>\" (string)."
  value       = tostring(aws_db_instance.this.endpoint)
}

output "port" {
  description = "Port the database listens on (number)."
  value       = tonumber(aws_db_instance.this.port)
}

output "db_name" {
  description = "Name of the database created in the instance (string)."
  value       = tostring(aws_db_instance.this.db_name)
}

output "master_username" {
  description = "Master user name (string)."
  value       = tostring(aws_db_instance.this.username)
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret in which RDS keeps (and rotates) the master user's credentials as JSON {\"username\", \"password\"} (string). Reading it needs kms:Decrypt on kms_key_arn."
  value       = tostring(try(aws_db_instance.this.master_user_secret[0].secret_arn, null))
}

################################################################################
# Network and parameters
################################################################################

output "security_group_id" {
  description = "ID of the database's security group (string). Sources need an egress rule to it on the database port (the ecs module's tasks only send HTTPS by default)."
  value       = tostring(aws_security_group.this.id)
}

output "parameter_group_name" {
  description = "Name of the DB parameter group of the primary and its replicas (string)."
  value       = tostring(aws_db_parameter_group.this.name)
}

################################################################################
# Read replicas
################################################################################

output "replica_identifiers" {
  description = "Identifiers of the read replicas by number, e.g. {\"01\" = \"<identifier>-replica-01\"} (map(string)); empty without replicas."
  value       = tomap({ for k, r in aws_db_instance.replica : k => r.identifier })
}

output "replica_addresses" {
  description = "DNS names of the read replicas by number (map(string)), for read-only connections."
  value       = tomap({ for k, r in aws_db_instance.replica : k => r.address })
}

output "replica_arns" {
  description = "ARNs of the read replicas by number (map(string))."
  value       = tomap({ for k, r in aws_db_instance.replica : k => r.arn })
}

################################################################################
# Logs
################################################################################

output "log_group_names" {
  description = "CloudWatch log groups of the exported logs (map(string)), keyed \"<instance>/<log>\": \"primary/postgresql\", \"primary/upgrade\", \"01/postgresql\", ..."
  value       = tomap({ for k, g in aws_cloudwatch_log_group.this : k => g.name })
}

################################################################################
# Reserved capacity
################################################################################

output "reservation_id" {
  description = "ID of the RDS reserved DB instance reservation (string); null unless reservation.enabled."
  value       = one([for r in aws_rds_reserved_instance.this : tostring(r.reservation_id)])
}

output "reservation_arn" {
  description = "ARN of the RDS reserved DB instance reservation (string); null unless reservation.enabled."
  value       = one([for r in aws_rds_reserved_instance.this : tostring(r.arn)])
}
