# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

################################################################################
# Service discovery
################################################################################

output "namespace_id" {
  description = "ID of the Cloud Map private DNS namespace (string)."
  value       = tostring(aws_service_discovery_private_dns_namespace.this.id)
}

output "namespace_name" {
  description = "Name of the namespace (string), \"<environment>.monitoring.internal\"."
  value       = tostring(aws_service_discovery_private_dns_namespace.this.name)
}

output "service_registry_arns" {
  description = "ARNs of the Cloud Map services of scrape_services, by key (map(string)): the registry_arn of the scraped ECS service's service_registries (with container_name and container_port)."
  value       = tomap({ for k in keys(var.scrape_services) : k => aws_service_discovery_service.this[k].arn })
}

output "dns_names" {
  description = "DNS names of every Cloud Map service, by key (map(string)): prometheus, alertmanager, grafana and the scrape_services, e.g. \"prometheus.dev.monitoring.internal\"."
  value       = tomap(local.dns_names)
}

output "prometheus_config" {
  description = "The prometheus.yml the module renders (string): scrape jobs per scrape_services key (DNS SRV), Alertmanager by DNS SRV, the rule files. Check it with `promtool check config`."
  value       = tostring(local.config_files.prometheus["/etc/prometheus/prometheus.yml"])
}

################################################################################
# ECS services
################################################################################

output "prometheus_service_name" {
  description = "Name of the Prometheus ECS service (string)."
  value       = tostring(aws_ecs_service.this["prometheus"].name)
}

output "alertmanager_service_name" {
  description = "Name of the Alertmanager ECS service (string)."
  value       = tostring(aws_ecs_service.this["alertmanager"].name)
}

output "grafana_service_name" {
  description = "Name of the Grafana ECS service (string)."
  value       = tostring(aws_ecs_service.this["grafana"].name)
}

output "grafana_url" {
  description = "URL of Grafana through the ALB (string); the caller points grafana_host at the ALB."
  value       = tostring("https://${var.grafana_host}")
}

output "grafana_target_group_arn" {
  description = "ARN of Grafana's target group (string)."
  value       = tostring(aws_lb_target_group.grafana.arn)
}

output "log_group_names" {
  description = "Names of the services' log groups, by service (map(string)), and of the forwarder's under \"alarm-forwarder\"."
  value       = tomap(merge({ for k, g in aws_cloudwatch_log_group.this : k => g.name }, { alarm-forwarder = aws_cloudwatch_log_group.forwarder.name }))
}

################################################################################
# Storage, network, IAM
################################################################################

output "efs_file_system_id" {
  description = "ID of the encrypted file system holding the services' data (string)."
  value       = tostring(aws_efs_file_system.this.id)
}

output "efs_file_system_arn" {
  description = "ARN of the file system (string), e.g. for a backup selection."
  value       = tostring(aws_efs_file_system.this.arn)
}

output "security_group_id" {
  description = "ID of the monitoring tasks' security group (string): let it into the scraped services' metrics ports."
  value       = tostring(aws_security_group.this.id)
}

output "execution_role_arn" {
  description = "ARN of the task execution role, \"<name>-execution\" (string): reads the three secrets."
  value       = tostring(aws_iam_role.execution.arn)
}

output "execution_role_name" {
  description = "Name of the task execution role (string), \"<name>-execution\"."
  value       = tostring(aws_iam_role.execution.name)
}

output "task_role_arn" {
  description = "ARN of the tasks' role, \"<name>-task\" (string)."
  value       = tostring(aws_iam_role.task.arn)
}

################################################################################
# Alarms
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic the alarms notify (string)."
  value       = tostring(aws_sns_topic.alarms.arn)
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms by key, e.g. \"db-cpu-<id>\", \"alb-5xx\" (map(string))."
  value       = tomap({ for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name })
}

output "forwarder_function_name" {
  description = "Name of the alarm forwarder Lambda (string), \"<name>-alarm-forwarder\"."
  value       = tostring(aws_lambda_function.forwarder.function_name)
}

output "forwarder_function_arn" {
  description = "ARN of the alarm forwarder Lambda (string): subscribe it (protocol lambda) to another topic, e.g. the cost module's budget alerts, with a lambda permission for that topic."
  value       = tostring(aws_lambda_function.forwarder.arn)
}

output "forwarder_role_arn" {
  description = "ARN of the forwarder's role, \"<name>-alarm-forwarder\" (string): reads the PagerDuty and Slack secrets."
  value       = tostring(aws_iam_role.forwarder.arn)
}

output "forwarder_role_name" {
  description = "Name of the forwarder's role (string), \"<name>-alarm-forwarder\"."
  value       = tostring(aws_iam_role.forwarder.name)
}
