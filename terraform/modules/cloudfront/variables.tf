variable "name" {
  type        = string
  description = "Prefix of every resource name, e.g. \"ngapp-dev\". The buckets are \"<name>-cdn-static-<account id>\" and \"<name>-cdn-logs-<account id>\", hence at most 32 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-'."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-32 characters of a-z, 0-9 and '-', start with a letter, not end with '-' and not contain \"--\"."
  }
}

variable "domain_name" {
  type        = string
  description = "The apex name the distribution serves (its alias), e.g. \"dev.ngapp.example\". The module issues a DNS-validated certificate for it in us-east-1 and points A/AAAA alias records at the distribution."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as \"dev.ngapp.example\"."
  }
}

variable "zone_id" {
  type        = string
  description = "Route 53 hosted zone (holding domain_name) where the module writes the certificate's DNS validation records and the distribution's A/AAAA alias records."

  validation {
    condition     = can(regex("^[A-Z0-9]{1,32}$", var.zone_id))
    error_message = "zone_id must be a Route 53 hosted zone id (upper-case letters and digits, e.g. \"Z0123456789ABCDEFGHIJ\"), not a zone name."
  }
}

variable "api_origin_domain_name" {
  type        = string
  description = "DNS name of the API origin (the ALB), covered by the ALB's certificate, e.g. \"api.dev.ngapp.example\". CloudFront reaches it over HTTPS only, TLSv1.2."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.api_origin_domain_name))
    error_message = "api_origin_domain_name must be a lower-case DNS name such as \"api.dev.ngapp.example\" (not an IP address: the origin's certificate must match it)."
  }
}

variable "api_path_patterns" {
  type        = list(string)
  description = "Path patterns routed to the API origin, never cached, with every viewer header, cookie and query string forwarded (e.g. [\"/api/*\"]). Everything else is served from the static bucket."
  default     = ["/api/*"]
  nullable    = false

  validation {
    condition     = length(var.api_path_patterns) > 0 && length(var.api_path_patterns) <= 25
    error_message = "api_path_patterns must hold 1-25 patterns (CloudFront allows 25 cache behaviours by default)."
  }

  validation {
    condition     = alltrue([for p in var.api_path_patterns : can(regex("^/[A-Za-z0-9_.*$/~\"'@:+&-]{1,254}$", p))]) && length(distinct(var.api_path_patterns)) == length(var.api_path_patterns)
    error_message = "api_path_patterns must be distinct patterns starting with \"/\" (e.g. \"/api/*\"), at most 255 characters of CloudFront's allowed set."
  }
}

variable "price_class" {
  type        = string
  description = "CloudFront price class. PriceClass_200 (default) includes the African edges (Lagos, Nairobi, Johannesburg, Cape Town); PriceClass_100 excludes them and is refused: Nigerian users would be served from Europe."
  default     = "PriceClass_200"
  nullable    = false

  validation {
    condition     = contains(["PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "price_class must be PriceClass_200 or PriceClass_All: PriceClass_100 excludes the African edge locations (Lagos, Nairobi, Johannesburg, Cape Town)."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let destroy empty the static and log buckets. False (default) makes destroy fail while they hold objects: set true for short-lived environments only."
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  type        = number
  description = "Days before CloudFront access logs (and noncurrent versions of them) expire from the log bucket."
  default     = 90
  nullable    = false

  validation {
    condition     = var.log_retention_days >= 1 && var.log_retention_days <= 3650 && floor(var.log_retention_days) == var.log_retention_days
    error_message = "log_retention_days must be a whole number of days between 1 and 3650."
  }
}

variable "entry_point_paths" {
  type        = list(string)
  description = "Paths a release must invalidate (the uncacheable-by-name entry points such as \"/\" and \"/index.html\"); passed through to the output for `infra cdn invalidate` and deploys."
  default     = ["/", "/index.html"]
  nullable    = false

  validation {
    condition     = length(var.entry_point_paths) > 0 && alltrue([for p in var.entry_point_paths : can(regex("^/[!-~]*$", p))])
    error_message = "entry_point_paths must be a non-empty list of paths starting with \"/\", printable ASCII without spaces."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource (merged over the provider's default_tags). The module sets DataClassification itself: \"public\" for the static site and us-east-1 resources, \"personal\" for the access logs (viewer IP addresses)."
  default     = {}
  nullable    = false
}
