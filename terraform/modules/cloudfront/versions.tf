terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
      # CloudFront takes viewer certificates from us-east-1 only, and its standard logging (v2)
      # delivery source must live there too.
      configuration_aliases = [aws.us_east_1]
    }
  }
}
