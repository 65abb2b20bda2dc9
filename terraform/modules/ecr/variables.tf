variable "name" {
  type        = string
  description = "Repository name, e.g. \"ngapp-dev/api\". ECR rules: 2-256 characters of lower-case letters and digits, optionally split by single '.', '_' or '-' and into path segments by '/'. At most 246 characters when the module creates the KMS key (its alias is \"alias/ecr/\" plus the name, capped at 256)."

  validation {
    # ECR's own pattern for repository names.
    condition     = length(var.name) >= 2 && length(var.name) <= 256 && can(regex("^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$", var.name))
    error_message = "name must be 2-256 characters of a-z and 0-9, separated by single '.', '_', '-' or '/', starting and ending with a letter or digit."
  }

  validation {
    condition     = var.kms_key_arn != null || length(var.name) <= 246
    error_message = "name must be at most 246 characters when kms_key_arn is null, because the KMS alias \"alias/ecr/<name>\" is capped at 256."
  }
}

variable "scan_on_push" {
  type        = bool
  description = "Scan every image for known vulnerabilities (ECR basic scanning) when it is pushed."
  default     = true
  nullable    = false
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of an existing KMS key (in the repository's region) to encrypt the images. When null the module creates its own key. Changing it replaces the repository."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "release_tag_prefixes" {
  type        = list(string)
  description = "Tag prefixes marking release images, e.g. [\"v\", \"sha-\"]. For each prefix the last keep_release_images images are kept; images with other tags are never expired."
  default     = ["v", "sha-"]
  nullable    = false

  validation {
    condition     = length(var.release_tag_prefixes) > 0
    error_message = "release_tag_prefixes must list at least one prefix."
  }

  validation {
    # A prefix must itself be a valid start of an image tag; an empty one would select every tagged image.
    condition     = length(distinct(var.release_tag_prefixes)) == length(var.release_tag_prefixes) && alltrue([for p in var.release_tag_prefixes : can(regex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$", p))])
    error_message = "release_tag_prefixes must be distinct, non-empty image tag prefixes (1-128 characters of a-z, A-Z, 0-9, '_', '.', '-', not starting with '.' or '-')."
  }
}

variable "keep_release_images" {
  type        = number
  description = "How many of the newest images to keep per release tag prefix; older ones are expired."
  default     = 30
  nullable    = false

  validation {
    condition     = var.keep_release_images >= 1 && var.keep_release_images <= 1000 && floor(var.keep_release_images) == var.keep_release_images
    error_message = "keep_release_images must be a whole number from 1 to 1000."
  }
}

variable "untagged_expiry_days" {
  type        = number
  description = "Days after push at which untagged images are expired. With immutable tags no push can untag an image, so these are images pushed by digest only."
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_expiry_days >= 1 && var.untagged_expiry_days <= 365 && floor(var.untagged_expiry_days) == var.untagged_expiry_days
    error_message = "untagged_expiry_days must be a whole number from 1 to 365."
  }
}

variable "force_delete" {
  type        = bool
  description = "Let terraform destroy delete the repository even if it still holds images. Only for throwaway environments: the images are lost."
  default     = false
  nullable    = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags)."
  default     = {}
  nullable    = false
}
