"""Data-tier checks: databases and caches. (Secret checks are in secret_checks.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from deployment_infra.policy.model import PlanView, PolicyContext, Resource, Violation

DB_INSTANCE = "aws_db_instance"
RDS_CLUSTER = "aws_rds_cluster"
REPLICATION_GROUP = "aws_elasticache_replication_group"
CACHE_CLUSTER = "aws_elasticache_cluster"
MIN_BACKUP_DAYS = 30


def _is_true(value: Any) -> bool:
    # Some provider attributes are strings ("true"): at_rest_encryption_enabled is one.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _is_replica(res: Resource) -> bool:
    source = res.after.get("replicate_source_db")
    return (isinstance(source, str) and bool(source)) or res.after_unknown.get("replicate_source_db") is True


def _databases(plan: PlanView) -> Iterator[Resource]:
    yield from plan.of_type(DB_INSTANCE)
    yield from plan.of_type(RDS_CLUSTER)


def _env_rule(ctx: PolicyContext) -> str:
    return f"environment {ctx.environment}" if ctx.environment else "an unnamed environment (strictest rules)"


class DatabaseBackups:
    """DB-001: automated backups (point-in-time recovery) kept at least 30 days."""

    id: str = "DB-001"
    title: str = f"Databases keep automated backups (PITR) for at least {MIN_BACKUP_DAYS} days"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in _databases(plan):
            if res.type == DB_INSTANCE and _is_replica(res):
                continue  # a replica's recovery comes from its source's backups
            days = res.after.get("backup_retention_period")
            if res.after_unknown.get("backup_retention_period") is True:
                yield Violation(
                    self.id, res.address, f"{res.address}: backup retention known only after apply"
                )
            elif not isinstance(days, int | float) or days < 1:
                yield Violation(
                    self.id,
                    res.address,
                    f"{res.address}: automated backups are off (no point-in-time recovery); "
                    f"set backup_retention_period >= {MIN_BACKUP_DAYS}",
                )
            elif days < MIN_BACKUP_DAYS:
                yield Violation(
                    self.id,
                    res.address,
                    f"{res.address}: backup_retention_period is {int(days)} days, "
                    f"at least {MIN_BACKUP_DAYS} required",
                )


class DatabaseEncryption:
    """DB-002: database storage encrypted."""

    id: str = "DB-002"
    title: str = "Database storage is encrypted"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in _databases(plan):
            if _is_true(res.after.get("storage_encrypted")):
                continue
            if (
                res.type == DB_INSTANCE
                and _is_replica(res)
                and res.after_unknown.get("storage_encrypted") is True
            ):
                continue  # a replica inherits its source's encryption
            yield Violation(
                self.id, res.address, f"{res.address}: storage is not encrypted; set storage_encrypted = true"
            )


class DatabaseNotPublic:
    """DB-003: databases are not publicly accessible."""

    id: str = "DB-003"
    title: str = "Databases are not publicly accessible"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.of_type(DB_INSTANCE):
            if res.after.get("publicly_accessible") is False:
                continue
            yield Violation(
                self.id,
                res.address,
                f"{res.address}: publicly_accessible must be false (reach it from the VPC)",
            )


class DatabaseDeletionProtection:
    """DB-004: in protected environments databases have deletion protection and a final snapshot."""

    id: str = "DB-004"
    title: str = "Databases in protected environments keep deletion protection and a final snapshot"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        if not ctx.protected:
            return
        for res in _databases(plan):
            if res.type == DB_INSTANCE and _is_replica(res):
                continue  # a replica holds no data of its own; protecting it only blocks scaling in
            problems = []
            if res.after.get("deletion_protection") is not True:
                problems.append("deletion_protection is off")
            if res.after.get("skip_final_snapshot") is True:
                problems.append("skip_final_snapshot is true")
            if problems:
                yield Violation(
                    self.id, res.address, f"{res.address} in {_env_rule(ctx)}: {'; '.join(problems)}"
                )


class CacheEncryption:
    """CACHE-001: caches encrypt at rest and in transit."""

    id: str = "CACHE-001"
    title: str = "Caches are encrypted at rest and in transit"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        for res in plan.of_type(REPLICATION_GROUP):
            missing = [
                what
                for what, attr in (
                    ("at rest", "at_rest_encryption_enabled"),
                    ("in transit", "transit_encryption_enabled"),
                )
                if not _is_true(res.after.get(attr))
            ]
            if missing:
                yield Violation(self.id, res.address, f"{res.address}: not encrypted {' and '.join(missing)}")


class CacheFailover:
    """CACHE-002: in highly available environments caches are replication groups with failover."""

    id: str = "CACHE-002"
    title: str = "Caches in highly available environments fail over automatically across AZs"

    def evaluate(self, plan: PlanView, ctx: PolicyContext) -> Iterator[Violation]:
        if not ctx.highly_available:
            return
        for res in plan.of_type(REPLICATION_GROUP):
            problems = []
            if res.after.get("automatic_failover_enabled") is not True:
                problems.append("automatic_failover_enabled is off")
            if res.after.get("multi_az_enabled") is not True:
                problems.append("multi_az_enabled is off")
            nodes = res.after.get("num_cache_clusters")
            if isinstance(nodes, int | float) and nodes < 2:
                problems.append(f"{int(nodes)} node (at least 2 needed)")
            if problems:
                yield Violation(
                    self.id, res.address, f"{res.address} in {_env_rule(ctx)}: {'; '.join(problems)}"
                )
        for res in plan.of_type(CACHE_CLUSTER):
            if not res.after.get("replication_group_id"):
                yield Violation(
                    self.id,
                    res.address,
                    f"{res.address} in {_env_rule(ctx)}: a stand-alone cache cluster cannot fail over; "
                    f"use {REPLICATION_GROUP}",
                )


DATA_CHECKS = (
    DatabaseBackups(),
    DatabaseEncryption(),
    DatabaseNotPublic(),
    DatabaseDeletionProtection(),
    CacheEncryption(),
    CacheFailover(),
)
