# Unit tests with a mocked AWS provider: no credentials or network needed. Plans only: everything
# asserted here is known at plan time (names, wiring to inputs, rendered configuration).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:iam::123456789012:root"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "af-south-1"
    }
  }

  # The real data source renders JSON; the mock would otherwise return a random string, which
  # the provider's JSON validation of IAM policies rejects.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                  = "ngapp-test-monitoring"
  environment           = "dev"
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_cidr              = "10.10.0.0/16"
  private_subnet_ids    = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
  cluster_arn           = "arn:aws:ecs:af-south-1:123456789012:cluster/ngapp-test-api"
  kms_key_arn           = "arn:aws:kms:af-south-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  alb_listener_arn      = "arn:aws:elasticloadbalancing:af-south-1:123456789012:listener/app/ngapp-test-api/0123456789abcdef/0123456789abcdef"
  alb_security_group_id = "sg-0bbbbbbbbbbbbbbb1"
  grafana_host          = "grafana.dev.ngapp.example"

  prometheus_rule_files = {
    "service.yml" = "groups:\n  - name: service\n    rules: []\n"
    "data.yml"    = "groups: []\n"
  }
  alertmanager_config = "route:\n  receiver: slack\nreceivers:\n  - name: slack\n    slack_configs:\n      - api_url_file: /etc/alertmanager/secrets/slack-webhook-url\n"
  grafana_dashboards  = { "service.json" = "{\"title\": \"Service\"}" }
  scrape_services     = { api = { port = 8080 }, worker = { port = 9100, metrics_path = "/internal/metrics" } }

  pagerduty_secret_arn     = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/dev/pagerduty-AbCdEf"
  slack_secret_arn         = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/dev/slack-AbCdEf"
  grafana_admin_secret_arn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/dev/grafana-AbCdEf"

  db_instance_identifiers    = ["ngapp-test-db", "ngapp-test-db-replica-01"]
  db_replica_identifiers     = ["ngapp-test-db-replica-01"]
  cache_replication_group_id = "ngapp-test-sessions"
  cache_member_cluster_ids   = ["ngapp-test-sessions-001", "ngapp-test-sessions-002"]
  alb_arn_suffix             = "app/ngapp-test-api/0123456789abcdef"
  target_group_arn_suffix    = "targetgroup/ngapp-test-api/0123456789abcdef"
  forwarder_lambda_zip       = "tests/fixtures/forwarder.zip"
}

################################################################################
# Defaults and wiring
################################################################################

run "discovery_and_services" {
  command = plan

  assert {
    condition = (
      aws_service_discovery_private_dns_namespace.this.name == "dev.monitoring.internal" &&
      aws_service_discovery_private_dns_namespace.this.vpc == var.vpc_id &&
      toset(keys(aws_service_discovery_service.this)) == toset(["prometheus", "alertmanager", "grafana", "api", "worker"])
    )
    error_message = "The namespace must be <environment>.monitoring.internal in the VPC, with a service for each of the three and each scrape service."
  }

  assert {
    condition = alltrue([
      for s in aws_service_discovery_service.this :
      toset([for r in s.dns_config[0].dns_records : r.type]) == toset(["A", "SRV"])
    ])
    error_message = "Every Cloud Map service must publish A and SRV records (Prometheus discovers by SRV)."
  }

  assert {
    condition = alltrue([
      for k, s in aws_ecs_service.this :
      s.name == "ngapp-test-monitoring-${k}" && s.cluster == var.cluster_arn && s.desired_count == 1 &&
      s.launch_type == "FARGATE" && !s.network_configuration[0].assign_public_ip &&
      toset(s.network_configuration[0].subnets) == toset(var.private_subnet_ids) &&
      s.deployment_minimum_healthy_percent == 0 && s.deployment_maximum_percent == 100 &&
      s.service_registries[0].container_name == k
    ])
    error_message = "The three services must run one Fargate task each in the private subnets without a public IP, stop-before-start, registered in Cloud Map."
  }

  assert {
    condition = (
      length(aws_ecs_service.this["grafana"].load_balancer) == 1 &&
      length(aws_ecs_service.this["prometheus"].load_balancer) == 0 &&
      length(aws_ecs_service.this["alertmanager"].load_balancer) == 0
    )
    error_message = "Only Grafana sits behind the ALB."
  }

  assert {
    condition = (
      aws_lb_target_group.grafana.name == "ngapp-test-monitoring-grafana" &&
      aws_lb_target_group.grafana.target_type == "ip" && aws_lb_target_group.grafana.port == 3000 &&
      aws_lb_target_group.grafana.health_check[0].path == "/api/health" &&
      aws_lb_listener_rule.grafana.listener_arn == var.alb_listener_arn &&
      aws_lb_listener_rule.grafana.priority == 100 &&
      one([for c in aws_lb_listener_rule.grafana.condition : one(c.host_header).values]) == toset(["grafana.dev.ngapp.example"])
    )
    error_message = "Grafana must be an ip target group checked on /api/health, forwarded by a host-header rule on the given listener."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.grafana_from_alb.referenced_security_group_id == var.alb_security_group_id &&
      aws_vpc_security_group_ingress_rule.grafana_from_alb.from_port == 3000 &&
      aws_vpc_security_group_egress_rule.alb_to_grafana.security_group_id == var.alb_security_group_id &&
      aws_vpc_security_group_egress_rule.alb_to_grafana.from_port == 3000 &&
      toset(keys(aws_vpc_security_group_egress_rule.scrape)) == toset(["8080", "9100"]) &&
      aws_vpc_security_group_egress_rule.scrape["8080"].cidr_ipv4 == var.vpc_cidr
    )
    error_message = "Grafana must accept only the ALB's group (which gets an egress rule to it); Prometheus reaches the scrape ports within the VPC."
  }

  assert {
    condition = (
      output.grafana_url == "https://grafana.dev.ngapp.example" &&
      output.namespace_name == "dev.monitoring.internal" &&
      output.execution_role_name == "ngapp-test-monitoring-execution" &&
      output.forwarder_role_name == "ngapp-test-monitoring-alarm-forwarder" &&
      output.prometheus_service_name == "ngapp-test-monitoring-prometheus" &&
      toset(keys(output.service_registry_arns)) == toset(["api", "worker"])
    )
    error_message = "Outputs: names deterministic from var.name, registry ARNs by scrape service."
  }
}

run "file_system" {
  command = plan

  assert {
    condition = (
      aws_efs_file_system.this.encrypted && aws_efs_file_system.this.kms_key_id == var.kms_key_arn &&
      length(aws_efs_file_system.this.lifecycle_policy) == 2 &&
      aws_efs_file_system.this.tags["Name"] == var.name
    )
    error_message = "The file system must be encrypted with the environment's key, with a lifecycle policy."
  }

  assert {
    condition = (
      length(aws_efs_mount_target.this) == 3 &&
      toset([for m in aws_efs_mount_target.this : m.subnet_id]) == toset(var.private_subnet_ids)
    )
    error_message = "There must be a mount target in each private subnet."
  }

  assert {
    condition = (
      aws_efs_access_point.this["prometheus"].posix_user[0].uid == 65534 &&
      aws_efs_access_point.this["alertmanager"].posix_user[0].gid == 65534 &&
      aws_efs_access_point.this["grafana"].posix_user[0].uid == 472 &&
      aws_efs_access_point.this["grafana"].root_directory[0].path == "/grafana" &&
      aws_efs_access_point.this["grafana"].root_directory[0].creation_info[0].owner_uid == 472
    )
    error_message = "Access points: prometheus and alertmanager as 65534, grafana as 472, each in its own directory."
  }

  assert {
    condition = alltrue([
      for k, td in aws_ecs_task_definition.this :
      one(td.volume).efs_volume_configuration[0].transit_encryption == "ENABLED" &&
      one(td.volume).efs_volume_configuration[0].authorization_config[0].iam == "ENABLED"
    ])
    error_message = "Every EFS volume must use TLS and IAM authorization through its access point."
  }
}

run "task_definitions" {
  command = plan

  assert {
    condition = alltrue([
      for k, td in aws_ecs_task_definition.this :
      jsondecode(td.container_definitions)[0].entryPoint == ["sh", "-c"] &&
      jsondecode(td.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/ngapp-test-monitoring/${k}"
    ])
    error_message = "Every task must write its configuration from `sh -c` and log to its own group."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this["alertmanager"].container_definitions)[0].secrets == [
        { name = "PAGERDUTY_ROUTING_KEY", valueFrom = "${var.pagerduty_secret_arn}:routing_key::" },
        { name = "SLACK_WEBHOOK_URL", valueFrom = "${var.slack_secret_arn}:webhook_url::" },
      ] &&
      strcontains(jsondecode(aws_ecs_task_definition.this["alertmanager"].container_definitions)[0].command[0], "> /etc/alertmanager/secrets/pagerduty-routing-key") &&
      strcontains(jsondecode(aws_ecs_task_definition.this["alertmanager"].container_definitions)[0].command[0], "> /etc/alertmanager/secrets/slack-webhook-url") &&
      !strcontains(aws_ecs_task_definition.this["alertmanager"].container_definitions, "routing_key\":")
    )
    error_message = "Alertmanager must get the PagerDuty and Slack secrets through ECS secrets and write them to the files its configuration reads."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.this["grafana"].container_definitions)[0].secrets == [
        { name = "GF_SECURITY_ADMIN_PASSWORD", valueFrom = var.grafana_admin_secret_arn },
      ] &&
      contains(jsondecode(aws_ecs_task_definition.this["grafana"].container_definitions)[0].environment, { name = "GF_AUTH_ANONYMOUS_ENABLED", value = "false" }) &&
      contains(jsondecode(aws_ecs_task_definition.this["grafana"].container_definitions)[0].environment, { name = "GF_SECURITY_COOKIE_SECURE", value = "true" }) &&
      contains(jsondecode(aws_ecs_task_definition.this["grafana"].container_definitions)[0].environment, { name = "GF_SERVER_ROOT_URL", value = "https://grafana.dev.ngapp.example" }) &&
      !contains([for e in jsondecode(aws_ecs_task_definition.this["grafana"].container_definitions)[0].environment : e.name], "GF_SECURITY_ADMIN_PASSWORD")
    )
    error_message = "Grafana: login required, admin password only as an ECS secret, secure cookies, root URL https://<grafana_host>."
  }

  assert {
    condition = (
      !contains(keys(jsondecode(aws_ecs_task_definition.this["prometheus"].container_definitions)[0]), "secrets") &&
      strcontains(jsondecode(aws_ecs_task_definition.this["prometheus"].container_definitions)[0].command[0], "--storage.tsdb.retention.time=15d") &&
      length(jsondecode(aws_ecs_task_definition.this["prometheus"].container_definitions)[0].environment) == 3
    )
    error_message = "Prometheus gets no secret, keeps 15 days and receives prometheus.yml plus the two rule files."
  }

  assert {
    condition = (
      yamldecode(output.prometheus_config).rule_files == ["/etc/prometheus/rules/data.yml", "/etc/prometheus/rules/service.yml"] &&
      yamldecode(output.prometheus_config).alerting.alertmanagers[0].dns_sd_configs[0].names == ["alertmanager.dev.monitoring.internal"] &&
      [for j in yamldecode(output.prometheus_config).scrape_configs : j.job_name] == ["prometheus", "alertmanager", "api", "worker"] &&
      yamldecode(output.prometheus_config).scrape_configs[3].metrics_path == "/internal/metrics" &&
      yamldecode(output.prometheus_config).scrape_configs[3].dns_sd_configs[0] == { names = ["worker.dev.monitoring.internal"], type = "SRV", refresh_interval = "30s" } &&
      yamldecode(output.prometheus_config).global.external_labels.environment == "dev"
    )
    error_message = "prometheus.yml must list the rule files, find Alertmanager and every scrape service by DNS SRV."
  }
}

run "iam" {
  command = plan

  assert {
    condition = (
      aws_iam_role.execution.name == "ngapp-test-monitoring-execution" &&
      aws_iam_role.task.name == "ngapp-test-monitoring-task" &&
      aws_iam_role.forwarder.name == "ngapp-test-monitoring-alarm-forwarder"
    )
    error_message = "Role names must be deterministic from var.name."
  }

  assert {
    condition = (
      toset(one([for s in data.aws_iam_policy_document.execution.statement : s.resources if s.sid == "ReadSecrets"])) ==
      toset([var.pagerduty_secret_arn, var.slack_secret_arn, var.grafana_admin_secret_arn]) &&
      toset(one([for s in data.aws_iam_policy_document.forwarder.statement : s.resources if s.sid == "ReadNotificationSecrets"])) ==
      toset([var.pagerduty_secret_arn, var.slack_secret_arn])
    )
    error_message = "The execution role reads exactly the three secrets, the forwarder exactly PagerDuty's and Slack's."
  }
}

run "alarms_and_forwarder" {
  command = plan

  assert {
    condition = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset([
      "db-cpu-ngapp-test-db", "db-cpu-ngapp-test-db-replica-01",
      "db-free-storage-ngapp-test-db", "db-free-storage-ngapp-test-db-replica-01",
      "db-connections-ngapp-test-db", "db-connections-ngapp-test-db-replica-01",
      "db-replica-lag-ngapp-test-db-replica-01",
      "cache-cpu-ngapp-test-sessions-001", "cache-cpu-ngapp-test-sessions-002",
      "cache-memory-ngapp-test-sessions-001", "cache-memory-ngapp-test-sessions-002",
      "cache-evictions-ngapp-test-sessions-001", "cache-evictions-ngapp-test-sessions-002",
      "alb-5xx", "target-5xx", "unhealthy-hosts",
    ])
    error_message = "Alarms: CPU, storage, connections per DB instance, lag per replica, CPU, memory, evictions per cache member, three on the ALB."
  }

  assert {
    condition = alltrue([
      for a in aws_cloudwatch_metric_alarm.this :
      contains(["page", "ticket"], a.tags["severity"]) && startswith(a.alarm_description, "[${a.tags["severity"]}] ") &&
      contains(["missing", "notBreaching", "breaching"], a.treat_missing_data) &&
      length(a.alarm_actions) == 1 && length(a.ok_actions) == 1
    ])
    error_message = "Every alarm carries its severity as a tag and as the description's [page]/[ticket] prefix, and notifies the topic on ALARM and OK."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["alb-5xx"].treat_missing_data == "notBreaching" &&
      aws_cloudwatch_metric_alarm.this["cache-evictions-ngapp-test-sessions-001"].treat_missing_data == "notBreaching" &&
      aws_cloudwatch_metric_alarm.this["db-replica-lag-ngapp-test-db-replica-01"].treat_missing_data == "breaching" &&
      aws_cloudwatch_metric_alarm.this["db-cpu-ngapp-test-db"].treat_missing_data == "missing" &&
      aws_cloudwatch_metric_alarm.this["unhealthy-hosts"].dimensions == tomap({ LoadBalancer = var.alb_arn_suffix, TargetGroup = var.target_group_arn_suffix }) &&
      aws_cloudwatch_metric_alarm.this["cache-memory-ngapp-test-sessions-002"].dimensions == tomap({ CacheClusterId = "ngapp-test-sessions-002", CacheNodeId = "0001" })
    )
    error_message = "Counts treat missing data as zero, replica lag as breaching, gauges as missing; dimensions must name the right resources."
  }

  assert {
    condition = (
      aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn &&
      aws_lambda_function.forwarder.function_name == "ngapp-test-monitoring-alarm-forwarder" &&
      aws_lambda_function.forwarder.handler == "deployment_infra.lambdas.notify_alarm.handler" &&
      aws_lambda_function.forwarder.runtime == "python3.12" &&
      aws_lambda_function.forwarder.source_code_hash == filebase64sha256("tests/fixtures/forwarder.zip") &&
      length(aws_lambda_function.forwarder.vpc_config) == 0 &&
      aws_lambda_function.forwarder.environment[0].variables == tomap({
        PAGERDUTY_SECRET_ARN = var.pagerduty_secret_arn
        SLACK_SECRET_ARN     = var.slack_secret_arn
        PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
      }) &&
      aws_lambda_permission.forwarder.principal == "sns.amazonaws.com" &&
      aws_sns_topic_subscription.forwarder.protocol == "lambda" &&
      aws_cloudwatch_log_group.forwarder.kms_key_id == var.kms_key_arn
    )
    error_message = "The KMS-encrypted topic must feed the forwarder Lambda (outside the VPC, secrets by ARN, encrypted logs)."
  }
}

run "no_cache_no_replicas" {
  command = plan

  variables {
    db_replica_identifiers     = []
    cache_replication_group_id = null
    cache_member_cluster_ids   = []
    scrape_services            = {}
  }

  assert {
    condition     = length([for k in keys(aws_cloudwatch_metric_alarm.this) : k if startswith(k, "cache-") || startswith(k, "db-replica-")]) == 0 && length(aws_vpc_security_group_egress_rule.scrape) == 0
    error_message = "Without cache or replicas there are no such alarms; without scrape services no scrape rules."
  }
}

run "long_name_keeps_target_group_within_32" {
  command = plan

  variables {
    name = "ngapp-preview-1234-monitoring-abcdefghi"
  }

  assert {
    condition     = length(aws_lb_target_group.grafana.name) == 32 && startswith(aws_lb_target_group.grafana.name, "ngapp-preview-1234-moni-")
    error_message = "A long name must give a 32-character target group name."
  }
}
