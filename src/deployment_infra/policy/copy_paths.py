"""Copy and replication paths in a plan: where each one sends data, and which data.

A path is found for: S3 replication rules, AWS Backup copy actions, RDS cross-region read replicas
and automated-backup replication, CloudWatch Logs subscription filters, Firehose delivery streams,
DynamoDB global-table replicas and Secrets Manager replicas. Its data class is the source's; its
destination a region or Local Zone, or None with the reason (the gate then fails closed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from deployment_infra.policy.locations import (
    TYPE_SERVICES,
    arn_region,
    arn_service,
    by_attribute,
    data_class,
    location_of,
    referenced,
)
from deployment_infra.policy.model import PlanView, Resource

S3_BUCKET = frozenset({"aws_s3_bucket"})
BACKUP_VAULT = frozenset({"aws_backup_vault"})
DB = frozenset({"aws_db_instance"})
LOG_GROUP = frozenset({"aws_cloudwatch_log_group"})
LOG_DESTINATIONS = frozenset(
    {
        "aws_kinesis_firehose_delivery_stream",
        "aws_kinesis_stream",
        "aws_lambda_function",
        "aws_cloudwatch_log_destination",
    }
)


@dataclass(frozen=True)
class CopyPath:
    """Data of `data_class` (from `class_from`) copied by `address` to `destination`/`service`."""

    address: str
    kind: str
    service: str
    source: str | None  # address of the source data store, when it is in the plan
    data_class: str | None
    class_from: str  # address whose DataClassification gave data_class, or why it is unknown
    destination: str | None
    why_unknown: str = ""  # why destination is None


def copy_paths(plan: PlanView) -> Iterator[CopyPath]:
    """Every copy path of the plan, in plan order per kind."""
    for rtype, finder in _FINDERS.items():
        for res in plan.of_type(rtype):
            yield from finder(plan, res)


def _class(source: Resource | None, fallback: Resource) -> tuple[str | None, str]:
    """The source's class, else the path resource's own (e.g. a Firehose stream's)."""
    for candidate in (source, fallback):
        if candidate is None:
            continue
        value, _ = data_class(candidate)
        if value is not None:
            return value, candidate.address
    _, why = data_class(source or fallback)
    return None, f"{(source or fallback).address}: {why}"


def _path(
    res: Resource,
    kind: str,
    service: str,
    source: Resource | None,
    *,
    to: str | None,
    why_unknown: str = "",
) -> CopyPath:
    value, class_from = _class(source, res)
    return CopyPath(
        res.address,
        kind,
        service,
        source.address if source else None,
        value,
        class_from,
        to,
        why_unknown if to is None else "",
    )


def _blocks(value: Any) -> list[dict[str, Any]]:
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def _s3_replication(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    source = by_attribute(plan, "aws_s3_bucket", "bucket", res.after.get("bucket"))
    if source is None:
        sources = referenced(plan, res, ["bucket"], S3_BUCKET)
        source = sources[0] if len(sources) == 1 else None
    for i, rule in enumerate(_blocks(res.after.get("rule"))):
        if rule.get("status") == "Disabled":
            continue
        for j, dest in enumerate(_blocks(rule.get("destination"))):
            arn = dest.get("bucket")
            target = None
            if isinstance(arn, str) and arn.startswith("arn:aws:s3:::"):
                target = by_attribute(plan, "aws_s3_bucket", "bucket", arn.removeprefix("arn:aws:s3:::"))
            if target is None:
                found = referenced(plan, res, ["rule", i, "destination", j, "bucket"], S3_BUCKET)
                target = found[0] if len(found) == 1 else None
            where = location_of(target) if target is not None else None
            shown = arn if isinstance(arn, str) else "known only after apply"
            yield _path(
                res,
                "S3 replication",
                "s3",
                source,
                to=where,
                why_unknown=f"its destination bucket ({shown}) is not in this plan, so its region is unknown",
            )


def _backup_copies(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    for i, rule in enumerate(_blocks(res.after.get("rule"))):
        source = by_attribute(plan, "aws_backup_vault", "name", rule.get("target_vault_name"))
        if source is None:
            found = referenced(plan, res, ["rule", i, "target_vault_name"], BACKUP_VAULT)
            source = found[0] if len(found) == 1 else None
        for j, action in enumerate(_blocks(rule.get("copy_action"))):
            arn = action.get("destination_vault_arn")
            region = arn_region(arn)
            if not region:
                found = referenced(
                    plan, res, ["rule", i, "copy_action", j, "destination_vault_arn"], BACKUP_VAULT
                )
                region = location_of(found[0]) if len(found) == 1 else None
            yield _path(
                res,
                "AWS Backup copy",
                "backup",
                source,
                to=region or None,
                why_unknown="its destination vault ARN is known only after apply and not in this plan",
            )


def _rds_replica(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    source_ref = res.after.get("replicate_source_db")
    unknown = res.after_unknown.get("replicate_source_db") is True
    if not (isinstance(source_ref, str) and source_ref) and not unknown:
        return
    here = location_of(res)
    source = by_attribute(plan, "aws_db_instance", "arn", source_ref) or by_attribute(
        plan, "aws_db_instance", "identifier", source_ref
    )
    if source is None:
        found = referenced(plan, res, ["replicate_source_db"], DB)
        source = found[0] if len(found) == 1 else None
    source_location = location_of(source) if source is not None else arn_region(source_ref)
    if source_location is None and isinstance(source_ref, str) and not source_ref.startswith("arn:"):
        source_location = here  # an identifier, not an ARN: a replica in the source's region
    if source_location == here and here is not None:
        return  # same place: the replica is a data store of its own, judged as one
    yield _path(
        res, "RDS cross-region read replica", "rds", source, to=here, why_unknown="its location is unknown"
    )


def _rds_backup_replication(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    arn = res.after.get("source_db_instance_arn")
    source = by_attribute(plan, "aws_db_instance", "arn", arn)
    if source is None:
        found = referenced(plan, res, ["source_db_instance_arn"], DB)
        source = found[0] if len(found) == 1 else None
    yield _path(
        res,
        "RDS automated backups replication",
        "rds",
        source,
        to=location_of(res),
        why_unknown="its region is unknown",
    )


def _log_subscription(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    source = by_attribute(plan, "aws_cloudwatch_log_group", "name", res.after.get("log_group_name"))
    if source is None:
        found = referenced(plan, res, ["log_group_name"], LOG_GROUP)
        source = found[0] if len(found) == 1 else None
    arn = res.after.get("destination_arn")
    region, service = arn_region(arn), arn_service(arn) if isinstance(arn, str) else None
    if not region:
        found = referenced(plan, res, ["destination_arn"], LOG_DESTINATIONS)
        if len(found) == 1:
            region, service = location_of(found[0]), TYPE_SERVICES.get(found[0].type)
    yield _path(
        res,
        "CloudWatch Logs subscription",
        service or "logs",
        source,
        to=region or None,
        why_unknown="its destination ARN is known only after apply and not a resource of this plan",
    )


_EXTERNAL = ("http_endpoint", "splunk", "snowflake", "mongodb", "iceberg")


def _firehose(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    kind = "Firehose delivery"
    destination = res.after.get("destination")
    if destination in _EXTERNAL:
        config = _blocks(res.after.get(f"{destination}_configuration"))
        url = config[0].get("url") if config else None
        host = urlparse(url).hostname if isinstance(url, str) else None
        yield _path(
            res,
            kind,
            "firehose",
            None,
            to=None,
            why_unknown=f"it delivers to {destination} outside AWS ({host or 'unknown'})",
        )
        return
    if destination in ("extended_s3", "s3"):
        config = _blocks(res.after.get("extended_s3_configuration"))
        arn = config[0].get("bucket_arn") if config else None
        target = None
        if isinstance(arn, str) and arn.startswith("arn:aws:s3:::"):
            target = by_attribute(plan, "aws_s3_bucket", "bucket", arn.removeprefix("arn:aws:s3:::"))
        if target is None:
            found = referenced(plan, res, ["extended_s3_configuration", 0, "bucket_arn"], S3_BUCKET)
            target = found[0] if len(found) == 1 else None
        where = location_of(target) if target is not None else None
        yield _path(
            res,
            kind,
            "s3",
            None,
            to=where,
            why_unknown="its destination bucket is not in this plan, so its region is unknown",
        )
        return
    for block in (
        "opensearch_configuration",
        "elasticsearch_configuration",
        "opensearchserverless_configuration",
    ):
        config = _blocks(res.after.get(block))
        if config:
            arn = config[0].get("domain_arn") or config[0].get("collection_endpoint")
            yield _path(
                res,
                kind,
                "firehose",
                None,
                to=arn_region(arn) or None,
                why_unknown="its destination domain is unknown",
            )
            return
    yield _path(
        res,
        kind,
        "firehose",
        None,
        to=None,
        why_unknown=f"its destination ({destination!r}) cannot be located",
    )


def _dynamodb_replicas(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    for replica in _blocks(res.after.get("replica")):
        yield _path(
            res,
            "DynamoDB global table replica",
            "dynamodb",
            res,
            to=replica.get("region_name") or None,
            why_unknown="region unknown",
        )


def _secret_replicas(plan: PlanView, res: Resource) -> Iterator[CopyPath]:
    for replica in _blocks(res.after.get("replica")):
        yield _path(
            res,
            "Secrets Manager replica",
            "secretsmanager",
            res,
            to=replica.get("region") or None,
            why_unknown="region unknown",
        )


_FINDERS: dict[str, Callable[[PlanView, Resource], Iterator[CopyPath]]] = {
    "aws_s3_bucket_replication_configuration": _s3_replication,
    "aws_backup_plan": _backup_copies,
    "aws_db_instance": _rds_replica,
    "aws_db_instance_automated_backups_replication": _rds_backup_replication,
    "aws_cloudwatch_log_subscription_filter": _log_subscription,
    "aws_kinesis_firehose_delivery_stream": _firehose,
    "aws_dynamodb_table": _dynamodb_replicas,
    "aws_secretsmanager_secret": _secret_replicas,
}
