# Terraform outputs take no `type` argument; the module already pins these types.

output "vpc_id" {
  description = "ID of the VPC (string)."
  value       = module.vpc.vpc_id
}

output "azs" {
  description = "Availability zones in use (list(string))."
  value       = module.vpc.azs
}

output "public_subnet_ids" {
  description = "Public subnet IDs in AZ order (list(string))."
  value       = module.vpc.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnet IDs in AZ order (list(string))."
  value       = module.vpc.private_subnet_ids
}

output "database_subnet_ids" {
  description = "Database subnet IDs in AZ order (list(string)); no internet route."
  value       = module.vpc.database_subnet_ids
}

output "nat_gateway_ids" {
  description = "NAT gateway IDs (list(string)); one when single_nat_gateway is true."
  value       = module.vpc.nat_gateway_ids
}

output "ecr_repository_url" {
  description = "Where images of the service are pushed (string)."
  value       = module.ecr.repository_url
}

output "cluster_name" {
  description = "ECS cluster name (string)."
  value       = module.service.cluster_name
}

output "service_name" {
  description = "ECS service name (string); `infra deploy` updates it."
  value       = module.service.service_name
}

output "task_definition_family" {
  description = "Task definition family the deploy tool registers revisions in (string)."
  value       = module.service.task_definition_family
}

output "release_parameter_name" {
  description = "SSM parameter holding the currently deployed release (string)."
  value       = module.service.release_parameter_name
}

output "target_group_arn" {
  description = "ALB target group of the service (string)."
  value       = module.service.target_group_arn
}

output "service_url" {
  description = "HTTPS address of the service (string)."
  value       = "https://${aws_route53_record.service.fqdn}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (string)."
  value       = module.service.alb_dns_name
}

output "dns_zone_name_servers" {
  description = "Name servers to delegate <environment>.<domain> to from the parent zone (list(string))."
  value       = aws_route53_zone.this.name_servers
}

output "database_address" {
  description = "Hostname of the PostgreSQL primary."
  value       = module.database.address
}

output "database_replica_addresses" {
  description = "Hostnames of the read replicas (name -> address)."
  value       = module.database.replica_addresses
}

output "database_secret_name" {
  description = "Secrets Manager name of the application's database login (rotated)."
  value       = module.secrets.secret_names[local.db_secret]
}

output "cache_primary_address" {
  description = "Primary endpoint of the Redis replication group."
  value       = module.cache.primary_endpoint_address
}

output "kms_key_arn" {
  description = "The environment's KMS key (secrets, database, cache)."
  value       = module.secrets.kms_key_arn
}

output "database_identifier" {
  description = "Identifier of the primary PostgreSQL instance (infra ops verify-backup restores its latest backup)."
  value       = module.database.identifier
}

output "cdn_distribution_id" {
  description = "CloudFront distribution id (infra cdn invalidate)."
  value       = module.cdn.distribution_id
}

output "cdn_entry_points" {
  description = "Paths a deploy invalidates by default: the entry points (assets are content-hashed)."
  value       = module.cdn.entry_point_paths
}

output "cdn_domain_name" {
  description = "The distribution's own domain name (*.cloudfront.net)."
  value       = module.cdn.distribution_domain_name
}

output "static_bucket_name" {
  description = "S3 bucket of the static assets served through the CDN."
  value       = module.cdn.static_bucket_name
}

output "grafana_url" {
  description = "Grafana, behind the ALB with authentication."
  value       = module.monitoring.grafana_url
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms (forwarded to PagerDuty and Slack)."
  value       = module.monitoring.alarm_topic_arn
}

output "backup_vault_name" {
  description = "The environment's AWS Backup vault."
  value       = module.backup.vault_name
}

output "budget_name" {
  description = "The environment's monthly AWS Budget (<project>-<environment>-monthly)."
  value       = module.cost.budget_name
}

output "budget_topic_arn" {
  description = "SNS topic of the budget alerts (forwarded to Slack as tickets; subscribe more endpoints here)."
  value       = module.cost.topic_arn
}
