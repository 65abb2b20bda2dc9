"""AWS Backup shims seen through a real emulator server (the launcher applies them).

The gaps themselves are shown on bare moto in tests/unit/test_emulator_shims_backup.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

REGION = "af-south-1"
ROLE = "arn:aws:iam::123456789012:role/backup"


@pytest.fixture(scope="module")
def backup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with own_emulator(Path(tmp_path_factory.mktemp("backup-shims")) / ".infra") as emu:
        client = LocalTarget(emu).client("backup", REGION)
        # the provider (aws-sdk-go-v2) sends ListTags without boto3's trailing slash
        client.meta.events.register("before-sign.backup.ListTags", _strip_trailing_slash)
        yield client


def _strip_trailing_slash(request: Any, **_: Any) -> None:
    request.url = request.url.rstrip("/")


def test_tags_selections_notifications_recovery_points_and_plan_reuse(backup: Any) -> None:
    vault = backup.create_backup_vault(
        BackupVaultName="orders", BackupVaultTags={"DataClassification": "personal"}
    )
    rule = {"RuleName": "daily", "TargetBackupVaultName": "orders", "Lifecycle": {"DeleteAfterDays": 30}}
    plan = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "orders", "Rules": [rule]}, BackupPlanTags={"Owner": "platform"}
    )
    assert backup.list_tags(ResourceArn=vault["BackupVaultArn"])["Tags"] == {"DataClassification": "personal"}
    assert backup.list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"] == {"Owner": "platform"}

    tags = [{"ConditionType": "STRINGEQUALS", "ConditionKey": "BackupPlan", "ConditionValue": "orders"}]
    plan_id = plan["BackupPlanId"]
    selection_id = backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={"SelectionName": "tagged", "IamRoleArn": ROLE, "ListOfTags": tags},
    )["SelectionId"]
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)["BackupSelection"]
    assert got["ListOfTags"] == tags
    assert [
        s["SelectionId"] for s in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
    ] == [selection_id]

    topic = "arn:aws:sns:af-south-1:123456789012:backup-events"
    backup.put_backup_vault_notifications(
        BackupVaultName="orders", SNSTopicArn=topic, BackupVaultEvents=["COPY_JOB_FAILED"]
    )
    assert backup.get_backup_vault_notifications(BackupVaultName="orders")["SNSTopicArn"] == topic

    point = backup.start_backup_job(
        BackupVaultName="orders", ResourceArn="arn:aws:rds:af-south-1:123456789012:db:orders", IamRoleArn=ROLE
    )["RecoveryPointArn"]
    with pytest.raises(ClientError, match="contains recovery points"):
        backup.delete_backup_vault(BackupVaultName="orders")
    listed = backup.list_recovery_points_by_backup_vault(BackupVaultName="orders")["RecoveryPoints"]
    assert [p["RecoveryPointArn"] for p in listed] == [point]
    backup.delete_recovery_point(BackupVaultName="orders", RecoveryPointArn=point)
    backup.delete_backup_vault_notifications(BackupVaultName="orders")
    backup.delete_backup_vault(BackupVaultName="orders")

    with pytest.raises(ClientError, match="InvalidRequest"):
        backup.delete_backup_plan(BackupPlanId=plan_id)
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
    backup.delete_backup_plan(BackupPlanId=plan_id)
    again = backup.create_backup_plan(BackupPlan={"BackupPlanName": "orders", "Rules": [rule]})[
        "BackupPlanId"
    ]
    updated = backup.update_backup_plan(
        BackupPlanId=again,
        BackupPlan={"BackupPlanName": "orders", "Rules": [{**rule, "Lifecycle": {"DeleteAfterDays": 35}}]},
    )
    rules = backup.get_backup_plan(BackupPlanId=again, VersionId=updated["VersionId"])["BackupPlan"]["Rules"]
    assert rules[0]["Lifecycle"] == {"DeleteAfterDays": 35}
