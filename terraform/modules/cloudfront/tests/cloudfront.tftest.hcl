# Unit tests with mocked AWS providers (the default one and the us-east-1 alias): no credentials or
# network needed. Plan runs check configuration; one apply run checks outputs against mock values.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
    }
  }

  # The real data source renders JSON; a random string would fail the provider's policy validation.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_resource "aws_s3_bucket" {
    defaults = {
      arn                         = "arn:aws:s3:::ngapp-test-cdn-static-123456789012"
      bucket_regional_domain_name = "ngapp-test-cdn-static-123456789012.s3.af-south-1.amazonaws.com"
    }
  }

  mock_resource "aws_cloudfront_distribution" {
    defaults = {
      id             = "E2QWRUHAPOMQZL"
      arn            = "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
      domain_name    = "d111111abcdef8.cloudfront.net"
      hosted_zone_id = "Z2FDTNDATAQYW2"
    }
  }
}

mock_provider "aws" {
  alias = "us_east_1"

  mock_resource "aws_acm_certificate" {
    defaults = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
      domain_validation_options = [{
        domain_name           = "dev.ngapp.example"
        resource_record_name  = "_0123456789abcdef.dev.ngapp.example."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }

  mock_resource "aws_acm_certificate_validation" {
    defaults = {
      certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    }
  }

  mock_resource "aws_cloudwatch_log_delivery_destination" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:delivery-destination:ngapp-test-cdn-access-logs"
    }
  }
}

variables {
  name                   = "ngapp-test"
  domain_name            = "dev.ngapp.example"
  zone_id                = "Z0123456789ABCDEFGHIJ"
  api_origin_domain_name = "api.dev.ngapp.example"
  tags                   = { Team = "platform" }
}

run "distribution_defaults" {
  command = plan

  assert {
    condition     = aws_cloudfront_distribution.this.price_class == "PriceClass_200"
    error_message = "the default price class must include the African edges (PriceClass_200)"
  }

  assert {
    condition     = aws_cloudfront_distribution.this.http_version == "http2and3" && aws_cloudfront_distribution.this.is_ipv6_enabled
    error_message = "the distribution must serve HTTP/2 and HTTP/3 over IPv4 and IPv6"
  }

  assert {
    condition     = aws_cloudfront_distribution.this.default_root_object == "index.html" && aws_cloudfront_distribution.this.aliases == toset(["dev.ngapp.example"])
    error_message = "the distribution must serve domain_name with index.html as its root object"
  }

  assert {
    condition     = one(aws_cloudfront_distribution.this.viewer_certificate).ssl_support_method == "sni-only" && one(aws_cloudfront_distribution.this.viewer_certificate).minimum_protocol_version == "TLSv1.2_2021"
    error_message = "viewers must be served over SNI with TLSv1.2_2021 at least"
  }

  assert {
    condition     = one(aws_cloudfront_distribution.this.default_cache_behavior).viewer_protocol_policy == "redirect-to-https" && one(aws_cloudfront_distribution.this.default_cache_behavior).target_origin_id == "static"
    error_message = "the default behaviour must serve the static origin and redirect HTTP to HTTPS"
  }

  assert {
    condition     = [for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.path_pattern] == ["/api/*"] && alltrue([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.target_origin_id == "api" && b.viewer_protocol_policy == "https-only"])
    error_message = "/api/* must go to the API origin over HTTPS only"
  }

  assert {
    condition     = one([for o in aws_cloudfront_distribution.this.origin : one(o.custom_origin_config) if o.origin_id == "api"]).origin_protocol_policy == "https-only" && one([for o in aws_cloudfront_distribution.this.origin : one(o.custom_origin_config) if o.origin_id == "api"]).origin_ssl_protocols == toset(["TLSv1.2"])
    error_message = "the API origin must be reached over HTTPS with TLSv1.2 only"
  }

  assert {
    condition     = aws_cloudfront_origin_access_control.this.signing_behavior == "always" && aws_cloudfront_origin_access_control.this.signing_protocol == "sigv4" && aws_cloudfront_origin_access_control.this.origin_access_control_origin_type == "s3"
    error_message = "the static origin must be reached through an OAC that always signs with SigV4"
  }

  assert {
    condition     = alltrue([for b in aws_cloudfront_distribution.this.ordered_cache_behavior : b.cache_policy_id == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"])
    error_message = "the API must never be cached (AWS's managed CachingDisabled policy on every API behaviour)"
  }

  assert {
    condition     = aws_cloudfront_cache_policy.static.default_ttl >= 86400 && aws_cloudfront_cache_policy.static.max_ttl >= 31536000
    error_message = "static assets must be cached for a long time"
  }

  assert {
    condition     = one(aws_cloudfront_cache_policy.static.parameters_in_cache_key_and_forwarded_to_origin).enable_accept_encoding_brotli && one(aws_cloudfront_cache_policy.static.parameters_in_cache_key_and_forwarded_to_origin).enable_accept_encoding_gzip
    error_message = "static assets must be served gzip- and brotli-compressed"
  }

  assert {
    condition     = one(aws_cloudfront_origin_request_policy.api.headers_config).header_behavior == "allViewer" && one(aws_cloudfront_origin_request_policy.api.cookies_config).cookie_behavior == "all" && one(aws_cloudfront_origin_request_policy.api.query_strings_config).query_string_behavior == "all"
    error_message = "the API must receive every viewer header, cookie and query string"
  }

  assert {
    condition     = one(one(aws_cloudfront_response_headers_policy.this.security_headers_config).strict_transport_security).access_control_max_age_sec == 63072000 && one(one(aws_cloudfront_response_headers_policy.this.security_headers_config).strict_transport_security).preload && one(one(aws_cloudfront_response_headers_policy.this.security_headers_config).strict_transport_security).include_subdomains
    error_message = "HSTS must last 2 years, cover subdomains and allow preload"
  }

  assert {
    condition     = one(one(aws_cloudfront_response_headers_policy.this.security_headers_config).frame_options).frame_option == "DENY" && one(one(aws_cloudfront_response_headers_policy.this.security_headers_config).referrer_policy).referrer_policy == "strict-origin-when-cross-origin" && startswith(one(one(aws_cloudfront_response_headers_policy.this.security_headers_config).content_security_policy).content_security_policy, "default-src 'self'")
    error_message = "framing must be denied, the referrer strict and the CSP default-src 'self'"
  }

  assert {
    condition     = aws_acm_certificate.this.domain_name == "dev.ngapp.example" && aws_acm_certificate.this.validation_method == "DNS" && aws_acm_certificate.this.tags["DataClassification"] == "public"
    error_message = "the us-east-1 certificate must be DNS-validated for domain_name and classed public"
  }

  assert {
    condition     = aws_cloudwatch_log_delivery_source.this.log_type == "ACCESS_LOGS" && aws_cloudwatch_log_delivery_source.this.tags["DataClassification"] == "public" && aws_cloudwatch_log_delivery_destination.this.tags["DataClassification"] == "public"
    error_message = "access logs must use standard logging v2 (us-east-1 objects classed public)"
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.logs.rule).expiration[0].days == 90
    error_message = "access logs must expire after log_retention_days (90 by default)"
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.static.rule).noncurrent_version_expiration[0].noncurrent_days == 30 && one(aws_s3_bucket_lifecycle_configuration.static.rule).abort_incomplete_multipart_upload[0].days_after_initiation == 7
    error_message = "the versioned static bucket must expire superseded versions after 30 days and abort stale uploads"
  }

  assert {
    condition     = !aws_s3_bucket.static.force_destroy && !aws_s3_bucket.logs.force_destroy
    error_message = "buckets must not be emptied on destroy unless force_destroy is set"
  }

  assert {
    condition     = aws_s3_bucket.logs.tags["DataClassification"] == "personal" && aws_s3_bucket.static.tags["Team"] == "platform"
    error_message = "access logs are personal data; tags must reach every resource"
  }

  assert {
    condition     = toset(keys(aws_route53_record.alias)) == toset(["A", "AAAA"])
    error_message = "domain_name must get A and AAAA alias records"
  }
}

run "outputs_and_policies" {
  command = apply

  variables {
    force_destroy      = true
    log_retention_days = 30
    api_path_patterns  = ["/api/*", "/auth/*"]
  }

  assert {
    condition     = output.distribution_id == "E2QWRUHAPOMQZL" && output.distribution_arn == "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"
    error_message = "distribution outputs must come from the distribution"
  }

  assert {
    condition     = output.static_bucket_name == "ngapp-test-cdn-static-123456789012" && output.log_bucket_name == "ngapp-test-cdn-logs-123456789012"
    error_message = "bucket names must be <name>-cdn-static|logs-<account id>"
  }

  assert {
    condition     = output.entry_point_paths == tolist(["/", "/index.html"]) && startswith(output.certificate_arn, "arn:aws:acm:us-east-1:")
    error_message = "entry points and the us-east-1 certificate must be output"
  }

  assert {
    condition     = length(aws_cloudfront_distribution.this.ordered_cache_behavior) == 2 && aws_s3_bucket.static.force_destroy && one(aws_s3_bucket_lifecycle_configuration.logs.rule).expiration[0].days == 30
    error_message = "api_path_patterns, force_destroy and log_retention_days must be honoured"
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.static.statement :
      s.sid == "CloudFrontReadsThroughOac" && anytrue([for c in s.condition : c.variable == "AWS:SourceArn" && contains(c.values, "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL")])
    ])
    error_message = "the static bucket must admit CloudFront only for this distribution (AWS:SourceArn)"
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.logs.statement :
      s.sid == "LogDeliveryWrites" && anytrue([for c in s.condition : c.variable == "aws:SourceAccount" && contains(c.values, "123456789012")])
    ])
    error_message = "the log bucket must admit the delivery service for this account only (aws:SourceAccount)"
  }

  assert {
    condition     = alltrue([for d in [data.aws_iam_policy_document.static, data.aws_iam_policy_document.logs] : anytrue([for s in d.statement : s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])])])
    error_message = "both buckets must refuse requests without TLS"
  }
}

run "refuses_price_class_100" {
  command = plan

  variables {
    price_class = "PriceClass_100"
  }

  expect_failures = [var.price_class]
}

run "refuses_bad_names_and_paths" {
  command = plan

  variables {
    name              = "Bad_Name"
    api_path_patterns = ["api/*"]
    entry_point_paths = ["/a b"]
    zone_id           = "not-a-zone"
  }

  expect_failures = [var.name, var.api_path_patterns, var.entry_point_paths, var.zone_id]
}

run "refuses_bad_retention_and_domains" {
  command = plan

  variables {
    log_retention_days     = 0
    domain_name            = "Dev.NGAPP"
    api_origin_domain_name = "10.0.0.1"
  }

  expect_failures = [var.log_retention_days, var.domain_name, var.api_origin_domain_name]
}
