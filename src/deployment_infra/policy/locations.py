"""Where things are: a resource's location (region or Local Zone), its data class, and lookups of
the resources a configuration expression or an ARN points at. Shared by the residency checks and
`infra docs data-flows`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from deployment_infra.policy.model import DATA_CLASS_TAG, PlanView, PolicyContext, Resource
from deployment_infra.policy.plan import split_reference
from deployment_infra.transfers import LOCAL_ZONE

# Data stores and the service name the transfer register uses for them.
DATA_STORES: Mapping[str, str] = {
    "aws_s3_bucket": "s3",
    "aws_db_instance": "rds",
    "aws_rds_cluster": "rds",
    "aws_elasticache_replication_group": "elasticache",
    "aws_elasticache_cluster": "elasticache",
    "aws_elasticache_serverless_cache": "elasticache",
    "aws_dynamodb_table": "dynamodb",
    "aws_efs_file_system": "efs",
    "aws_backup_vault": "backup",
    "aws_cloudwatch_log_group": "logs",
    "aws_secretsmanager_secret": "secretsmanager",
}

# Attributes that place a resource in one zone (a Local Zone makes that its location).
_ZONE_ATTRIBUTES = ("availability_zone", "availability_zone_name")

# ARN service -> register service name, for destinations known only by ARN.
ARN_SERVICES: Mapping[str, str] = {
    "s3": "s3",
    "rds": "rds",
    "elasticache": "elasticache",
    "dynamodb": "dynamodb",
    "elasticfilesystem": "efs",
    "backup": "backup",
    "logs": "logs",
    "secretsmanager": "secretsmanager",
    "firehose": "firehose",
    "kinesis": "kinesis",
    "lambda": "lambda",
}

# Resource type -> register service, for destinations found in the plan.
TYPE_SERVICES: Mapping[str, str] = {
    **DATA_STORES,
    "aws_kinesis_firehose_delivery_stream": "firehose",
    "aws_kinesis_stream": "kinesis",
    "aws_lambda_function": "lambda",
    "aws_cloudwatch_log_destination": "logs",
}


def location_of(res: Resource) -> str | None:
    """The resource's Local Zone if it is pinned to one, else its region (None: unknown)."""
    region = res.region
    if region is None:
        return None
    for attr in _ZONE_ATTRIBUTES:
        zone = res.after.get(attr)
        if isinstance(zone, str):
            match = LOCAL_ZONE.match(zone)
            if match and match.group(1) == region:
                return zone
    return region


def data_class(res: Resource) -> tuple[str | None, str]:
    """(DataClassification value, "") or (None, why the resource has no known class)."""
    tags = res.tags
    if tags is None:
        return None, "its type takes no tags"
    value = tags.value(DATA_CLASS_TAG)
    if value is not None:
        return value, ""
    if DATA_CLASS_TAG in tags.unknown or not tags.complete:
        return None, f"its {DATA_CLASS_TAG} is known only after apply"
    return None, f"it has no {DATA_CLASS_TAG} tag"


def known_class(res: Resource, ctx: PolicyContext) -> str | None:
    """The resource's data class if it is one the settings know."""
    value, _ = data_class(res)
    return value if value is not None and value in ctx.allowed_regions else None


def arn_region(arn: Any) -> str | None:
    """The region field of an ARN ("" for global ARNs such as S3 buckets), None if not an ARN."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 else None


def arn_service(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return ARN_SERVICES.get(parts[2]) if len(parts) == 6 else None


def expression(res: Resource, path: Sequence[str | int]) -> Any:
    """The configuration expression at `path` (block names and list indexes) of `res`, or None.

    Blocks written with `dynamic` are absent from the plan's configuration: None then.
    """
    return block_expression(res.config, path)


def block_expression(block: Mapping[str, Any] | None, path: Sequence[str | int]) -> Any:
    """The expression at `path` of a configuration block (None when absent)."""
    node: Any = block.get("expressions") if block is not None else None
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def references(expr: Any) -> list[str]:
    refs = expr.get("references") if isinstance(expr, dict) else None
    return [r for r in refs if isinstance(r, str)] if isinstance(refs, list) else []


def referenced(
    plan: PlanView, res: Resource, path: Sequence[str | int], types: frozenset[str]
) -> list[Resource]:
    """Resources of `types` in `res`'s module instance that the expression at `path` names.

    An unindexed reference to a counted/for_each resource resolves to the instance with
    `res`'s own key when there is one (b[count.index]), else to every instance.
    """
    found: list[Resource] = []
    for ref in references(expression(res, path)):
        parsed = split_reference(ref)
        if parsed is None:
            continue
        address, is_literal, key = parsed
        if address.split(".", 1)[0] not in types:
            continue
        found.extend(_instances(plan, res, address, key if is_literal else res.index, is_literal))
    unique: dict[str, Resource] = {r.address: r for r in found}
    return list(unique.values())


def _instances(plan: PlanView, res: Resource, address: str, key: Any, exact: bool) -> Iterator[Resource]:
    prefix = f"{res.module_address}." if res.module_address else ""
    base = prefix + address
    single = plan.by_address.get(base)
    if single is not None:
        yield single
        return
    if key is not None:
        keyed = plan.by_address.get(f"{base}[{key}]" if isinstance(key, int) else f'{base}["{key}"]')
        if keyed is not None:
            yield keyed
            return
    if exact:
        return
    rtype, name = address.split(".", 1)
    for candidate in plan.of_type(rtype):
        if candidate.module_address == res.module_address and candidate.name == name:
            yield candidate


def by_attribute(plan: PlanView, rtype: str, attr: str, value: Any) -> Resource | None:
    """The one resource of `rtype` whose `attr` equals the known `value`, else None."""
    if not isinstance(value, str) or not value:
        return None
    matches = [r for r in plan.of_type(rtype) if r.after.get(attr) == value]
    return matches[0] if len(matches) == 1 else None
