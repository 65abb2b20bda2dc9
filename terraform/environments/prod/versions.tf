terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: the `infra` CLI supplies bucket, key, region, dynamodb_table
  # and use_lockfile with -backend-config, per target.
  backend "s3" {}
}
