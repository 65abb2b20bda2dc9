"""The RDS backup drill: restore the environment's primary to its latest restorable time, compare, delete.

RestoreDBInstanceToPointInTime(UseLatestRestorableTime) makes a temporary instance
`<id>-verify-<timestamp>` in the source's subnet group and security groups, private and unprotected;
once it is available, a DatabaseProbe fingerprints the source and the copy with the master user's
credentials from Secrets Manager, and the temporary instance is deleted (no final snapshot, no kept
backups) whatever happened. The probe is a protocol because the emulator's endpoints are names, not
databases: its tests supply probes that connect to local PostgreSQL servers instead.

The source is live: rows written after the recovery point show up as row-count or checksum
differences. Run the drill when writes are quiet, or read those differences with the report's
recovery_point_objective_seconds in mind.
"""

from __future__ import annotations

import datetime
import json
import os
import ssl
import time
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from deployment_infra.errors import InfraError, UsageError
from deployment_infra.ops.backup_verify import DatabaseFingerprint, VerificationReport, fingerprint, verify
from deployment_infra.targets import Target

METHOD = "rds point-in-time restore (latest restorable time)"
CA_BUNDLE_ENV = "INFRA_RDS_CA_BUNDLE"  # the RDS CA bundle (global-bundle.pem) when not in the trust store
Progress = Callable[[str], None]


class DatabaseProbe(Protocol):
    def fingerprint(
        self, role: str, instance: dict[str, Any], credentials: dict[str, Any]
    ) -> DatabaseFingerprint:
        """The fingerprint of `instance` (a DescribeDBInstances entry); role is "source" or "restored"."""


class PostgresProbe:
    """Connects to the instance's endpoint over TLS (RDS forces it) with pg8000."""

    def fingerprint(
        self, role: str, instance: dict[str, Any], credentials: dict[str, Any]
    ) -> DatabaseFingerprint:
        import pg8000.native

        context = ssl.create_default_context(cafile=os.environ.get(CA_BUNDLE_ENV) or None)
        endpoint = instance.get("Endpoint") or {}
        try:
            con = pg8000.native.Connection(
                user=credentials["username"],
                password=credentials["password"],
                host=endpoint["Address"],
                port=int(endpoint.get("Port", 5432)),
                database=instance.get("DBName") or "postgres",
                ssl_context=context,
                timeout=30,
            )
        except (OSError, pg8000.native.InterfaceError, pg8000.native.DatabaseError, KeyError) as exc:
            raise InfraError(
                f"cannot connect to the {role} database {instance['DBInstanceIdentifier']}: {exc}"
            ) from None
        try:
            return fingerprint(con)
        finally:
            con.close()


def find_primary(rds: Any, project: str, env: str, identifier: str | None = None) -> dict[str, Any]:
    """The environment's primary: `identifier` if given, else `<project>-<env>-db` / `<project>-<env>`,
    else the one instance tagged Project=<project>, Environment=<env> that is not a replica."""
    try:
        if identifier:
            try:
                return dict(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])
            except rds.exceptions.DBInstanceNotFoundFault:
                raise UsageError(f"DB instance {identifier!r} not found") from None
        instances = [
            i for page in rds.get_paginator("describe_db_instances").paginate() for i in page["DBInstances"]
        ]
    except (ClientError, BotoCoreError) as exc:
        raise InfraError(f"cannot list DB instances: {exc}") from None
    primaries = [
        i
        for i in instances
        if not i.get("ReadReplicaSourceDBInstanceIdentifier") and "-verify-" not in i["DBInstanceIdentifier"]
    ]
    for name in (f"{project}-{env}-db", f"{project}-{env}"):
        for instance in primaries:
            if instance["DBInstanceIdentifier"] == name:
                return dict(instance)
    tagged = [
        i
        for i in primaries
        if {t["Key"]: t["Value"] for t in i.get("TagList", [])}.items()
        >= {"Project": project, "Environment": env}.items()
    ]
    if len(tagged) == 1:
        return dict(tagged[0])
    if not tagged:
        raise UsageError(
            f"no DB instance for {env}: none named {project}-{env}-db or tagged Environment={env}"
        )
    raise UsageError(f"several DB instances tagged Environment={env}: pass --instance")


def master_credentials(secrets: Any, instance: dict[str, Any]) -> dict[str, Any]:
    arn = (instance.get("MasterUserSecret") or {}).get("SecretArn")
    if not arn:
        raise InfraError(
            f"{instance['DBInstanceIdentifier']} has no RDS-managed master secret to connect with"
        )
    try:
        value: dict[str, Any] = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
        raise InfraError(
            f"cannot read the master secret of {instance['DBInstanceIdentifier']}: {exc}"
        ) from None
    return value


def temporary_identifier(source: str, now: datetime.datetime) -> str:
    suffix = f"-verify-{now:%Y%m%d%H%M%S}"
    return source[: 63 - len(suffix)].rstrip("-") + suffix  # identifiers: at most 63 characters


def _describe(rds: Any, identifier: str) -> dict[str, Any] | None:
    try:
        return dict(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])
    except rds.exceptions.DBInstanceNotFoundFault:
        return None


def wait_for(
    rds: Any, identifier: str, *, gone: bool, timeout: float, poll: float, progress: Progress
) -> dict[str, Any] | None:
    """Poll until the instance is available (or gone); InfraError after `timeout` seconds."""
    deadline, last = time.monotonic() + timeout, ""
    while True:
        instance = _describe(rds, identifier)
        status = "deleted" if instance is None else str(instance.get("DBInstanceStatus"))
        if status != last:
            progress(f"{identifier}: {status}")
            last = status
        if (gone and instance is None) or (not gone and status == "available"):
            return instance
        if not gone and status in {"failed", "incompatible-restore", "incompatible-parameters"}:
            raise InfraError(f"restore of {identifier} failed: status {status}")
        if time.monotonic() > deadline:
            raise InfraError(f"timed out after {timeout:.0f}s waiting for {identifier} (status {status})")
        time.sleep(poll)


def run_rds_drill(
    target: Target,
    region: str,
    project: str,
    env: str,
    probe: DatabaseProbe,
    *,
    progress: Progress,
    instance_id: str | None = None,
    timeout: float = 3 * 3600,
    poll: float = 30,
) -> VerificationReport:
    rds, secrets = target.client("rds", region), target.client("secretsmanager", region)
    source = find_primary(rds, project, env, instance_id)
    name = source["DBInstanceIdentifier"]
    if not source.get("BackupRetentionPeriod"):
        raise InfraError(
            f"{name} keeps no automated backups (BackupRetentionPeriod 0): nothing to restore from"
        )
    recovery_point = source.get("LatestRestorableTime")
    temporary = temporary_identifier(name, datetime.datetime.now(datetime.UTC))
    subnet_group = (source.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    request: dict[str, Any] = {
        "SourceDBInstanceIdentifier": name,
        "TargetDBInstanceIdentifier": temporary,
        "UseLatestRestorableTime": True,
        "DBInstanceClass": source["DBInstanceClass"],
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in source.get("VpcSecurityGroups", [])],
        "PubliclyAccessible": False,
        "MultiAZ": False,
        "DeletionProtection": False,
        "Tags": [
            {"Key": "Project", "Value": project},
            {"Key": "Environment", "Value": env},
            {"Key": "Purpose", "Value": "backup-verification"},
        ],
    }
    if subnet_group:
        request["DBSubnetGroupName"] = subnet_group
    progress(f"restoring {name} to its latest restorable time ({recovery_point}) as {temporary}")
    begin = time.monotonic()
    try:
        try:
            restored = rds.restore_db_instance_to_point_in_time(**request)["DBInstance"]
            recovery_point = restored.get("LatestRestorableTime") or recovery_point
        except (ClientError, BotoCoreError) as exc:
            raise InfraError(f"RestoreDBInstanceToPointInTime for {name} failed: {exc}") from None
        ready = wait_for(rds, temporary, gone=False, timeout=timeout, poll=poll, progress=progress) or {}
        restore_seconds = time.monotonic() - begin
        credentials = master_credentials(secrets, source)
        progress("fingerprinting the source and the restored copy")
        report = verify(
            METHOD,
            probe.fingerprint("source", source, credentials),
            probe.fingerprint("restored", ready, credentials),
            restore_seconds=restore_seconds,
            recovery_point=recovery_point,
            backup_bytes=int(source.get("AllocatedStorage", 0)) * 2**30 or None,
        )
        report.details.update({"source_instance": name, "temporary_instance": temporary})
        return report
    finally:
        delete_temporary(rds, temporary, timeout=timeout, poll=poll, progress=progress)


def delete_temporary(rds: Any, identifier: str, *, timeout: float, poll: float, progress: Progress) -> None:
    """Delete the temporary instance (never snapshotted, its backups too) and wait until it is gone."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            rds.delete_db_instance(
                DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
            )
            break
        except rds.exceptions.DBInstanceNotFoundFault:
            return  # the restore itself never created it
        except rds.exceptions.InvalidDBInstanceStateFault:
            if time.monotonic() > deadline:  # still creating or modifying: it can be deleted later
                raise InfraError(
                    f"could not delete the temporary instance {identifier}; delete it by hand"
                ) from None
            time.sleep(poll)
        except (ClientError, BotoCoreError) as exc:
            raise InfraError(
                f"could not delete the temporary instance {identifier}: {exc}; delete it by hand"
            ) from None
    progress(f"deleting {identifier}")
    wait_for(rds, identifier, gone=True, timeout=timeout, poll=poll, progress=progress)
