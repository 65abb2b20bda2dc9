terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # The state of the state bucket itself cannot live in that bucket; the CLI passes
  # -backend-config=path=... to keep it outside the repository.
  backend "local" {}
}
