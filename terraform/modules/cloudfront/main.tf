# A CloudFront distribution for <domain_name>: the static site from a private S3 bucket (Origin
# Access Control) and the API (api_path_patterns) from the ALB, never cached. PriceClass_200 keeps
# the African edges (Lagos, Nairobi, Johannesburg, Cape Town) in play for Nigerian users.

data "aws_caller_identity" "current" {}

locals {
  account_id         = data.aws_caller_identity.current.account_id
  static_bucket_name = "${var.name}-cdn-static-${local.account_id}"
  log_bucket_name    = "${var.name}-cdn-logs-${local.account_id}"
  static_origin_id   = "static"
  api_origin_id      = "api"
  # The API is never cached: responses may be personal. AWS's managed CachingDisabled policy (every
  # TTL 0, nothing in the key; the same id in every account) rather than a policy of our own: its id
  # is known at plan time, so the policy gate (CDN-001) can prove it before apply. What the origin
  # needs travels through the origin request policy below.
  caching_disabled_policy_id = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
}

################################################################################
# Policies
################################################################################

# Static assets: long-lived, compressed, the same for everyone (nothing from the viewer in the key).
resource "aws_cloudfront_cache_policy" "static" {
  name        = "${var.name}-static"
  comment     = "${var.name}: static assets, long TTLs, gzip and brotli, nothing viewer-specific in the key"
  min_ttl     = 0
  default_ttl = 86400
  max_ttl     = 31536000

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "none"
    }

    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

# Authenticated requests must reach the origin as the viewer sent them (session cookies, headers,
# query strings).
resource "aws_cloudfront_origin_request_policy" "api" {
  name    = "${var.name}-api"
  comment = "${var.name}: API, every viewer header, cookie and query string"

  cookies_config {
    cookie_behavior = "all"
  }

  headers_config {
    header_behavior = "allViewer"
  }

  query_strings_config {
    query_string_behavior = "all"
  }
}

resource "aws_cloudfront_response_headers_policy" "this" {
  name    = "${var.name}-security-headers"
  comment = "${var.name}: HSTS (2 years, preload), nosniff, DENY framing, strict referrer, CSP"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    xss_protection {
      protection = true
      mode_block = true
      override   = true
    }

    content_security_policy {
      content_security_policy = "default-src 'self'; base-uri 'self'; frame-ancestors 'none'; object-src 'none'"
      override                = true
    }
  }
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}-static"
  description                       = "${var.name}: CloudFront signs every request to the static bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

################################################################################
# Distribution
################################################################################

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68: no web ACL yet: managed rule groups must be tuned on the API's real traffic before they may block, and each ACL and rule is billed monthly per environment (docs/ci.md, Own gates)
  #checkov:skip=CKV2_AWS_47: no web ACL yet: managed rule groups must be tuned on the API's real traffic before they may block, and each ACL and rule is billed monthly per environment (docs/ci.md, Own gates)
  #checkov:skip=CKV_AWS_86: logged through standard logging v2 (logging.tf: vended delivery into the af-south-1 log bucket); legacy logging_config cannot deliver to af-south-1
  #checkov:skip=CKV_AWS_310: origin groups fail over only GET, HEAD and OPTIONS (never the API) and need a second copy of the static bucket, which every deploy rebuilds from the repository
  #checkov:skip=CKV_AWS_374: the product serves its users wherever they connect from (travel, roaming); residency limits where data is stored, not who may load the public site
  enabled             = true
  comment             = "${var.name}: ${var.domain_name}"
  aliases             = [var.domain_name]
  price_class         = var.price_class
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  default_root_object = "index.html"

  origin {
    origin_id                = local.static_origin_id
    domain_name              = aws_s3_bucket.static.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  origin {
    origin_id   = local.api_origin_id
    domain_name = var.api_origin_domain_name

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = local.static_origin_id
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.static.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  dynamic "ordered_cache_behavior" {
    for_each = var.api_path_patterns

    content {
      path_pattern     = ordered_cache_behavior.value
      target_origin_id = local.api_origin_id
      # a redirect would turn a POST into a GET: API clients must use HTTPS from the start
      viewer_protocol_policy     = "https-only"
      allowed_methods            = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
      cached_methods             = ["GET", "HEAD"]
      compress                   = true
      cache_policy_id            = local.caching_disabled_policy_id
      origin_request_policy_id   = aws_cloudfront_origin_request_policy.api.id
      response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.this.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  tags = merge(var.tags, { Name = var.name, DataClassification = "public" })
}

################################################################################
# DNS: <domain_name> -> the distribution
################################################################################

resource "aws_route53_record" "alias" {
  for_each = toset(["A", "AAAA"])

  zone_id = var.zone_id
  name    = var.domain_name
  type    = each.key

  alias {
    name                   = aws_cloudfront_distribution.this.domain_name
    zone_id                = aws_cloudfront_distribution.this.hosted_zone_id
    evaluate_target_health = false
  }
}
