"""The RDS backup drill's API flow on the emulator: restore to a temporary instance, compare, always delete.

moto's endpoints are names, not databases, so the probes fingerprint local PostgreSQL databases
instead (one pair identical, one pair differing); everything else is the real flow against the
emulator server (with the launcher's shims).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.errors import InfraError
from deployment_infra.ops import postgres_local as pgl
from deployment_infra.ops.backup_verify import DatabaseFingerprint, fingerprint
from deployment_infra.ops.rds_drill import run_rds_drill
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

REGION = "af-south-1"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTarget]:
    with own_emulator(Path(tmp_path_factory.mktemp("verify-backup")) / ".infra") as emu:
        yield LocalTarget(emu)


@pytest.fixture(scope="module")
def databases() -> Iterator[pgl.LocalCluster]:
    """source, same (a faithful copy) and changed (one row altered)."""
    cluster = pgl.init_cluster("verify-rds-")
    try:
        cluster.start()
        for name in ("source", "same", "changed"):
            cluster.create_database(name)
            con = cluster.connect(name)
            con.run("CREATE TABLE t (id int PRIMARY KEY, v text)")
            con.run("INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 50) i")
            if name == "changed":
                con.run("UPDATE t SET v = 'tampered' WHERE id = 7")
            con.close()
        yield cluster
    finally:
        pgl.destroy([cluster])


@pytest.fixture(scope="module")
def primary(target: LocalTarget) -> str:
    ec2, rds = target.client("ec2", REGION), target.client("rds", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.91.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_subnet_group(DBSubnetGroupName="ngapp-dev", DBSubnetGroupDescription="d", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier="ngapp-dev-db",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        MasterUsername="ngapp",
        ManageMasterUserPassword=True,
        AllocatedStorage=20,
        BackupRetentionPeriod=7,
        DBSubnetGroupName="ngapp-dev",
        VpcSecurityGroupIds=[sg],
        DeletionProtection=True,
        DBName="app",
    )
    return "ngapp-dev-db"


class LocalProbe:
    """Fingerprints a local database per role, and records the instances RDS has at that moment."""

    def __init__(self, target: LocalTarget, cluster: pgl.LocalCluster, restored_db: str, fail: bool = False):
        self.rds = target.client("rds", REGION)
        self.cluster, self.restored_db, self.fail = cluster, restored_db, fail
        self.seen: list[tuple[str, str, list[str], dict[str, Any]]] = []

    def fingerprint(
        self, role: str, instance: dict[str, Any], credentials: dict[str, Any]
    ) -> DatabaseFingerprint:
        names = [i["DBInstanceIdentifier"] for i in self.rds.describe_db_instances()["DBInstances"]]
        self.seen.append((role, instance["DBInstanceIdentifier"], names, credentials))
        if self.fail and role == "restored":
            raise InfraError("cannot connect to the restored database (simulated)")
        con = self.cluster.connect("source" if role == "source" else self.restored_db)
        try:
            return fingerprint(con)
        finally:
            con.close()


def instances(target: LocalTarget) -> list[str]:
    return [
        i["DBInstanceIdentifier"] for i in target.client("rds", REGION).describe_db_instances()["DBInstances"]
    ]


def drill(target: LocalTarget, probe: LocalProbe) -> Any:
    return run_rds_drill(
        target, REGION, "ngapp", "dev", probe, progress=lambda _m: None, timeout=30, poll=0.2
    )


def test_identical_copy_passes_and_the_temporary_instance_is_removed(
    target: LocalTarget, databases: pgl.LocalCluster, primary: str
) -> None:
    probe = LocalProbe(target, databases, "same")
    report = drill(target, probe)
    assert report.passed, report.differences
    temporary = report.details["temporary_instance"]
    assert temporary.startswith("ngapp-dev-db-verify-")
    # while the comparison ran the temporary instance existed, private and unprotected
    assert [(role, name) for role, name, _, _ in probe.seen] == [("source", primary), ("restored", temporary)]
    assert all(temporary in names for _, _, names, _ in probe.seen)
    assert probe.seen[0][3]["username"] == "ngapp"  # the master secret, read from Secrets Manager
    assert instances(target) == [primary]
    data = report.to_dict()
    assert data["recovery_point"] and data["recovery_point_objective_seconds"] >= 0
    assert data["tables"] == 1 and data["rows"] == 50


def test_differing_copy_fails_and_is_still_removed(
    target: LocalTarget, databases: pgl.LocalCluster, primary: str
) -> None:
    report = drill(target, LocalProbe(target, databases, "changed"))
    assert not report.passed
    assert [d.kind for d in report.differences] == ["checksum"]
    assert instances(target) == [primary]


def test_a_probe_failure_still_removes_the_temporary_instance(
    target: LocalTarget, databases: pgl.LocalCluster, primary: str
) -> None:
    probe = LocalProbe(target, databases, "same", fail=True)
    with pytest.raises(InfraError, match="simulated"):
        drill(target, probe)
    assert any("-verify-" in n for n in probe.seen[-1][2])
    assert instances(target) == [primary]


def test_unknown_instance_is_bad_input(target: LocalTarget, primary: str) -> None:
    from deployment_infra.errors import UsageError

    with pytest.raises(UsageError, match="not found"):
        probe = LocalProbe.__new__(LocalProbe)
        run_rds_drill(target, REGION, "ngapp", "dev", probe, progress=print, instance_id="nope")
