# CloudFront accepts viewer certificates from us-east-1 only. The certificate holds no data, so it
# is classed "public" (the one class infra.toml allows in us-east-1).
resource "aws_acm_certificate" "this" {
  provider = aws.us_east_1

  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }

  tags = merge(var.tags, { Name = "${var.name}-cdn", DataClassification = "public" })
}

locals {
  validation = { for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => option }
}

# ACM derives the validation record from the account and the name, so a regional certificate for
# the same name (the ALB's) asks for the same record: overwrite rather than fail.
resource "aws_route53_record" "validation" {
  # keyed by the name, known at plan time (the record itself is not)
  for_each = toset([var.domain_name])

  zone_id         = var.zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  provider = aws.us_east_1

  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}
