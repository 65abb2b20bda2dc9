# Standard logging (legacy) cannot write to buckets in opt-in regions such as af-south-1; standard
# logging v2 (CloudWatch Logs vended delivery) can. CloudFront is a us-east-1 service for vended
# logs, so the source, destination and delivery live there; the logs themselves land in the
# af-south-1 bucket. These three objects hold configuration only (class "public").

resource "aws_cloudwatch_log_delivery_source" "this" {
  provider = aws.us_east_1

  name         = "${var.name}-cdn-access-logs"
  log_type     = "ACCESS_LOGS"
  resource_arn = aws_cloudfront_distribution.this.arn

  tags = merge(var.tags, { Name = "${var.name}-cdn-access-logs", DataClassification = "public" })
}

resource "aws_cloudwatch_log_delivery_destination" "this" {
  provider = aws.us_east_1

  name          = "${var.name}-cdn-access-logs"
  output_format = "json"

  delivery_destination_configuration {
    destination_resource_arn = aws_s3_bucket.logs.arn
  }

  tags = merge(var.tags, { Name = "${var.name}-cdn-access-logs", DataClassification = "public" })
}

resource "aws_cloudwatch_log_delivery" "this" {
  provider = aws.us_east_1

  delivery_source_name     = aws_cloudwatch_log_delivery_source.this.name
  delivery_destination_arn = aws_cloudwatch_log_delivery_destination.this.arn

  tags = merge(var.tags, { Name = "${var.name}-cdn-access-logs", DataClassification = "public" })

  # the bucket must accept the delivery service's writes before the first log arrives
  depends_on = [aws_s3_bucket_policy.logs]
}
