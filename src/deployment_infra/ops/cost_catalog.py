"""Which resource types `infra ops cost-report` prices and how (RULES), and which cost nothing of
their own (NO_CHARGE, with the reason). A type in neither is reported as not priced.
"""

from __future__ import annotations

from collections.abc import Mapping

from deployment_infra.ops.cost_rules import (
    NotPricedError,
    Rule,
    Rules,
    Term,
    db_instance,
    ecs_service,
    efs,
    eip,
    elasticache_cluster,
    elasticache_group,
    load_balancer,
    nat_gateway,
    number,
)
from deployment_infra.policy.model import Resource


def log_group(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    if res.after.get("log_group_class") == "INFREQUENT_ACCESS":
        raise NotPricedError("the Infrequent Access log class is not priced")
    flow = res.address in rules.flow_log_groups
    key = "flow_log_ingest_gb" if flow else "log_ingest_gb"
    ingest = rules.usage[key]
    days = number(res.after.get("retention_in_days")) or 0
    months = days / (rules.hours / 24) if days else 12.0
    stored = ingest * months * rules.usage["log_storage_ratio"]
    label = f"{key} x {months:.3g} months kept x log_storage_ratio"
    terms = [
        Term(ingest, "cloudwatch-logs:ingest:gb", key),
        Term(stored, "cloudwatch-logs:storage:gb-month", label),
    ]
    return terms, "never expires: 12 months of logs assumed" if not days else ""


def metric_alarm(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    queries = [q for q in res.after.get("metric_query") or [] if isinstance(q, dict) and q.get("metric")]
    metrics = len(queries) or 1
    if res.after.get("threshold_metric_id"):
        metrics = 3  # an anomaly detection alarm bills as three metrics
    period = number(res.after.get("period")) or 60
    key = "cloudwatch:high-resolution-alarm-month" if period < 60 else "cloudwatch:alarm-month"
    return [Term(metrics, key, f"{metrics} metric(s)")], ""


def ecs_cluster(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    settings = [s for s in res.after.get("setting") or [] if isinstance(s, dict)]
    insights = any(
        s.get("name") == "containerInsights" and s.get("value") in ("enabled", "enhanced") for s in settings
    )
    if not insights:
        return [], "clusters cost nothing; Container Insights is off"
    return [
        Term(
            rules.usage["container_insights_metrics"],
            "cloudwatch:custom-metric-month",
            "container_insights_metrics",
        ),
        Term(rules.usage["container_insights_gb"], "cloudwatch-logs:ingest:gb", "container_insights_gb"),
    ], "Container Insights"


def budget(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    price = rules.table.price("budgets:budget-day")
    rules.budgets_seen += 1
    free = rules.budgets_seen <= price.free
    days = 0.0 if free else rules.hours / 24
    return [Term(days, price.key, f"one of the first {price.free:g} (free)" if free else "days")], (
        "the free budgets are per account: with several environments in one account only two are free"
    )


def vpc_endpoint(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    kind = res.after.get("vpc_endpoint_type") or "Gateway"
    if kind == "Gateway":
        return [], "gateway endpoints (S3, DynamoDB) cost nothing"
    if kind != "Interface":
        raise NotPricedError(f"{kind} endpoints are not priced")
    subnets = res.after.get("subnet_ids")
    azs = len(subnets) if isinstance(subnets, list) and subnets else rules.az_count
    return [
        Term(azs * rules.hours, "vpc-endpoint:interface:hour", f"{azs} AZ(s)"),
        Term(rules.usage["vpce_gb"], "vpc-endpoint:interface:gb", "vpce_gb"),
    ], ""


def lambda_function(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    arch = (res.after.get("architectures") or ["x86_64"])[0]
    memory_gb = (number(res.after.get("memory_size")) or 128) / 1024
    calls, seconds = rules.usage["lambda_invocations"], rules.usage["lambda_seconds"]
    key = "lambda:gb-second" if arch == "x86_64" else f"lambda:{arch}:gb-second"
    return [
        Term(calls / 1e6, "lambda:million-requests", "lambda_invocations"),
        Term(calls * seconds * memory_gb, key, f"lambda_invocations x lambda_seconds x {memory_gb:g} GB"),
    ], "negligible at rotation and alarm volumes"


def ssm_parameter(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    if res.after.get("tier") == "Advanced":
        return [Term(1, "ssm:advanced-parameter-month", "advanced parameter")], ""
    return [], "standard parameters cost nothing"


def dns_namespace(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    return [Term(1, "route53:hosted-zone-month", "the namespace's hosted zone")], ""


def _usage_rule(usage_key: str, price_key: str, what: str = "") -> Rule:
    def rule(rules: Rules, res: Resource) -> tuple[list[Term], str]:
        return [Term(rules.usage[usage_key], price_key, usage_key)], what

    return rule


def _fixed_rule(quantity: float, price_key: str, what: str) -> Rule:
    def rule(rules: Rules, res: Resource) -> tuple[list[Term], str]:
        return [Term(quantity, price_key, what)], ""

    return rule


def cloudfront(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    if res.after.get("price_class") == "PriceClass_100":
        raise NotPricedError("PriceClass_100 serves Nigeria from Europe: no Africa rate applies")
    return [
        Term(rules.usage["cdn_gb_out"], "cloudfront:africa:gb-out", "cdn_gb_out"),
        Term(rules.usage["cdn_requests_10k"], "cloudfront:africa:https-10k", "cdn_requests_10k"),
    ], "assumes every viewer is served by an African edge; the always-free tier is not subtracted"


def backup_vault(rules: Rules, res: Resource) -> tuple[list[Term], str]:
    return [
        Term(rules.usage["backup_efs_gb"], "backup:efs-warm:gb-month", "backup_efs_gb"),
        Term(rules.usage["backup_rds_gb"], "backup:rds:gb-month", "backup_rds_gb"),
    ], ""


RULES: Mapping[str, Rule] = {
    "aws_ecs_service": ecs_service,
    "aws_ecs_cluster": ecs_cluster,
    "aws_nat_gateway": nat_gateway,
    "aws_eip": eip,
    "aws_lb": load_balancer,
    "aws_alb": load_balancer,
    "aws_db_instance": db_instance,
    "aws_elasticache_replication_group": elasticache_group,
    "aws_elasticache_cluster": elasticache_cluster,
    "aws_efs_file_system": efs,
    "aws_kms_key": _fixed_rule(1, "kms:key-month", "key"),
    "aws_secretsmanager_secret": _fixed_rule(1, "secretsmanager:secret-month", "secret"),
    "aws_route53_zone": _fixed_rule(1, "route53:hosted-zone-month", "hosted zone"),
    "aws_service_discovery_private_dns_namespace": dns_namespace,
    "aws_service_discovery_public_dns_namespace": dns_namespace,
    "aws_service_discovery_service": _usage_rule("cloudmap_instances", "cloudmap:instance-month"),
    "aws_cloudwatch_metric_alarm": metric_alarm,
    "aws_cloudwatch_log_group": log_group,
    "aws_cloudwatch_log_delivery": _usage_rule("cdn_log_gb", "cloudwatch-logs:vended-s3:gb"),
    "aws_s3_bucket": _usage_rule("s3_gb", "s3:standard:gb-month", "requests not counted"),
    "aws_cloudfront_distribution": cloudfront,
    "aws_budgets_budget": budget,
    "aws_vpc_endpoint": vpc_endpoint,
    "aws_ecr_repository": _usage_rule("ecr_gb", "ecr:gb-month"),
    "aws_backup_vault": backup_vault,
    "aws_lambda_function": lambda_function,
    "aws_ssm_parameter": ssm_parameter,
}


_PRICED_ON = "no charge of its own: priced on "
# reason -> the types it covers (whitespace-separated, so that the list stays short)
_NO_CHARGE_GROUPS = {
    "IAM costs nothing": "aws_iam_role aws_iam_role_policy aws_iam_role_policy_attachment aws_iam_policy",
    "AWS Organizations costs nothing": """
        aws_organizations_organization aws_organizations_policy aws_organizations_policy_attachment""",
    "configuration, no charge": """
        aws_vpc aws_subnet aws_route_table aws_route aws_route_table_association aws_internet_gateway
        aws_default_security_group aws_default_network_acl aws_default_route_table aws_security_group
        aws_security_group_rule aws_vpc_security_group_ingress_rule aws_vpc_security_group_egress_rule
        aws_db_subnet_group aws_db_parameter_group aws_elasticache_subnet_group
        aws_elasticache_parameter_group aws_kms_alias aws_ecs_cluster_capacity_providers
        aws_appautoscaling_target aws_appautoscaling_policy aws_cloudfront_cache_policy
        aws_cloudfront_origin_request_policy aws_cloudfront_response_headers_policy
        aws_cloudfront_origin_access_control aws_backup_plan aws_backup_selection
        aws_backup_vault_notifications aws_backup_vault_lock_configuration aws_backup_vault_policy
        aws_lambda_permission aws_acm_certificate_validation""",
    "public certificates cost nothing": "aws_acm_certificate",
    "queries to alias records are free; other queries not counted": "aws_route53_record",
    _PRICED_ON + "the log group it writes to (flow_log_ingest_gb)": "aws_flow_log",
    _PRICED_ON + "the services that run it": "aws_ecs_task_definition",
    _PRICED_ON + "the ALB": "aws_lb_listener aws_lb_listener_rule aws_lb_target_group",
    _PRICED_ON + "the secret (API calls not counted)": """
        aws_secretsmanager_secret_version aws_secretsmanager_secret_rotation
        aws_secretsmanager_secret_policy""",
    _PRICED_ON + "the bucket (s3_gb)": """
        aws_s3_bucket_versioning aws_s3_bucket_server_side_encryption_configuration
        aws_s3_bucket_public_access_block aws_s3_bucket_policy aws_s3_bucket_ownership_controls
        aws_s3_bucket_lifecycle_configuration aws_s3_bucket_logging""",
    _PRICED_ON + "the file system": """
        aws_efs_mount_target aws_efs_access_point aws_efs_file_system_policy aws_efs_backup_policy""",
    _PRICED_ON + "the repository": "aws_ecr_lifecycle_policy",
    _PRICED_ON + "the log delivery (cdn_log_gb)": """
        aws_cloudwatch_log_delivery_source aws_cloudwatch_log_delivery_destination""",
    "alarm notification volumes stay inside SNS's free tier": """
        aws_sns_topic aws_sns_topic_policy aws_sns_topic_subscription""",
}
NO_CHARGE: Mapping[str, str] = {
    rtype: reason for reason, types in _NO_CHARGE_GROUPS.items() for rtype in types.split()
}
SUPPORTED_TYPES = frozenset(RULES) | frozenset(NO_CHARGE)
