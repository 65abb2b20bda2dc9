# Monitoring of the environment: Prometheus, Alertmanager and Grafana on the service's cluster,
# configured from monitoring/ at the repository root, and CloudWatch alarms for the AWS-managed
# parts; both page PagerDuty and post to Slack. Identical in every environment root.

locals {
  monitoring_name = "${local.name}-monitoring"
  monitoring_dir  = "${path.module}/../../../monitoring"
  # Built from names (known at plan time) like the service roles in data.tf: the paging keys'
  # resource policies admit exactly these two roles.
  monitoring_reader_arns = [
    "${local.iam_role_prefix}${local.monitoring_name}-execution",
    "${local.iam_role_prefix}${local.monitoring_name}-alarm-forwarder",
  ]
  grafana_host = "grafana.${local.domain}"
}

module "monitoring" {
  source = "../../modules/monitoring"

  name               = local.monitoring_name
  environment        = var.environment
  vpc_id             = module.vpc.vpc_id
  vpc_cidr           = var.vpc_cidr
  private_subnet_ids = module.vpc.private_subnet_ids
  cluster_arn        = module.service.cluster_arn
  kms_key_arn        = module.secrets.kms_key_arn

  alb_listener_arn      = module.service.https_listener_arn
  alb_security_group_id = module.service.alb_security_group_id
  grafana_host          = local.grafana_host

  prometheus_rule_files = {
    for f in fileset("${local.monitoring_dir}/prometheus/rules", "*.yml") :
    f => file("${local.monitoring_dir}/prometheus/rules/${f}")
  }
  alertmanager_config = file("${local.monitoring_dir}/alertmanager/alertmanager.yml")
  grafana_dashboards = {
    for f in fileset("${local.monitoring_dir}/grafana/dashboards", "*.json") :
    f => file("${local.monitoring_dir}/grafana/dashboards/${f}")
  }
  # The service registers its tasks here (module.service.service_registry_arn) and Prometheus
  # scrapes them by DNS SRV.
  scrape_services = { (var.service_name) = { port = var.container_port } }

  pagerduty_secret_arn     = module.secrets.secret_arns[local.pagerduty_secret]
  slack_secret_arn         = module.secrets.secret_arns[local.slack_secret]
  grafana_admin_secret_arn = module.secrets.secret_arns[local.grafana_secret]

  db_instance_identifiers    = [module.database.identifier]
  db_replica_identifiers     = values(module.database.replica_identifiers)
  cache_replication_group_id = local.cache_id
  # The member ids ElastiCache assigns (<group>-001, -002, ...), known at plan time.
  cache_member_cluster_ids = [for i in range(var.cache_nodes) : format("%s-%03d", local.cache_id, i + 1)]
  alb_arn_suffix           = module.service.alb_arn_suffix
  target_group_arn_suffix  = module.service.target_group_arn_suffix

  forwarder_lambda_zip = var.rotation_lambda_zip
  log_retention_days   = var.flow_log_retention_days

  # The file system (Prometheus TSDB, Grafana's database) is backed up by the plan in dr.tf.
  tags = { (local.backup_tag.key) = local.backup_tag.value }
}

resource "aws_route53_record" "grafana" {
  zone_id = aws_route53_zone.this.zone_id
  name    = local.grafana_host
  type    = "A"

  alias {
    name                   = module.service.alb_dns_name
    zone_id                = module.service.alb_zone_id
    evaluate_target_health = true
  }
}
