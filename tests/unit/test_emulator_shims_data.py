"""Data-tier emulator shims (ElastiCache, RDS, Secrets Manager, IAM) against in-process moto.

Each shim gets a pair: the gap shown on bare moto, then closed with the shim applied. Shims are
applied only inside `shims_applied`, which restores moto's classes afterwards, so tests that use
bare moto elsewhere in the session are unaffected.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_elasticache import (
    default_parameter_group,
    full_engine_version,
    region_short,
)
from deployment_infra.emulator_shims_elasticache_lifecycle import merge_log_delivery
from deployment_infra.emulator_shims_rds import new_resource_id, performance_insights, user_parameters
from deployment_infra.emulator_shims_secrets import rotation_requests
from tests.unit.moto_patches import restoring

REGION = "af-south-1"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def _patched_classes() -> list[type]:
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse
    from moto.rds.models import DBInstance, MasterUserSecret, RDSBackend
    from moto.rds.responses import RDSResponse
    from moto.secretsmanager.models import SecretsManagerBackend

    return [
        ElastiCacheBackend,
        ElastiCacheResponse,
        DBInstance,
        MasterUserSecret,
        RDSBackend,
        RDSResponse,
        SecretsManagerBackend,
    ]


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    """Apply the named shims to moto for the duration of the block, then undo them."""
    for module in DATA_SHIM_MODULES:
        import_module(module)
    env = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    try:
        with restoring(_patched_classes()):
            for name in names:
                SHIMS[name]()
            yield
    finally:
        if env is None:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = env


OWN_MODULES = {
    "deployment_infra.emulator_shims_rds",
    "deployment_infra.emulator_shims_elasticache",
    "deployment_infra.emulator_shims_elasticache_lifecycle",
    "deployment_infra.emulator_shims_secrets",
}


def test_data_shims_are_imported_by_apply_all_and_documented() -> None:
    assert set(DATA_SHIM_MODULES) >= OWN_MODULES  # apply_all imports them, so the launcher applies them
    for module in OWN_MODULES:
        import_module(module)
    names = [name for name, func in SHIMS.items() if func.__module__ in OWN_MODULES]
    assert len(names) == 13
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


# -- ElastiCache ---------------------------------------------------------------------------------

ELASTICACHE_SHIMS = (
    "elasticache-cache-parameter-groups",
    "elasticache-replication-group-members",
    "elasticache-replication-group-modify",
    "elasticache-replication-group-delete",
    "elasticache-cache-subnet-group-delete",
    "elasticache-replica-count",
)


def _subnet_group(ec: Any, name: str = "cache") -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("abc")
    ]
    ec.create_cache_subnet_group(
        CacheSubnetGroupName=name, CacheSubnetGroupDescription="d", SubnetIds=subnets
    )


def _replication_group(ec: Any, rg_id: str = "sessions", clusters: int = 2, **extra: Any) -> dict[str, Any]:
    failover = clusters > 1
    settings: dict[str, Any] = {
        "ReplicationGroupDescription": "sessions",
        "Engine": "redis",
        "EngineVersion": "7.1",
        "CacheNodeType": "cache.t4g.micro",
        "NumCacheClusters": clusters,
        "AutomaticFailoverEnabled": failover,
        "MultiAZEnabled": failover,
        "CacheSubnetGroupName": "cache",
        "SecurityGroupIds": ["sg-0123456789abcdef0"],
        "AtRestEncryptionEnabled": True,
        "KmsKeyId": f"arn:aws:kms:{REGION}:123456789012:key/data",
        "TransitEncryptionEnabled": True,
        "TransitEncryptionMode": "required",
        "SnapshotRetentionLimit": 7,
        "SnapshotWindow": "01:00-02:00",
        "PreferredMaintenanceWindow": "sun:03:00-sun:04:00",
        "Tags": [{"Key": "Name", "Value": rg_id}],
    }
    ec.create_replication_group(ReplicationGroupId=rg_id, **(settings | extra))
    return dict(ec.describe_replication_groups(ReplicationGroupId=rg_id)["ReplicationGroups"][0])


def test_bare_moto_lacks_cache_parameter_groups() -> None:
    with mock_aws(), pytest.raises(NotImplementedError):
        client("elasticache").create_cache_parameter_group(
            CacheParameterGroupName="redis", CacheParameterGroupFamily="redis7", Description="d"
        )


def test_cache_parameter_group_lifecycle() -> None:
    with shims_applied(*ELASTICACHE_SHIMS), mock_aws():
        ec = client("elasticache")
        arn = ec.create_cache_parameter_group(
            CacheParameterGroupName="Sessions-Redis7",
            CacheParameterGroupFamily="redis7",
            Description="sessions",
            Tags=[{"Key": "Owner", "Value": "platform"}],
        )["CacheParameterGroup"]["ARN"]
        assert arn == f"arn:aws:elasticache:{REGION}:123456789012:parametergroup:sessions-redis7"
        ec.modify_cache_parameter_group(
            CacheParameterGroupName="sessions-redis7",
            ParameterNameValues=[
                {"ParameterName": "maxmemory-policy", "ParameterValue": "volatile-lru"},
                {"ParameterName": "timeout", "ParameterValue": "300"},
            ],
        )
        user = ec.describe_cache_parameters(CacheParameterGroupName="sessions-redis7", Source="user")
        assert [(p["ParameterName"], p["ParameterValue"], p["Source"]) for p in user["Parameters"]] == [
            ("maxmemory-policy", "volatile-lru", "user"),
            ("timeout", "300", "user"),
        ]
        ec.reset_cache_parameter_group(
            CacheParameterGroupName="sessions-redis7", ParameterNameValues=[{"ParameterName": "timeout"}]
        )
        after = ec.describe_cache_parameters(CacheParameterGroupName="sessions-redis7", Source="user")
        assert [p["ParameterName"] for p in after["Parameters"]] == ["maxmemory-policy"]
        assert ec.list_tags_for_resource(ResourceName=arn)["TagList"] == [
            {"Key": "Owner", "Value": "platform"}
        ]
        group = ec.describe_cache_parameter_groups(CacheParameterGroupName="sessions-redis7")
        assert group["CacheParameterGroups"][0]["CacheParameterGroupFamily"] == "redis7"
        default = ec.describe_cache_parameter_groups(CacheParameterGroupName="default.redis7")
        assert default["CacheParameterGroups"][0]["CacheParameterGroupName"] == "default.redis7"

        _subnet_group(ec)
        _replication_group(ec, CacheParameterGroupName="sessions-redis7")
        with pytest.raises(ClientError, match="InvalidCacheParameterGroupState"):
            ec.delete_cache_parameter_group(CacheParameterGroupName="sessions-redis7")
        ec.delete_replication_group(ReplicationGroupId="sessions")
        ec.delete_cache_parameter_group(CacheParameterGroupName="sessions-redis7")
        with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
            ec.describe_cache_parameter_groups(CacheParameterGroupName="sessions-redis7")
        with pytest.raises(ClientError, match="InvalidParameterValue"):
            ec.create_cache_parameter_group(
                CacheParameterGroupName="x", CacheParameterGroupFamily="redis99", Description="d"
            )


def test_bare_moto_creates_no_member_clusters() -> None:
    with mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        rg = _replication_group(ec)
        assert rg["MemberClusters"] == ["sessions-001"]  # NumCacheClusters=2 ignored
        assert rg["NodeGroups"][0]["NodeGroupMembers"][0]["PreferredAvailabilityZone"] == "us-east-1a"
        with pytest.raises(ClientError, match="CacheClusterNotFound"):
            ec.describe_cache_clusters(CacheClusterId="sessions-001")


def test_replication_group_members_are_cache_clusters() -> None:
    with shims_applied(*ELASTICACHE_SHIMS), mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        rg = _replication_group(ec)
        assert rg["MemberClusters"] == ["sessions-001", "sessions-002"]
        node_group = rg["NodeGroups"][0]
        assert node_group["ReaderEndpoint"]["Address"].startswith("replica.sessions.")
        assert ".afs1.cache.amazonaws.com" in node_group["PrimaryEndpoint"]["Address"]
        members = {m["CacheClusterId"]: m for m in node_group["NodeGroupMembers"]}
        assert members["sessions-001"]["CurrentRole"] == "primary"
        clusters = ec.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
        assert [c["CacheClusterId"] for c in clusters] == ["sessions-001", "sessions-002"]
        assert [c["PreferredAvailabilityZone"] for c in clusters] == [f"{REGION}a", f"{REGION}b"]
        first = clusters[0]
        assert first["ReplicationGroupId"] == "sessions"
        assert first["CacheClusterStatus"] == "available"
        assert first["EngineVersion"] == "7.1.0"
        assert first["AtRestEncryptionEnabled"] is True
        assert first["TransitEncryptionMode"] == "required"
        assert first["CacheParameterGroup"]["CacheParameterGroupName"] == "default.redis7"
        assert first["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]
        assert first["AutoMinorVersionUpgrade"] is True
        assert first["CacheNodes"][0]["Endpoint"]["Port"] == 6379

        single = _replication_group(ec, "single", clusters=1)
        assert single["MemberClusters"] == ["single-001"]
        assert single["AutomaticFailover"] == "disabled"
        assert ec.describe_cache_clusters(CacheClusterId="single-001")["CacheClusters"][0][
            "ReplicationGroupId"
        ]

        with pytest.raises(ClientError, match="CacheParameterGroupNotFound"):
            _replication_group(ec, "orphan", CacheParameterGroupName="missing")


def test_bare_moto_ignores_auth_token_rotation() -> None:
    with mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(ec)
        rg = ec.modify_replication_group(
            ReplicationGroupId="sessions",
            AuthToken="n" * 32,
            AuthTokenUpdateStrategy="ROTATE",
            ApplyImmediately=True,
            SnapshotWindow="04:00-05:00",
        )["ReplicationGroup"]
        assert rg["AuthTokenEnabled"] is False
        assert rg["SnapshotWindow"] == "01:00-02:00"


def test_replication_group_modify_applies_every_setting() -> None:
    with shims_applied(*ELASTICACHE_SHIMS), mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(
            ec,
            LogDeliveryConfigurations=[
                {
                    "LogType": "slow-log",
                    "DestinationType": "cloudwatch-logs",
                    "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": "/redis/slow"}},
                    "LogFormat": "json",
                }
            ],
        )
        rg = ec.modify_replication_group(
            ReplicationGroupId="sessions",
            AuthToken="n" * 32,
            AuthTokenUpdateStrategy="ROTATE",
            ApplyImmediately=True,
        )["ReplicationGroup"]
        assert rg["AuthTokenEnabled"] is True
        assert rg["AuthTokenLastModifiedDate"]
        ec.modify_replication_group(
            ReplicationGroupId="sessions",
            SnapshotWindow="04:00-05:00",
            PreferredMaintenanceWindow="mon:05:00-mon:06:00",
            SecurityGroupIds=["sg-0fedcba9876543210"],
            LogDeliveryConfigurations=[{"LogType": "slow-log", "Enabled": False}],
            ApplyImmediately=True,
        )
        rg = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
        assert rg["SnapshotWindow"] == "04:00-05:00"
        assert rg["LogDeliveryConfigurations"] == []
        member = ec.describe_cache_clusters(CacheClusterId="sessions-002")["CacheClusters"][0]
        assert member["AuthTokenEnabled"] is True
        assert member["PreferredMaintenanceWindow"] == "mon:05:00-mon:06:00"
        assert member["SecurityGroups"][0]["SecurityGroupId"] == "sg-0fedcba9876543210"
        with pytest.raises(ClientError, match="InvalidParameterValue"):
            ec.modify_replication_group(
                ReplicationGroupId="sessions", AuthToken="short", ApplyImmediately=True
            )
        _replication_group(ec, "plain", TransitEncryptionEnabled=False, TransitEncryptionMode="preferred")
        with pytest.raises(ClientError, match="InvalidParameterCombination"):
            ec.modify_replication_group(ReplicationGroupId="plain", AuthToken="n" * 32, ApplyImmediately=True)


def test_bare_moto_never_finishes_deleting_a_replication_group() -> None:
    with mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(ec)
        ec.delete_replication_group(ReplicationGroupId="sessions")
        rg = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
        assert rg["Status"] == "deleting"  # and stays so: the provider's delete waiter never ends


def test_replication_group_delete_removes_group_and_members() -> None:
    with shims_applied(*ELASTICACHE_SHIMS), mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(ec)
        deleted = ec.delete_replication_group(ReplicationGroupId="sessions", FinalSnapshotIdentifier="final")
        assert deleted["ReplicationGroup"]["Status"] == "deleting"
        with pytest.raises(ClientError, match="ReplicationGroupNotFoundFault"):
            ec.describe_replication_groups(ReplicationGroupId="sessions")
        assert ec.describe_cache_clusters()["CacheClusters"] == []
        assert ec.describe_snapshots(SnapshotName="final")["Snapshots"][0]["ReplicationGroupId"] == "sessions"
        _replication_group(ec)  # the id is free again


def test_bare_moto_cannot_delete_cache_subnet_groups() -> None:
    with mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        with pytest.raises(NotImplementedError):
            ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")


def test_cache_subnet_group_delete_and_modify() -> None:
    with shims_applied(*ELASTICACHE_SHIMS), mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(ec)
        with pytest.raises(ClientError, match="CacheSubnetGroupInUse"):
            ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
        ec.delete_replication_group(ReplicationGroupId="sessions")
        modified = ec.modify_cache_subnet_group(
            CacheSubnetGroupName="cache", CacheSubnetGroupDescription="new"
        )
        assert modified["CacheSubnetGroup"]["CacheSubnetGroupDescription"] == "new"
        ec.delete_cache_subnet_group(CacheSubnetGroupName="cache")
        assert ec.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
        _subnet_group(ec)  # the name is free again


def test_bare_moto_cannot_resize_a_replication_group() -> None:
    with mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(ec, "single", clusters=1)
        with pytest.raises(NotImplementedError):
            ec.increase_replica_count(ReplicationGroupId="single", NewReplicaCount=1, ApplyImmediately=True)


def test_replica_count_grows_and_shrinks() -> None:
    with shims_applied(*ELASTICACHE_SHIMS), mock_aws():
        ec = client("elasticache")
        _subnet_group(ec)
        _replication_group(ec, "single", clusters=1)
        rg = ec.increase_replica_count(ReplicationGroupId="single", NewReplicaCount=2, ApplyImmediately=True)
        assert rg["ReplicationGroup"]["MemberClusters"] == ["single-001", "single-002", "single-003"]
        clusters = ec.describe_cache_clusters()["CacheClusters"]
        assert [c["PreferredAvailabilityZone"] for c in clusters] == [
            f"{REGION}a",
            f"{REGION}b",
            f"{REGION}c",
        ]
        ec.decrease_replica_count(
            ReplicationGroupId="single", ReplicasToRemove=["single-002"], ApplyImmediately=True
        )
        rg = ec.describe_replication_groups(ReplicationGroupId="single")["ReplicationGroups"][0]
        assert rg["MemberClusters"] == ["single-001", "single-003"]
        assert [c["CacheClusterId"] for c in ec.describe_cache_clusters()["CacheClusters"]] == rg[
            "MemberClusters"
        ]
        with pytest.raises(ClientError, match="InvalidParameterValue"):
            ec.decrease_replica_count(
                ReplicationGroupId="single", ReplicasToRemove=["single-001"], ApplyImmediately=True
            )
        _replication_group(ec, "pair")
        with pytest.raises(ClientError, match="InvalidParameterCombination"):  # failover needs a replica
            ec.decrease_replica_count(ReplicationGroupId="pair", NewReplicaCount=0, ApplyImmediately=True)


@pytest.mark.parametrize(
    ("version", "full", "default_group"),
    [
        ("7.1", "7.1.0", "default.redis7"),
        ("7.0.7", "7.0.7", "default.redis7"),
        ("6.x", "6.x", "default.redis6.x"),
    ],
)
def test_engine_versions(version: str, full: str, default_group: str) -> None:
    assert full_engine_version(version) == full
    assert default_parameter_group("redis", version) == default_group


def test_region_short_names() -> None:
    assert region_short("af-south-1") == "afs1"
    assert region_short("us-east-1") == "use1"


def test_log_delivery_merge_replaces_and_removes_by_type() -> None:
    slow = {"LogType": "slow-log", "DestinationType": "cloudwatch-logs", "DestinationDetails": {"x": 1}}
    engine = {**slow, "LogType": "engine-log"}
    merged = merge_log_delivery([slow], [engine, {"LogType": "slow-log"}])
    assert [(c["LogType"], c["Status"]) for c in merged] == [("engine-log", "active")]


# -- RDS -------------------------------------------------------------------------------------------

RDS_SHIMS = (
    "rds-instance-resource-ids",
    "rds-performance-insights",
    "rds-read-replica-copy",
    "rds-db-parameters-source",
    "rds-master-user-secret-content",
)
KMS_ARN = f"arn:aws:kms:{REGION}:123456789012:key/11111111-2222-3333-4444-555555555555"


def _primary(rds: Any, **extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "DBInstanceIdentifier": "orders",
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "DBInstanceClass": "db.t4g.medium",
        "AllocatedStorage": 20,
        "MaxAllocatedStorage": 100,
        "StorageType": "gp3",
        "MasterUsername": "orders_admin",
        "ManageMasterUserPassword": True,
        "MultiAZ": True,
        "BackupRetentionPeriod": 30,
        "DeletionProtection": True,
        "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
    }
    return dict(rds.create_db_instance(**(settings | extra))["DBInstance"])


def _instance(rds: Any, identifier: str) -> dict[str, Any]:
    return dict(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0])


def test_bare_moto_gives_every_instance_the_same_resource_id() -> None:
    with mock_aws():
        rds = client("rds")
        _primary(rds)
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders"
        )
        assert _instance(rds, "orders")["DbiResourceId"] == _instance(rds, "orders-replica")["DbiResourceId"]


def test_each_instance_has_its_own_resource_id() -> None:
    with shims_applied(*RDS_SHIMS), mock_aws():
        rds = client("rds")
        _primary(rds)
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders"
        )
        ids = {_instance(rds, i)["DbiResourceId"] for i in ("orders", "orders-replica")}
        assert len(ids) == 2
        for resource_id in ids:
            found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])
            assert len(found["DBInstances"]) == 1
    assert new_resource_id().startswith("db-") and len(new_resource_id()) == 29


def test_bare_moto_replica_shares_its_sources_secret() -> None:
    with mock_aws():
        rds, sm = client("rds"), client("secretsmanager")
        secret_arn = _primary(rds)["MasterUserSecret"]["SecretArn"]
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders"
        )
        replica = _instance(rds, "orders-replica")
        assert replica["MasterUserSecret"]["SecretArn"] == secret_arn
        assert replica["DeletionProtection"] is True  # inherited: AWS's replicas start unprotected
        rds.modify_db_instance(DBInstanceIdentifier="orders-replica", DeletionProtection=False)
        rds.delete_db_instance(DBInstanceIdentifier="orders-replica", SkipFinalSnapshot=True)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            sm.describe_secret(SecretId=secret_arn)  # the source's secret went with the replica


def test_read_replica_is_its_own_instance() -> None:
    with shims_applied(*RDS_SHIMS), mock_aws():
        rds, sm = client("rds"), client("secretsmanager")
        primary = _primary(rds, Tags=[{"Key": "Name", "Value": "orders"}])
        rds.create_db_instance_read_replica(
            DBInstanceIdentifier="orders-replica",
            SourceDBInstanceIdentifier="orders",
            EnableCloudwatchLogsExports=["postgresql"],
        )
        replica = _instance(rds, "orders-replica")
        assert "MasterUserSecret" not in replica
        assert replica["ReadReplicaSourceDBInstanceIdentifier"] == "orders"
        assert replica["MultiAZ"] is False
        assert replica["DeletionProtection"] is False
        assert replica["BackupRetentionPeriod"] == 0
        assert replica["EnabledCloudwatchLogsExports"] == ["postgresql"]
        assert replica["TagList"] == []
        assert _instance(rds, "orders")["EnabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
        with pytest.raises(ClientError, match="DBInstanceAlreadyExists"):
            rds.create_db_instance_read_replica(
                DBInstanceIdentifier="orders-replica", SourceDBInstanceIdentifier="orders"
            )
        rds.delete_db_instance(DBInstanceIdentifier="orders-replica", SkipFinalSnapshot=True)
        assert sm.describe_secret(SecretId=primary["MasterUserSecret"]["SecretArn"])["Name"].startswith(
            "rds!db-"
        )
        assert _instance(rds, "orders")["ReadReplicaDBInstanceIdentifiers"] == []


def test_bare_moto_drops_performance_insights() -> None:
    with mock_aws():
        rds = client("rds")
        _primary(rds, EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=KMS_ARN)
        assert "PerformanceInsightsEnabled" not in _instance(rds, "orders")


def test_performance_insights_round_trip() -> None:
    with shims_applied(*RDS_SHIMS), mock_aws():
        rds = client("rds")
        _primary(
            rds,
            EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=KMS_ARN,
            PerformanceInsightsRetentionPeriod=7,
        )
        db = _instance(rds, "orders")
        assert (db["PerformanceInsightsEnabled"], db["PerformanceInsightsKMSKeyId"]) == (True, KMS_ARN)
        assert db["PerformanceInsightsRetentionPeriod"] == 7
        rds.modify_db_instance(
            DBInstanceIdentifier="orders", PerformanceInsightsRetentionPeriod=31, ApplyImmediately=True
        )
        assert _instance(rds, "orders")["PerformanceInsightsRetentionPeriod"] == 31
        rds.modify_db_instance(
            DBInstanceIdentifier="orders", EnablePerformanceInsights=False, ApplyImmediately=True
        )
        db = _instance(rds, "orders")
        assert db["PerformanceInsightsEnabled"] is False
        assert "PerformanceInsightsRetentionPeriod" not in db


def test_performance_insights_defaults() -> None:
    assert performance_insights({"enable_performance_insights": True}) == {
        "performance_insights_enabled": True,
        "performance_insights_retention_period": 7,
    }
    assert performance_insights({})["performance_insights_enabled"] is False


PARAMETERS = [
    {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"},
    {"ParameterName": "log_min_duration_statement", "ParameterValue": "1000", "ApplyMethod": "immediate"},
]


def _parameter_group(rds: Any) -> None:
    rds.create_db_parameter_group(
        DBParameterGroupName="orders-pg16", DBParameterGroupFamily="postgres16", Description="orders"
    )
    rds.modify_db_parameter_group(DBParameterGroupName="orders-pg16", Parameters=PARAMETERS)


def test_bare_moto_returns_parameters_without_source() -> None:
    with mock_aws():
        rds = client("rds")
        _parameter_group(rds)
        parameters = rds.describe_db_parameters(DBParameterGroupName="orders-pg16")["Parameters"]
        assert parameters and all("Source" not in p for p in parameters)
        with pytest.raises(NotImplementedError):  # no ResetDBParameterGroup
            rds.reset_db_parameter_group(DBParameterGroupName="orders-pg16", ResetAllParameters=True)


def test_db_parameters_report_user_source_and_reset() -> None:
    with shims_applied(*RDS_SHIMS), mock_aws():
        rds = client("rds")
        _parameter_group(rds)
        parameters = rds.describe_db_parameters(DBParameterGroupName="orders-pg16", Source="user")[
            "Parameters"
        ]
        assert sorted((p["ParameterName"], p["Source"]) for p in parameters) == [
            ("log_min_duration_statement", "user"),
            ("rds.force_ssl", "user"),
        ]
        assert (
            rds.describe_db_parameters(DBParameterGroupName="orders-pg16", Source="system")["Parameters"]
            == []
        )
        rds.reset_db_parameter_group(
            DBParameterGroupName="orders-pg16",
            Parameters=[{"ParameterName": "rds.force_ssl", "ApplyMethod": "pending-reboot"}],
        )
        left = rds.describe_db_parameters(DBParameterGroupName="orders-pg16")["Parameters"]
        assert [p["ParameterName"] for p in left] == ["log_min_duration_statement"]
        with pytest.raises(ClientError, match="DBParameterGroupNotFound"):
            rds.describe_db_parameters(DBParameterGroupName="missing")
    assert user_parameters({}, "engine-default") == []


def test_bare_moto_master_user_secret_has_a_fixed_username() -> None:
    with mock_aws():
        rds, sm = client("rds"), client("secretsmanager")
        arn = _primary(rds)["MasterUserSecret"]["SecretArn"]
        assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])["username"] == "admin"


def test_master_user_secret_holds_the_master_username() -> None:
    with shims_applied(*RDS_SHIMS), mock_aws():
        rds, sm = client("rds"), client("secretsmanager")
        db = _primary(rds, MasterUserSecretKmsKeyId=client("kms").create_key()["KeyMetadata"]["Arn"])
        secret = json.loads(sm.get_secret_value(SecretId=db["MasterUserSecret"]["SecretArn"])["SecretString"])
        assert secret["username"] == "orders_admin"
        assert secret["password"] != "P@55w0rd!" and len(secret["password"]) >= 24
        tags = sm.describe_secret(SecretId=db["MasterUserSecret"]["SecretArn"])["Tags"]
        assert {"Key": "aws:rds:primaryDBInstanceArn", "Value": db["DBInstanceArn"]} in tags


# -- IAM -------------------------------------------------------------------------------------------

MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def test_bare_moto_lacks_aws_managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOTO_IAM_LOAD_MANAGED_POLICIES", raising=False)
    with mock_aws(), pytest.raises(ClientError, match="NoSuchEntity"):
        client("iam").get_policy(PolicyArn=MONITORING_POLICY)


def test_aws_managed_policies_exist() -> None:
    with shims_applied("iam-aws-managed-policies"), mock_aws():
        assert client("iam").get_policy(PolicyArn=MONITORING_POLICY)["Policy"]["PolicyName"] == (
            "AmazonRDSEnhancedMonitoringRole"
        )


# -- Secrets Manager -------------------------------------------------------------------------------


def _secret_with_rotator(function_name: str = "rotator") -> tuple[Any, str]:
    iam, lam, sm = client("iam"), client("lambda"), client("secretsmanager")
    role = iam.create_role(
        RoleName="rotator",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    function_arn = lam.create_function(
        FunctionName=function_name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]
    sm.create_secret(Name="redis-auth", SecretString=json.dumps({"token": "initial-token-0123456789"}))
    return sm, function_arn


def test_bare_moto_fakes_a_rotation_that_breaks_the_secret() -> None:
    with mock_aws():
        sm, function_arn = _secret_with_rotator()
        sm.rotate_secret(
            SecretId="redis-auth",
            RotationLambdaARN=function_arn,
            RotationRules={"AutomaticallyAfterDays": 30},
            RotateImmediately=True,
        )
        assert sm.describe_secret(SecretId="redis-auth")["LastRotatedDate"]  # claims it rotated
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            sm.get_secret_value(SecretId="redis-auth")  # and the current value is gone


def test_rotation_is_recorded_not_executed() -> None:
    with shims_applied("secretsmanager-rotation-not-executed"), mock_aws():
        sm, function_arn = _secret_with_rotator()
        answer = sm.rotate_secret(
            SecretId="redis-auth",
            ClientRequestToken="a" * 32 + "-token",
            RotationLambdaARN=function_arn,
            RotationRules={"AutomaticallyAfterDays": 30},
            RotateImmediately=True,
        )
        assert answer["VersionId"] == "a" * 32 + "-token"
        described = sm.describe_secret(SecretId="redis-auth")
        assert described["RotationEnabled"] is True
        assert described["RotationLambdaARN"] == function_arn
        assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
        assert described["NextRotationDate"]
        assert "LastRotatedDate" not in described  # nothing ran
        assert [stages for stages in described["VersionIdsToStages"].values()] == [["AWSCURRENT"]]
        value = json.loads(sm.get_secret_value(SecretId="redis-auth")["SecretString"])
        assert value == {"token": "initial-token-0123456789"}

        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends["123456789012"][REGION].secrets["redis-auth"]
        [request] = rotation_requests(secret)
        assert (request.client_request_token, request.rotate_immediately) == ("a" * 32 + "-token", True)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            sm.rotate_secret(
                SecretId="redis-auth", RotationLambdaARN=function_arn.replace("rotator", "missing")
            )
