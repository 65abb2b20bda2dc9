"""Data-tier shims seen through a real emulator server (the launcher applies them).

The gaps themselves are shown on bare moto in tests/unit/test_emulator_shims_data.py.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

REGION = "af-south-1"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("data-shims")) / ".infra") as emu:
        yield emu


def _client(emulator: Emulator, service: str) -> Any:
    return LocalTarget(emulator).client(service, REGION)


def _subnets(emulator: Emulator, cidr_prefix: str) -> list[str]:
    ec2 = _client(emulator, "ec2")
    vpc = ec2.create_vpc(CidrBlock=f"{cidr_prefix}.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr_prefix}.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("abc")
    ]


def test_elasticache_parameter_group_replication_group_and_subnet_group(emulator: Emulator) -> None:
    ec = _client(emulator, "elasticache")
    ec.create_cache_subnet_group(
        CacheSubnetGroupName="sessions",
        CacheSubnetGroupDescription="d",
        SubnetIds=_subnets(emulator, "10.71"),
    )
    ec.create_cache_parameter_group(
        CacheParameterGroupName="sessions-redis7", CacheParameterGroupFamily="redis7", Description="sessions"
    )
    ec.modify_cache_parameter_group(
        CacheParameterGroupName="sessions-redis7",
        ParameterNameValues=[{"ParameterName": "maxmemory-policy", "ParameterValue": "volatile-lru"}],
    )
    user = ec.describe_cache_parameters(CacheParameterGroupName="sessions-redis7", Source="user")[
        "Parameters"
    ]
    assert [(p["ParameterName"], p["ParameterValue"]) for p in user] == [("maxmemory-policy", "volatile-lru")]

    ec.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="sessions",
        Engine="redis",
        EngineVersion="7.1",
        CacheNodeType="cache.t4g.micro",
        NumCacheClusters=2,
        AutomaticFailoverEnabled=True,
        MultiAZEnabled=True,
        CacheParameterGroupName="sessions-redis7",
        CacheSubnetGroupName="sessions",
        AtRestEncryptionEnabled=True,
        TransitEncryptionEnabled=True,
        TransitEncryptionMode="required",
    )
    rg = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
    assert rg["MemberClusters"] == ["sessions-001", "sessions-002"]
    for member, az in zip(rg["MemberClusters"], ("a", "b"), strict=True):
        cluster = ec.describe_cache_clusters(CacheClusterId=member, ShowCacheNodeInfo=True)["CacheClusters"][
            0
        ]
        assert cluster["ReplicationGroupId"] == "sessions"
        assert cluster["CacheClusterStatus"] == "available"
        assert cluster["PreferredAvailabilityZone"] == f"{REGION}{az}"
        assert cluster["CacheParameterGroup"]["CacheParameterGroupName"] == "sessions-redis7"

    ec.modify_replication_group(
        ReplicationGroupId="sessions",
        AuthToken="t" * 32,
        AuthTokenUpdateStrategy="ROTATE",
        ApplyImmediately=True,
    )
    rg = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
    assert rg["AuthTokenEnabled"] is True
    assert rg["AuthTokenLastModifiedDate"]

    ec.delete_replication_group(ReplicationGroupId="sessions")
    with pytest.raises(ClientError, match="ReplicationGroupNotFoundFault"):
        ec.describe_replication_groups(ReplicationGroupId="sessions")
    with pytest.raises(ClientError, match="CacheClusterNotFound"):
        ec.describe_cache_clusters(CacheClusterId="sessions-001")
    ec.delete_cache_parameter_group(CacheParameterGroupName="sessions-redis7")
    ec.delete_cache_subnet_group(CacheSubnetGroupName="sessions")
    with pytest.raises(ClientError, match="CacheSubnetGroupNotFoundFault"):
        ec.describe_cache_subnet_groups(CacheSubnetGroupName="sessions")


def test_rds_replica_resource_id_and_performance_insights(emulator: Emulator) -> None:
    rds = _client(emulator, "rds")
    key = _client(emulator, "kms").create_key()["KeyMetadata"]["Arn"]
    rds.create_db_parameter_group(
        DBParameterGroupName="orders-pg16", DBParameterGroupFamily="postgres16", Description="orders"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="orders-pg16",
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}
        ],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        Engine="postgres",
        EngineVersion="16.4",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="orders_admin",
        ManageMasterUserPassword=True,
        MasterUserSecretKmsKeyId=key,
        DBParameterGroupName="orders-pg16",
        EnablePerformanceInsights=True,
        PerformanceInsightsKMSKeyId=key,
        PerformanceInsightsRetentionPeriod=7,
    )
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier="orders-replica",
        SourceDBInstanceIdentifier="orders",
        EnablePerformanceInsights=True,
        PerformanceInsightsKMSKeyId=key,
    )
    primary = rds.describe_db_instances(DBInstanceIdentifier="orders")["DBInstances"][0]
    replica = rds.describe_db_instances(DBInstanceIdentifier="orders-replica")["DBInstances"][0]
    assert primary["DbiResourceId"] != replica["DbiResourceId"]
    by_id = rds.describe_db_instances(
        Filters=[{"Name": "dbi-resource-id", "Values": [replica["DbiResourceId"]]}]
    )
    assert [d["DBInstanceIdentifier"] for d in by_id["DBInstances"]] == ["orders-replica"]
    for db in (primary, replica):
        assert db["PerformanceInsightsEnabled"] is True
        assert db["PerformanceInsightsKMSKeyId"] == key
        assert db["PerformanceInsightsRetentionPeriod"] == 7
    assert "MasterUserSecret" not in replica
    parameters = rds.describe_db_parameters(DBParameterGroupName="orders-pg16", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["Source"]) for p in parameters] == [("rds.force_ssl", "user")]

    secret_arn = primary["MasterUserSecret"]["SecretArn"]
    rds.delete_db_instance(DBInstanceIdentifier="orders-replica", SkipFinalSnapshot=True)
    secret = json.loads(
        _client(emulator, "secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"]
    )
    assert secret["username"] == "orders_admin"  # the source's secret outlives its replica
    rds.delete_db_instance(DBInstanceIdentifier="orders", FinalDBSnapshotIdentifier="orders-final")
    assert rds.describe_db_snapshots(DBSnapshotIdentifier="orders-final")["DBSnapshots"][0]["Status"]


def test_rotation_with_a_lambda_is_recorded_and_the_secret_stays_readable(emulator: Emulator) -> None:
    iam, lam, sm = (_client(emulator, s) for s in ("iam", "lambda", "secretsmanager"))
    role = iam.create_role(
        RoleName="data-shims-rotator",
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
    iam.attach_role_policy(
        RoleName="data-shims-rotator",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
    )
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    function_arn = lam.create_function(
        FunctionName="data-shims-rotator",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )["FunctionArn"]
    sm.create_secret(Name="data-shims/redis-auth", SecretString='{"token": "initial"}')
    sm.rotate_secret(
        SecretId="data-shims/redis-auth",
        RotationLambdaARN=function_arn,
        RotationRules={"AutomaticallyAfterDays": 30},
        RotateImmediately=True,
    )
    described = sm.describe_secret(SecretId="data-shims/redis-auth")
    assert (described["RotationEnabled"], described["RotationLambdaARN"]) == (True, function_arn)
    assert "LastRotatedDate" not in described
    assert sm.get_secret_value(SecretId="data-shims/redis-auth")["SecretString"] == '{"token": "initial"}'
