# A pull request's preview: the smallest copy of an environment that still serves HTTPS. Its own
# VPC (public subnets for the ALB and the task, no NAT gateway), its own DNS zone and certificate,
# and one Fargate Spot task of 256 CPU / 512 MiB. No database, cache or CDN: a preview shows the
# change, staging tests it against real data services.

# Only AZs enabled by default: opt-in Local Zones would break the subnet layout.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394: the region comes from infra.toml, so zone names cannot be listed here; the root uses the first two of the sorted names, and a zone AWS adds later sorts after them
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_caller_identity" "current" {}

locals {
  name   = "${var.project}-pr${var.pr_number}"
  domain = "pr-${var.pr_number}.preview.${var.domain_name}"
}

module "vpc" {
  source = "../modules/vpc"

  name = local.name
  cidr = var.vpc_cidr
  # Two AZs are what an ALB needs; sorted so the AZ -> subnet mapping is stable.
  azs                     = slice(sort(data.aws_availability_zones.available.names), 0, 2)
  enable_nat_gateway      = false
  flow_log_retention_days = var.log_retention_days
}

################################################################################
# DNS and TLS: pr-<N>.preview.<domain> with a DNS-validated certificate
################################################################################

resource "aws_route53_zone" "this" {
  #checkov:skip=CKV2_AWS_38: DNSSEC needs a DS record in the parent zone (var.domain_name, delegated outside this repository) and a us-east-1 signing key; signing without that chain protects nothing
  #checkov:skip=CKV2_AWS_39: Route 53 query logs go only to a us-east-1 log group and hold resolver and EDNS client-subnet addresses, personal data that residency keeps in af-south-1
  name          = local.domain
  comment       = "${local.name}: preview of pull request ${var.pr_number}"
  force_destroy = true
}

resource "aws_acm_certificate" "this" {
  domain_name       = local.domain
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "certificate_validation" {
  for_each = {
    for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => option
  }

  zone_id         = aws_route53_zone.this.zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.certificate_validation : record.fqdn]
}

################################################################################
# The service: one Spot task in the public subnets (a public IP instead of a NAT gateway)
################################################################################

module "service" {
  source = "../modules/ecs"

  name        = local.name
  environment = var.environment

  vpc_id             = module.vpc.vpc_id
  public_subnet_ids  = module.vpc.public_subnet_ids
  private_subnet_ids = module.vpc.public_subnet_ids
  assign_public_ip   = true
  certificate_arn    = aws_acm_certificate_validation.this.certificate_arn

  container_image = var.container_image
  container_port  = var.container_port
  cpu             = 256
  memory          = 512

  desired_count       = 1
  min_capacity        = 1
  max_capacity        = 1
  fargate_base        = 0
  fargate_weight      = 0
  fargate_spot_weight = 1

  health_check_grace_period_seconds = 30
  deregistration_delay_seconds      = 5
  log_retention_days                = var.log_retention_days
  alb_access_logs_retention_days    = var.log_retention_days

  alb_access_logs_bucket_name = "${local.name}-alb-logs-${data.aws_caller_identity.current.account_id}"
  deletion_protection         = false
  release_parameter_prefix    = "/${var.project}/${var.environment}"
}

resource "aws_route53_record" "service" {
  zone_id = aws_route53_zone.this.zone_id
  name    = local.domain
  type    = "A"

  alias {
    name                   = module.service.alb_dns_name
    zone_id                = module.service.alb_zone_id
    evaluate_target_health = true
  }
}
