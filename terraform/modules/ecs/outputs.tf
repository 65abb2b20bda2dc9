# Terraform outputs take no `type` argument, so each value is pinned with a to*() conversion
# and its type is named in the description.

################################################################################
# Cluster and service
################################################################################

output "cluster_name" {
  description = "Name of the ECS cluster (string)."
  value       = tostring(aws_ecs_cluster.this.name)
}

output "cluster_arn" {
  description = "ARN of the ECS cluster (string)."
  value       = tostring(aws_ecs_cluster.this.arn)
}

output "service_name" {
  description = "Name of the ECS service (string)."
  value       = tostring(aws_ecs_service.this.name)
}

output "service_id" {
  description = "ID (ARN) of the ECS service (string)."
  value       = tostring(aws_ecs_service.this.id)
}

output "task_definition_arn" {
  description = "ARN of the task definition revision Terraform registered (string). The running revision is the one `infra deploy` last set; see release_parameter_name."
  value       = tostring(aws_ecs_task_definition.this.arn)
}

output "task_definition_family" {
  description = "Family of the task definition (string), which `infra deploy` registers new revisions in."
  value       = tostring(aws_ecs_task_definition.this.family)
}

output "release_parameter_name" {
  description = "Name of the SSM parameter (string) holding the deployed image and task definition as JSON."
  value       = tostring(aws_ssm_parameter.release.name)
}

output "autoscaling_policy_names" {
  description = "Names of the target-tracking policies (map(string)): cpu, memory and, when requests_per_target is set, requests."
  value = tomap(merge(
    {
      cpu    = aws_appautoscaling_policy.cpu.name
      memory = aws_appautoscaling_policy.memory.name
    },
    { for k, p in aws_appautoscaling_policy.requests : k => p.name },
  ))
}

################################################################################
# Load balancer
################################################################################

output "alb_arn" {
  description = "ARN of the application load balancer (string)."
  value       = tostring(aws_lb.this.arn)
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (string), the LoadBalancer dimension of its CloudWatch metrics."
  value       = tostring(aws_lb.this.arn_suffix)
}

output "alb_dns_name" {
  description = "DNS name of the ALB (string), the target of the service's DNS alias record."
  value       = tostring(aws_lb.this.dns_name)
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the ALB (string), for alias records."
  value       = tostring(aws_lb.this.zone_id)
}

output "target_group_arn" {
  description = "ARN of the target group the service registers its tasks in (string)."
  value       = tostring(aws_lb_target_group.this.arn)
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the target group (string), the TargetGroup dimension of its CloudWatch metrics."
  value       = tostring(aws_lb_target_group.this.arn_suffix)
}

output "https_listener_arn" {
  description = "ARN of the ALB's HTTPS listener (string), for further listener rules (e.g. Grafana by host header)."
  value       = tostring(aws_lb_listener.https.arn)
}

output "alb_access_logs_bucket" {
  description = "Name of the S3 bucket receiving the ALB access logs (string)."
  value       = tostring(aws_s3_bucket.this.bucket)
}

################################################################################
# Security groups
################################################################################

output "alb_security_group_id" {
  description = "ID of the ALB's security group (string)."
  value       = tostring(aws_security_group.alb.id)
}

output "service_security_group_id" {
  description = "ID of the tasks' security group (string); add egress rules to it (e.g. to a database) and reference it in the database's ingress."
  value       = tostring(aws_security_group.service.id)
}

################################################################################
# IAM and logs
################################################################################

output "task_role_arn" {
  description = "ARN of the task role, the application's own AWS identity (string)."
  value       = tostring(aws_iam_role.task.arn)
}

output "task_role_name" {
  description = "Name of the task role (string), to attach further policies to."
  value       = tostring(aws_iam_role.task.name)
}

output "execution_role_arn" {
  description = "ARN of the task execution role ECS uses to pull images, write logs and read secrets (string)."
  value       = tostring(aws_iam_role.execution.arn)
}

output "execution_role_name" {
  description = "Name of the task execution role (string)."
  value       = tostring(aws_iam_role.execution.name)
}

output "log_group_name" {
  description = "Name of the CloudWatch log group receiving the container logs (string)."
  value       = tostring(aws_cloudwatch_log_group.this.name)
}
