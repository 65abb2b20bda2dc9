provider "aws" {
  region = var.region

  default_tags {
    tags = var.default_tags
  }
}

# CloudFront reads its viewer certificate (and delivers its logs' source) from us-east-1 only:
# what lives there holds no data and is tagged DataClassification = "public" (infra.toml allows
# class public in us-east-1 for exactly this).
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = var.default_tags
  }
}
