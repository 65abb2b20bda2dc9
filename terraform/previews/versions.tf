terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: `infra preview` supplies bucket, region, lock settings and the key
  # previews/pr-<N>/terraform.tfstate, one state per pull request.
  backend "s3" {}
}
