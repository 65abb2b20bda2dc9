"""rds-restore-point-in-time-settings: the gap on bare moto, then closed by the shim (in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_rds_restore import restored_settings

REGION = "af-south-1"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
SHIM = "rds-restore-point-in-time-settings"


@pytest.fixture
def rds() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("rds", region_name=REGION)
        client.create_db_instance(
            DBInstanceIdentifier="ngapp-prod-db",
            Engine="postgres",
            DBInstanceClass="db.t4g.micro",
            MasterUsername="app",
            MasterUserPassword="a-long-password",
            AllocatedStorage=20,
            BackupRetentionPeriod=30,
            DeletionProtection=True,
            PubliclyAccessible=True,
            MultiAZ=True,
        )
        yield client


@pytest.fixture
def shim_applied() -> Iterator[None]:
    from moto.rds.models import RDSBackend

    original = vars(RDSBackend)["restore_db_instance_to_point_in_time"]
    SHIMS[SHIM]()
    try:
        yield
    finally:
        RDSBackend.restore_db_instance_to_point_in_time = original  # type: ignore[method-assign]


def restore(rds: Any) -> dict[str, Any]:
    return dict(
        rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier="ngapp-prod-db",
            TargetDBInstanceIdentifier="ngapp-prod-db-verify-1",
            UseLatestRestorableTime=True,
            PubliclyAccessible=False,
        )["DBInstance"]
    )


def delete(rds: Any) -> None:
    rds.delete_db_instance(
        DBInstanceIdentifier="ngapp-prod-db-verify-1", SkipFinalSnapshot=True, DeleteAutomatedBackups=True
    )


def test_bare_moto_copies_protection_and_ignores_false_settings(rds: Any) -> None:
    restored = restore(rds)
    assert restored["DeletionProtection"] is True
    assert restored["PubliclyAccessible"] is True  # the request said False
    with pytest.raises(ClientError, match="protected"):
        delete(rds)


def test_shim_restores_with_the_requests_settings_and_aws_defaults(rds: Any, shim_applied: None) -> None:
    restored = restore(rds)
    assert (restored["DeletionProtection"], restored["PubliclyAccessible"], restored["MultiAZ"]) == (
        False,
        False,
        False,
    )
    delete(rds)
    identifiers = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    assert identifiers == ["ngapp-prod-db"]
    source = rds.describe_db_instances(DBInstanceIdentifier="ngapp-prod-db")["DBInstances"][0]
    assert source["DeletionProtection"] is True  # the source is untouched


def test_restored_settings_parses_query_strings() -> None:
    assert restored_settings({}) == {"deletion_protection": False, "multi_az": False}
    assert restored_settings({"publicly_accessible": "false", "deletion_protection": "true"}) == {
        "deletion_protection": True,
        "multi_az": False,
        "publicly_accessible": False,
    }


def test_registered_and_documented() -> None:
    assert "deployment_infra.emulator_shims_rds_restore" in DATA_SHIM_MODULES
    assert SHIM in SHIMS
    assert f"| `{SHIM}` |" in DOCS.read_text()
