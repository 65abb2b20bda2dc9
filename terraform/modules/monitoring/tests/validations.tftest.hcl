# Input validations and the configuration size budget, with a mocked AWS provider (plans only).
# The variables are those of monitoring.tftest.hcl; each run breaks one of them.

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
# Validations and the size budget
################################################################################

run "rejects_latest_and_untagged_images" {
  command = plan

  variables {
    images = { prometheus = "quay.io/prometheus/prometheus:latest", grafana = "docker.io/grafana/grafana-oss" }
  }

  expect_failures = [var.images]
}

run "accepts_digests" {
  command = plan

  variables {
    images = { prometheus = "quay.io/prometheus/prometheus@sha256:0000000000000000000000000000000000000000000000000000000000000000" }
  }
}

run "rejects_secrets_in_alertmanager_config" {
  command = plan

  variables {
    alertmanager_config = "route:\n  receiver: pd\nreceivers:\n  - name: pd\n    pagerduty_configs:\n      - routing_key: abc\n"
  }

  expect_failures = [var.alertmanager_config]
}

run "rejects_bad_scrape_services" {
  command = plan

  variables {
    scrape_services = { grafana = { port = 3000 }, "Bad_Name" = { port = 70000 } }
  }

  expect_failures = [var.scrape_services]
}

run "rejects_unsafe_file_names" {
  command = plan

  variables {
    prometheus_rule_files = { "x; rm -rf /.yml" = "groups: []" }
    grafana_dashboards    = { "../etc/passwd.json" = "{}" }
  }

  expect_failures = [var.prometheus_rule_files, var.grafana_dashboards]
}

run "rejects_invalid_fargate_sizes" {
  command = plan

  variables {
    sizes = { prometheus = { cpu = 256, memory = 4096 } }
  }

  expect_failures = [var.sizes]
}

run "rejects_cache_members_without_group" {
  command = plan

  variables {
    cache_replication_group_id = null
  }

  expect_failures = [var.cache_member_cluster_ids]
}

run "rejects_secret_arns_with_json_keys" {
  command = plan

  variables {
    slack_secret_arn = "arn:aws:secretsmanager:af-south-1:123456789012:secret:/ngapp/dev/slack-AbCdEf:webhook_url::"
  }

  expect_failures = [var.slack_secret_arn]
}

run "rejects_configuration_over_the_size_budget" {
  command = plan

  variables {
    # Hex digests compress only about 2:1, so this is ~70 KB once gzipped and base64-encoded.
    grafana_dashboards = { "big.json" = jsonencode({ blob = join("", [for p in setproduct(range(40), range(40)) : sha256("${p[0]}-${p[1]}")]) }) }
  }

  expect_failures = [aws_ecs_task_definition.this["grafana"]]
}
