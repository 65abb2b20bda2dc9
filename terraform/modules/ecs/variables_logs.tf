################################################################################
# Container logs
################################################################################

variable "log_retention_days" {
  type        = number
  description = "Days to keep container logs in CloudWatch Logs. Must be one of CloudWatch's retention values; 0 (never expire) is not allowed."
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_kms_key_arn" {
  type        = string
  description = "ARN of an existing KMS key (in the service's region) to encrypt the container log group. When null the module creates its own key."
  default     = null

  validation {
    condition     = var.log_kms_key_arn == null || can(regex("^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

################################################################################
# ALB access logs
################################################################################

variable "alb_access_logs_bucket_name" {
  type        = string
  description = "Name of the S3 bucket the module creates (in the provider's region) for the ALB access logs. 3-63 characters of a-z, 0-9 and '-' (no dots, so TLS to the bucket always validates); globally unique."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.alb_access_logs_bucket_name)) && !can(regex("^xn--|-s3alias$|--ol-s3$|^sthree-", var.alb_access_logs_bucket_name))
    error_message = "alb_access_logs_bucket_name must be 3-63 characters of a-z, 0-9 and '-', start and end with a letter or digit, and avoid S3's reserved prefixes and suffixes."
  }
}

variable "alb_access_logs_retention_days" {
  type        = number
  description = "Days ALB access logs (which hold client IP addresses, i.e. personal data) are kept before they expire."
  default     = 90
  nullable    = false

  validation {
    condition     = var.alb_access_logs_retention_days >= 1 && var.alb_access_logs_retention_days <= 3650 && floor(var.alb_access_logs_retention_days) == var.alb_access_logs_retention_days
    error_message = "alb_access_logs_retention_days must be a whole number from 1 to 3650."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Turn on ALB deletion protection and keep the access-logs bucket from being emptied on destroy. Prod roots set true."
  default     = false
  nullable    = false
}
