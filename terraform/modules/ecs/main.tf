data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# The ELB account that delivers access logs in this region (see logs.tf).
data "aws_elb_service_account" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # Logs
  log_group_name      = "/ecs/${var.name}"
  log_group_arn       = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
  create_log_kms_key  = var.log_kms_key_arn == null
  log_kms_key_arn     = local.create_log_kms_key ? aws_kms_key.this["logs"].arn : var.log_kms_key_arn
  access_logs_prefix  = var.name
  access_logs_objects = "${aws_s3_bucket.this.arn}/${local.access_logs_prefix}/AWSLogs/${local.account_id}/*"

  # Capacity providers: FARGATE carries the base; a provider with neither weight nor base is
  # left out because ECS would never place a task on it.
  capacity_provider_strategy = {
    for provider, s in {
      FARGATE      = { weight = var.fargate_weight, base = var.fargate_base }
      FARGATE_SPOT = { weight = var.fargate_spot_weight, base = 0 }
    } : provider => s if s.weight > 0 || s.base > 0
  }

  # Secrets: IAM grants the secret itself, so the ":<json-key>:<stage>:<version>" tail of a
  # Secrets Manager reference (fields 8+ of the ARN) is cut off.
  secret_arns = distinct([
    for ref in values(var.secrets) : join(":", slice(split(":", ref), 0, 7))
    if split(":", ref)[2] == "secretsmanager"
  ])
  ssm_parameter_arns = distinct([for ref in values(var.secrets) : ref if split(":", ref)[2] == "ssm"])

  release_parameter_name = "${var.release_parameter_prefix}/${var.name}/release"
}
