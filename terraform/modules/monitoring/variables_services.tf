# What the Prometheus, Alertmanager and Grafana services run: images, configuration, secrets, size.

################################################################################
# Images
################################################################################

variable "images" {
  type = object({
    prometheus   = optional(string, "quay.io/prometheus/prometheus:v2.53.2")
    alertmanager = optional(string, "quay.io/prometheus/alertmanager:v0.27.0")
    grafana      = optional(string, "docker.io/grafana/grafana-oss:11.2.0")
  })
  description = "Full image references of the three services, each pinned by a tag other than \"latest\" or by a digest (\"@sha256:...\"). The task entrypoints need a POSIX sh, base64 and gunzip in the image (all three upstream images have them)."
  default     = {}
  nullable    = false

  validation {
    # registry/repository, then ":<tag>" and/or "@sha256:<64 hex>"; a reference without either
    # would float to "latest".
    condition = alltrue([
      for ref in values(var.images) :
      can(regex("^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$", ref)) &&
      (can(regex(":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", ref)) || can(regex("@sha256:[0-9a-f]{64}$", ref)))
    ])
    error_message = "images must be full references with a pinned tag or digest, e.g. \"quay.io/prometheus/prometheus:v2.53.2\" or \"...@sha256:<64 hex>\"."
  }

  validation {
    condition     = alltrue([for ref in values(var.images) : !can(regex(":latest(@|$)", ref))])
    error_message = "images must not use the \"latest\" tag: pin a version or a digest."
  }
}

################################################################################
# Configuration
################################################################################

variable "prometheus_rule_files" {
  type        = map(string)
  description = "Prometheus rule files: file name (e.g. \"service.yml\") -> YAML content (monitoring/prometheus/rules/*.yml). Written to /etc/prometheus/rules/ and listed in the rendered prometheus.yml."
  default     = {}
  nullable    = false

  validation {
    # The names are written into the container's shell entrypoint: nothing but safe characters.
    condition     = alltrue([for f in keys(var.prometheus_rule_files) : can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.ya?ml$", f))])
    error_message = "prometheus_rule_files keys must be file names of letters, digits, '_', '.' and '-' ending in .yml or .yaml."
  }

  validation {
    condition     = alltrue([for c in values(var.prometheus_rule_files) : can(yamldecode(c))])
    error_message = "prometheus_rule_files values must be valid YAML."
  }
}

variable "alertmanager_config" {
  type        = string
  description = "alertmanager.yml (monitoring/alertmanager/alertmanager.yml). Receivers read the PagerDuty routing key from routing_key_file /etc/alertmanager/secrets/pagerduty-routing-key and the Slack webhook from api_url_file /etc/alertmanager/secrets/slack-webhook-url, which the task writes from the secrets."
  nullable    = false

  validation {
    condition     = can(yamldecode(var.alertmanager_config)) && can(yamldecode(var.alertmanager_config).route)
    error_message = "alertmanager_config must be valid YAML with a top-level route."
  }

  validation {
    # The secrets must never be pasted into the configuration itself.
    condition     = !strcontains(var.alertmanager_config, "routing_key:") && !strcontains(var.alertmanager_config, "api_url:") && !strcontains(var.alertmanager_config, "service_key:")
    error_message = "alertmanager_config must read the PagerDuty key and Slack URL from routing_key_file / api_url_file, not hold them (routing_key:, service_key: and api_url: are refused)."
  }
}

variable "grafana_dashboards" {
  type        = map(string)
  description = "Grafana dashboards: file name (e.g. \"service.json\") -> dashboard JSON (monitoring/grafana/dashboards/*.json), provisioned read-only. Panels should name the datasource by uid \"prometheus\"."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for f in keys(var.grafana_dashboards) : can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.json$", f))])
    error_message = "grafana_dashboards keys must be file names of letters, digits, '_', '.' and '-' ending in .json."
  }

  validation {
    condition     = alltrue([for c in values(var.grafana_dashboards) : can(jsondecode(c))])
    error_message = "grafana_dashboards values must be valid JSON."
  }
}

variable "scrape_services" {
  type = map(object({
    port         = number
    metrics_path = optional(string, "/metrics")
  }))
  description = "Services Prometheus scrapes: Cloud Map service name -> metrics port and path. The module creates each as a service (A and SRV records) in its namespace (service_registry_arns); the caller registers its ECS service there (service_registries with container_name and container_port) and Prometheus finds the tasks by DNS SRV."
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.scrape_services) : can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", k)) && !contains(["prometheus", "alertmanager", "grafana"], k)])
    error_message = "scrape_services keys must be DNS labels of 2-40 characters of a-z, 0-9 and '-', and not prometheus, alertmanager or grafana (the module's own)."
  }

  validation {
    condition     = alltrue([for s in values(var.scrape_services) : s.port >= 1 && s.port <= 65535 && floor(s.port) == s.port])
    error_message = "scrape_services ports must be whole numbers from 1 to 65535."
  }

  validation {
    condition     = alltrue([for s in values(var.scrape_services) : s.metrics_path != null && can(regex("^/[A-Za-z0-9/_.-]*$", s.metrics_path))])
    error_message = "scrape_services metrics_path must be an absolute path such as \"/metrics\"."
  }
}

variable "prometheus_retention_days" {
  type        = number
  description = "How long Prometheus keeps samples on the file system, in days (1-365)."
  default     = 15
  nullable    = false

  validation {
    condition     = var.prometheus_retention_days >= 1 && var.prometheus_retention_days <= 365 && floor(var.prometheus_retention_days) == var.prometheus_retention_days
    error_message = "prometheus_retention_days must be a whole number from 1 to 365."
  }
}

################################################################################
# Secrets (Secrets Manager ARNs; ECS injects the JSON keys named here)
################################################################################

variable "pagerduty_secret_arn" {
  type        = string
  description = "Full ARN of the Secrets Manager secret holding the PagerDuty Events API v2 integration key as JSON key `routing_key`; read by Alertmanager and the alarm forwarder."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.pagerduty_secret_arn))
    error_message = "pagerduty_secret_arn must be a full Secrets Manager secret ARN (with the 6-character suffix), without a JSON key."
  }
}

variable "slack_secret_arn" {
  type        = string
  description = "Full ARN of the Secrets Manager secret holding the Slack incoming-webhook URL as JSON key `webhook_url`; read by Alertmanager and the alarm forwarder."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.slack_secret_arn))
    error_message = "slack_secret_arn must be a full Secrets Manager secret ARN (with the 6-character suffix), without a JSON key."
  }
}

variable "grafana_admin_secret_arn" {
  type        = string
  description = "Full ARN of the Secrets Manager secret whose whole value is Grafana's admin password (a plain string, e.g. the secrets module's kind \"generated\") (applied when Grafana first creates its admin user)."

  validation {
    condition     = can(regex("^arn:aws(-[a-z]+)?:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", var.grafana_admin_secret_arn))
    error_message = "grafana_admin_secret_arn must be a full Secrets Manager secret ARN (with the 6-character suffix), without a JSON key."
  }
}

################################################################################
# Sizes
################################################################################

variable "sizes" {
  type = object({
    prometheus = optional(object({
      cpu    = optional(number, 512)
      memory = optional(number, 1024)
    }), {})
    alertmanager = optional(object({
      cpu    = optional(number, 256)
      memory = optional(number, 512)
    }), {})
    grafana = optional(object({
      cpu    = optional(number, 256)
      memory = optional(number, 512)
    }), {})
  })
  description = "Fargate CPU units and memory (MiB) of each service's task; a valid Fargate combination (256: 512-2048, 512: 1024-4096, 1024: 2048-8192, 2048: 4096-16384, 4096: 8192-30720; memory in GiB steps above 512)."
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for s in values(var.sizes) :
      s.cpu != null && s.memory != null && contains([256, 512, 1024, 2048, 4096], s.cpu) &&
      (s.memory == 512 || s.memory % 1024 == 0) &&
      s.memory >= lookup({ 256 = 512, 512 = 1024, 1024 = 2048, 2048 = 4096, 4096 = 8192 }, tostring(s.cpu), 0) &&
      s.memory <= lookup({ 256 = 2048, 512 = 4096, 1024 = 8192, 2048 = 16384, 4096 = 30720 }, tostring(s.cpu), 0)
    ])
    error_message = "sizes must be valid Fargate combinations: cpu 256 (memory 512-2048), 512 (1024-4096), 1024 (2048-8192), 2048 (4096-16384) or 4096 (8192-30720), memory 512 or a multiple of 1024."
  }
}
