output "distribution_id" {
  description = "ID of the CloudFront distribution (string), e.g. for invalidations."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution (string)."
  value       = aws_cloudfront_distribution.this.arn
}

output "distribution_domain_name" {
  description = "The distribution's own name, <id>.cloudfront.net (string); domain_name points at it."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "static_bucket_name" {
  description = "Name of the private S3 bucket holding the static site (string); deploys upload there."
  value       = aws_s3_bucket.static.bucket
}

output "static_bucket_arn" {
  description = "ARN of the static site bucket (string), for deploy roles' policies."
  value       = aws_s3_bucket.static.arn
}

output "log_bucket_name" {
  description = "Name of the af-south-1 S3 bucket receiving the access logs (string)."
  value       = aws_s3_bucket.logs.bucket
}

output "certificate_arn" {
  description = "ARN of the validated us-east-1 ACM certificate the distribution serves (string)."
  value       = aws_acm_certificate_validation.this.certificate_arn
}

output "entry_point_paths" {
  description = "Paths a release invalidates (list(string)): var.entry_point_paths, passed through."
  value       = var.entry_point_paths
}
