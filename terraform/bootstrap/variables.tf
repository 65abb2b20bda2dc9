variable "project" {
  type        = string
  description = "Project name (infra.toml project.name): 3-20 chars of a-z, 0-9 and '-', starting with a letter. Names the KMS alias."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.project))
    error_message = "project must be 3-20 characters of a-z, 0-9 and '-', starting with a letter and not ending with '-'."
  }
}

variable "region" {
  type        = string
  description = "AWS region for the state bucket, lock table and key. Defaults to Cape Town so state stays in the same region as the data it describes."
  default     = "af-south-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"af-south-1\"."
  }
}

variable "state_bucket_name" {
  type        = string
  description = "Name of the S3 bucket for Terraform state. S3 naming rules apply; dots are refused too because they break TLS with virtual-hosted addressing, and the bucket only accepts TLS."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (no dots or upper case)."
  }

  validation {
    # Prefixes and suffixes S3 reserves for its own features.
    condition = !anytrue(concat(
      [for p in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith(var.state_bucket_name, p)],
      [for s in ["-s3alias", "--ol-s3", "--x-s3", "--table-s3"] : endswith(var.state_bucket_name, s)],
    ))
    error_message = "state_bucket_name must not start with xn--, sthree- or amzn-s3-demo-, nor end with -s3alias, --ol-s3, --x-s3 or --table-s3."
  }
}

variable "lock_table_name" {
  type        = string
  description = "Name of the DynamoDB table for Terraform state locks."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 characters of A-Z, a-z, 0-9, '_', '.' and '-'."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags applied to every resource through the provider's default_tags."
  default     = {}
  nullable    = false
}

variable "noncurrent_version_retention_days" {
  type        = number
  description = "Days to keep superseded state versions (the window for rolling back a bad apply) before S3 expires them."
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_retention_days >= 1 && var.noncurrent_version_retention_days <= 3650 && floor(var.noncurrent_version_retention_days) == var.noncurrent_version_retention_days
    error_message = "noncurrent_version_retention_days must be a whole number from 1 to 3650."
  }
}
