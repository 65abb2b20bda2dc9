################################################################################
# Configuration files, rendered here and delivered to the tasks in environment variables
################################################################################

# Images stay stock: each task's entrypoint (`sh -c`) writes its files from CONFIG_<n> variables
# (gzip + base64, to stay far below ECS's 64 KiB task definition limit) and then execs the
# server. A change of any file is a new task definition revision and so a redeploy.

locals {
  rule_dir = "/etc/prometheus/rules"

  prometheus_config = {
    global = {
      scrape_interval     = "30s"
      evaluation_interval = "30s"
      external_labels     = { environment = var.environment }
    }
    alerting = {
      alertmanagers = [{
        dns_sd_configs = [{ names = [local.dns_names.alertmanager], type = "SRV", refresh_interval = "30s" }]
      }]
    }
    rule_files = [for f in sort(keys(var.prometheus_rule_files)) : "${local.rule_dir}/${f}"]
    scrape_configs = concat(
      [
        { job_name = "prometheus", static_configs = [{ targets = ["localhost:9090"] }] },
        {
          job_name       = "alertmanager"
          dns_sd_configs = [{ names = [local.dns_names.alertmanager], type = "SRV", refresh_interval = "30s" }]
        },
      ],
      [
        for k in sort(keys(var.scrape_services)) : {
          job_name       = k
          metrics_path   = var.scrape_services[k].metrics_path
          dns_sd_configs = [{ names = [local.dns_names[k]], type = "SRV", refresh_interval = "30s" }]
        }
      ],
    )
  }

  # uid "prometheus": dashboards as code name their datasource by it.
  grafana_datasources = {
    apiVersion = 1
    datasources = [
      {
        name      = "Prometheus"
        uid       = "prometheus"
        type      = "prometheus"
        access    = "proxy"
        url       = "http://${local.dns_names.prometheus}:${local.services.prometheus.port}"
        isDefault = true
        editable  = false
      },
      {
        name     = "Alertmanager"
        uid      = "alertmanager"
        type     = "alertmanager"
        access   = "proxy"
        url      = "http://${local.dns_names.alertmanager}:${local.services.alertmanager.port}"
        jsonData = { implementation = "prometheus" }
        editable = false
      },
    ]
  }

  grafana_dashboard_dir = "/etc/grafana/provisioning/dashboards/json"
  grafana_dashboard_providers = {
    apiVersion = 1
    providers = [{
      name            = "dashboards-as-code"
      type            = "file"
      disableDeletion = true
      allowUiUpdates  = false
      options         = { path = local.grafana_dashboard_dir, foldersFromFilesStructure = false }
    }]
  }

  # service -> file path -> content
  config_files = {
    prometheus = merge(
      { "/etc/prometheus/prometheus.yml" = yamlencode(local.prometheus_config) },
      { for f, c in var.prometheus_rule_files : "${local.rule_dir}/${f}" => c },
    )
    alertmanager = { "/etc/alertmanager/alertmanager.yml" = var.alertmanager_config }
    grafana = merge(
      {
        "/etc/grafana/provisioning/datasources/datasources.yml" = yamlencode(local.grafana_datasources)
        "/etc/grafana/provisioning/dashboards/dashboards.yml"   = yamlencode(local.grafana_dashboard_providers)
      },
      { for f, c in var.grafana_dashboards : "${local.grafana_dashboard_dir}/${f}" => c },
    )
  }

  # Sorted paths give every file a stable variable name, CONFIG_0, CONFIG_1, ...
  config_paths = { for s, files in local.config_files : s => sort(keys(files)) }

  config_environment = {
    for s, paths in local.config_paths : s => {
      for i, p in paths : "CONFIG_${i}" => base64gzip(local.config_files[s][p])
    }
  }

  # The secrets ECS injects (JSON keys of the Secrets Manager secrets), by service.
  container_secrets = {
    prometheus = {}
    alertmanager = {
      PAGERDUTY_ROUTING_KEY = "${var.pagerduty_secret_arn}:routing_key::"
      SLACK_WEBHOOK_URL     = "${var.slack_secret_arn}:webhook_url::"
    }
    grafana = {
      GF_SECURITY_ADMIN_PASSWORD = var.grafana_admin_secret_arn
    }
  }

  # Alertmanager's receivers read these files (routing_key_file, api_url_file). Written with
  # umask 077, then the variables are unset so the server's environment holds no secret.
  secret_files = {
    prometheus = {}
    alertmanager = {
      PAGERDUTY_ROUTING_KEY = "/etc/alertmanager/secrets/pagerduty-routing-key"
      SLACK_WEBHOOK_URL     = "/etc/alertmanager/secrets/slack-webhook-url"
    }
    grafana = {}
  }

  server_command = {
    prometheus = join(" ", [
      "exec /bin/prometheus",
      "--config.file=/etc/prometheus/prometheus.yml",
      "--storage.tsdb.path=/prometheus",
      "--storage.tsdb.retention.time=${var.prometheus_retention_days}d",
      "--web.console.libraries=/usr/share/prometheus/console_libraries",
      "--web.console.templates=/usr/share/prometheus/consoles",
    ])
    # A single instance: clustering (gossip on 9094) off.
    alertmanager = join(" ", [
      "exec /bin/alertmanager",
      "--config.file=/etc/alertmanager/alertmanager.yml",
      "--storage.path=/alertmanager",
      "--cluster.listen-address=",
    ])
    grafana = "exec /run.sh"
  }

  entrypoint_script = {
    for s, paths in local.config_paths : s => join("\n", concat(
      ["set -eu", "umask 027"],
      [for d in sort(distinct([for p in paths : dirname(p)])) : "mkdir -p ${d}"],
      [for i, p in paths : "printf '%s' \"$CONFIG_${i}\" | base64 -d | gunzip -c > ${p}"],
      length(paths) > 0 ? ["unset ${join(" ", [for i, p in paths : "CONFIG_${i}"])}"] : [],
      length(local.secret_files[s]) > 0 ? concat(
        ["umask 077"],
        [for d in sort(distinct([for p in values(local.secret_files[s]) : dirname(p)])) : "mkdir -p ${d}"],
        [for v in sort(keys(local.secret_files[s])) : "printf '%s' \"$${${v}}\" > ${local.secret_files[s][v]}"],
        ["unset ${join(" ", sort(keys(local.secret_files[s])))}"],
      ) : [],
      [local.server_command[s]],
    ))
  }
}
