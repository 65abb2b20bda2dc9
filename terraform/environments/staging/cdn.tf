# The CDN in front of the environment: static assets from S3 and the API from the ALB, served from
# edges that include Cape Town, Johannesburg, Nairobi and Lagos (price class in terraform.tfvars).
# Identical in every environment root.

module "cdn" {
  source = "../../modules/cloudfront"

  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                   = local.name
  domain_name            = local.domain
  zone_id                = aws_route53_zone.this.zone_id
  api_origin_domain_name = aws_route53_record.service.fqdn
  price_class            = var.cdn_price_class
  force_destroy          = !var.deletion_protection
}
