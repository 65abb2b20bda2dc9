# This file is identical in every environment root (tests/terraform checks it): environments
# differ only in terraform.tfvars and infra.toml, never in code.

# Only AZs enabled by default: opt-in Local Zones would break the subnet layout.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394: the region comes from infra.toml, so zone names cannot be listed here; the root uses the first zones of the sorted names, and a zone AWS adds later sorts after them
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_caller_identity" "current" {}

locals {
  name   = "${var.project}-${var.environment}"
  domain = "${var.environment}.${var.domain_name}"
}

module "vpc" {
  source = "../../modules/vpc"

  name = local.name
  cidr = var.vpc_cidr
  # Sorted so the AZ -> subnet block mapping does not shift if the API reorders its answer.
  azs                     = slice(sort(data.aws_availability_zones.available.names), 0, var.az_count)
  single_nat_gateway      = var.single_nat_gateway
  flow_log_retention_days = var.flow_log_retention_days
}

module "ecr" {
  source = "../../modules/ecr"

  name         = "${local.name}/${var.service_name}"
  force_delete = var.force_delete_images
}

################################################################################
# DNS and TLS: <environment>.<domain> with a DNS-validated certificate
################################################################################

resource "aws_route53_zone" "this" {
  #checkov:skip=CKV2_AWS_38: DNSSEC needs a DS record in the parent zone (var.domain_name, delegated outside this repository) and a us-east-1 signing key; signing without that chain protects nothing
  #checkov:skip=CKV2_AWS_39: Route 53 query logs go only to a us-east-1 log group and hold resolver and EDNS client-subnet addresses, personal data that residency keeps in af-south-1
  name          = local.domain
  comment       = "${local.name}: delegate from ${var.domain_name} before the first apply completes"
  force_destroy = !var.deletion_protection
}

resource "aws_acm_certificate" "this" {
  domain_name               = local.domain
  subject_alternative_names = ["*.${local.domain}"]
  validation_method         = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

# Keyed by domain name, which is known at plan time (the record names are not). The apex and
# its wildcard share one validation record, hence allow_overwrite.
resource "aws_route53_record" "certificate_validation" {
  for_each = {
    for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => option
  }

  zone_id         = aws_route53_zone.this.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.certificate_validation : record.fqdn]
}

################################################################################
# The service
################################################################################

module "service" {
  source = "../../modules/ecs"

  name        = "${local.name}-${var.service_name}"
  environment = var.environment

  vpc_id             = module.vpc.vpc_id
  public_subnet_ids  = module.vpc.public_subnet_ids
  private_subnet_ids = module.vpc.private_subnet_ids
  certificate_arn    = aws_acm_certificate_validation.this.certificate_arn

  container_image = "${module.ecr.repository_url}:${var.initial_image_tag}"
  container_port  = var.container_port
  cpu             = var.cpu
  memory          = var.memory

  # Addresses are configuration; credentials reach the container only through `secrets`
  # (ECS resolves them at task start; rotation rolls the service so new tasks get new ones).
  environment_variables = {
    DB_HOST    = module.database.address
    DB_PORT    = tostring(module.database.port)
    DB_NAME    = module.database.db_name
    DB_SSLMODE = "require"
    REDIS_HOST = module.cache.primary_endpoint_address
    REDIS_PORT = tostring(module.cache.port)
    REDIS_TLS  = "true"
  }
  secrets = {
    DB_USERNAME      = "${module.secrets.secret_arns[local.db_secret]}:username::"
    DB_PASSWORD      = "${module.secrets.secret_arns[local.db_secret]}:password::"
    REDIS_AUTH_TOKEN = "${module.secrets.secret_arns[local.cache_secret]}:token::"
  }
  secrets_kms_key_arns = [module.secrets.kms_key_arn]

  desired_count       = var.desired_count
  min_capacity        = var.min_capacity
  max_capacity        = var.max_capacity
  fargate_weight      = var.fargate_weight
  fargate_spot_weight = var.fargate_spot_weight
  fargate_base        = var.fargate_base
  requests_per_target = var.requests_per_target

  # Prometheus finds the tasks through this Cloud Map service (monitoring.tf).
  service_registry_arn = module.monitoring.service_registry_arns[var.service_name]

  alb_access_logs_bucket_name = "${local.name}-alb-logs-${data.aws_caller_identity.current.account_id}"
  deletion_protection         = var.deletion_protection
  release_parameter_prefix    = "/${var.project}/${var.environment}"

  appconfig_agent = {
    configuration_path = module.flags.agent_path
    configuration_arn  = module.flags.configuration_arn
  }
}

resource "aws_route53_record" "service" {
  zone_id = aws_route53_zone.this.zone_id
  name    = "${var.service_name}.${local.domain}"
  type    = "A"

  alias {
    name                   = module.service.alb_dns_name
    zone_id                = module.service.alb_zone_id
    evaluate_target_health = true
  }
}
