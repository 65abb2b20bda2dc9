"""AWS Backup emulator shims against in-process moto: each gap on bare moto, then closed by its shim.

Shims are applied only inside `shims_applied`, which restores moto's classes and backup routes
afterwards, so tests that use bare moto elsewhere in the session are unaffected.
"""

from __future__ import annotations

import json
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
from deployment_infra.emulator_shims_backup import arn_from_tags_path, normalized_selection
from tests.unit.moto_patches import restoring

REGION = "af-south-1"
MODULE = "deployment_infra.emulator_shims_backup"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
ROLE = "arn:aws:iam::123456789012:role/backup"
RULE = {"RuleName": "daily", "TargetBackupVaultName": "vault", "Lifecycle": {"DeleteAfterDays": 30}}


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    """Apply the named backup shims for the duration of the block, then undo them."""
    from moto.backup import urls
    from moto.backup.models import BackupBackend, Vault
    from moto.backup.responses import BackupResponse

    import_module(MODULE)
    with restoring([BackupBackend, BackupResponse, Vault], [urls.url_paths]):
        for name in names:
            SHIMS[name]()
        yield


def backup() -> Any:
    return boto3.client("backup", region_name=REGION)


def _plan(client: Any, name: str = "plan") -> str:
    return str(
        client.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [RULE]})["BackupPlanId"]
    )


SELECTION = {
    "SelectionName": "tagged",
    "IamRoleArn": ROLE,
    "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "BackupPlan", "ConditionValue": "x"}],
}


def test_backup_shims_are_registered_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES
    import_module(MODULE)
    names = [name for name, func in SHIMS.items() if func.__module__ == MODULE]
    assert sorted(names) == sorted(
        [
            "backup-list-tags-arn",
            "backup-selections",
            "backup-vault-notifications",
            "backup-recovery-points",
            "backup-plan-lifecycle",
        ]
    )
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


# -- backup-list-tags-arn ---------------------------------------------------------------------


def test_arn_from_tags_path_with_and_without_slash() -> None:
    arn = "arn:aws:backup:af-south-1:123456789012:backup-vault:v"
    for path in (
        f"/tags/{arn}",
        f"/tags/{arn}/",
        "/tags/arn%3Aaws%3Abackup%3Aaf-south-1%3A123456789012%3Abackup-vault%3Av",
    ):
        assert arn_from_tags_path(path) == arn


def _strip_trailing_slash(request: Any, **_: Any) -> None:
    request.url = request.url.rstrip("/")


@pytest.mark.parametrize("shimmed", [False, True])
def test_list_tags_of_a_vault_and_a_plan(shimmed: bool) -> None:
    with shims_applied(*(["backup-list-tags-arn"] if shimmed else [])), mock_aws():
        client = backup()
        # the provider (aws-sdk-go-v2) sends ListTags without boto3's trailing slash
        client.meta.events.register("before-sign.backup.ListTags", _strip_trailing_slash)
        vault = client.create_backup_vault(BackupVaultName="vault", BackupVaultTags={"Owner": "platform"})
        plan = client.create_backup_plan(
            BackupPlan={"BackupPlanName": "plan", "Rules": [RULE]}, BackupPlanTags={"Owner": "platform"}
        )
        for arn in (vault["BackupVaultArn"], plan["BackupPlanArn"]):
            tags = client.list_tags(ResourceArn=arn)["Tags"]
            assert (tags == {"Owner": "platform"}) is shimmed  # bare moto reads "tags" as the ARN


# -- backup-selections ------------------------------------------------------------------------


def test_bare_moto_lacks_backup_selections() -> None:
    with mock_aws():
        client = backup()
        with pytest.raises((NotImplementedError, ClientError)):
            client.create_backup_selection(BackupPlanId=_plan(client), BackupSelection=SELECTION)


def test_backup_selection_lifecycle_and_plan_deletion_order() -> None:
    with shims_applied("backup-selections"), mock_aws():
        client = backup()
        plan_id = _plan(client)
        created = client.create_backup_selection(BackupPlanId=plan_id, BackupSelection=SELECTION)
        selection_id = created["SelectionId"]
        got = client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
        assert got["BackupSelection"]["ListOfTags"] == SELECTION["ListOfTags"]
        assert got["BackupSelection"]["IamRoleArn"] == ROLE
        assert got["BackupSelection"]["Conditions"] == {
            "StringEquals": [],
            "StringNotEquals": [],
            "StringLike": [],
            "StringNotLike": [],
        }
        listed = client.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
        assert [(s["SelectionId"], s["SelectionName"]) for s in listed] == [(selection_id, "tagged")]
        with pytest.raises(ClientError, match="AlreadyExists"):
            client.create_backup_selection(BackupPlanId=plan_id, BackupSelection=SELECTION)
        with pytest.raises(ClientError, match="InvalidRequest"):
            client.delete_backup_plan(BackupPlanId=plan_id)
        client.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
        with pytest.raises(ClientError, match="ResourceNotFound"):
            client.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection_id)
        client.delete_backup_plan(BackupPlanId=plan_id)
        with pytest.raises(ClientError, match="ResourceNotFound"):
            client.create_backup_selection(BackupPlanId=plan_id, BackupSelection=SELECTION)


def test_normalized_selection_keeps_given_conditions() -> None:
    given = {
        "SelectionName": "s",
        "Conditions": {"StringEquals": [{"ConditionKey": "k", "ConditionValue": "v"}]},
    }
    out = normalized_selection(given)
    assert out["Conditions"]["StringEquals"] == [{"ConditionKey": "k", "ConditionValue": "v"}]
    assert out["Resources"] == out["NotResources"] == []


# -- backup-vault-notifications ---------------------------------------------------------------


def test_bare_moto_lacks_vault_notifications() -> None:
    with mock_aws():
        client = backup()
        client.create_backup_vault(BackupVaultName="vault")
        with pytest.raises((NotImplementedError, ClientError)):
            client.put_backup_vault_notifications(
                BackupVaultName="vault",
                SNSTopicArn="arn:aws:sns:af-south-1:123456789012:t",
                BackupVaultEvents=[],
            )


def test_vault_notifications_lifecycle() -> None:
    topic = "arn:aws:sns:af-south-1:123456789012:backup-events"
    with shims_applied("backup-vault-notifications"), mock_aws():
        client = backup()
        client.create_backup_vault(BackupVaultName="vault")
        client.put_backup_vault_notifications(
            BackupVaultName="vault",
            SNSTopicArn=topic,
            BackupVaultEvents=["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED"],
        )
        got = client.get_backup_vault_notifications(BackupVaultName="vault")
        assert got["SNSTopicArn"] == topic
        assert got["BackupVaultEvents"] == ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED"]
        client.delete_backup_vault_notifications(BackupVaultName="vault")
        with pytest.raises(ClientError, match="ResourceNotFound"):
            client.get_backup_vault_notifications(BackupVaultName="vault")
        with pytest.raises(ClientError, match="ResourceNotFound"):
            client.put_backup_vault_notifications(
                BackupVaultName="nope", SNSTopicArn=topic, BackupVaultEvents=[]
            )


# -- backup-recovery-points -------------------------------------------------------------------


def test_bare_moto_deletes_a_vault_full_of_backups_and_cannot_list_them() -> None:
    with mock_aws():
        client = backup()
        client.create_backup_vault(BackupVaultName="vault")
        with pytest.raises((NotImplementedError, ClientError)):
            client.list_recovery_points_by_backup_vault(BackupVaultName="vault")


def test_recovery_points_force_destroy_sequence() -> None:
    with shims_applied("backup-recovery-points"), mock_aws():
        client = backup()
        client.create_backup_vault(
            BackupVaultName="vault", EncryptionKeyArn="arn:aws:kms:af-south-1:123456789012:key/k"
        )
        arn = client.start_backup_job(
            BackupVaultName="vault",
            ResourceArn="arn:aws:rds:af-south-1:123456789012:db:orders",
            IamRoleArn=ROLE,
        )["RecoveryPointArn"]
        assert client.describe_backup_vault(BackupVaultName="vault")["NumberOfRecoveryPoints"] == 1
        with pytest.raises(ClientError, match="contains recovery points"):
            client.delete_backup_vault(BackupVaultName="vault")
        # what the provider does for force_destroy: list, delete each, wait until gone, delete the vault
        points = client.list_recovery_points_by_backup_vault(BackupVaultName="vault")["RecoveryPoints"]
        assert [(p["RecoveryPointArn"], p["Status"]) for p in points] == [(arn, "COMPLETED")]
        assert client.describe_recovery_point(BackupVaultName="vault", RecoveryPointArn=arn)["IsEncrypted"]
        client.delete_recovery_point(BackupVaultName="vault", RecoveryPointArn=arn)
        with pytest.raises(ClientError, match="ResourceNotFound"):
            client.describe_recovery_point(BackupVaultName="vault", RecoveryPointArn=arn)
        client.delete_backup_vault(BackupVaultName="vault")
        with pytest.raises(ClientError, match="ResourceNotFound"):
            client.delete_backup_vault(BackupVaultName="vault")


# -- backup-plan-lifecycle --------------------------------------------------------------------


@pytest.mark.parametrize("shimmed", [False, True])
def test_a_deleted_plans_name_can_be_reused(shimmed: bool) -> None:
    with shims_applied(*(["backup-plan-lifecycle"] if shimmed else [])), mock_aws():
        client = backup()
        client.delete_backup_plan(BackupPlanId=_plan(client))
        if shimmed:
            _plan(client)
        else:
            with pytest.raises(ClientError, match="AlreadyExists"):
                _plan(client)


def test_update_backup_plan() -> None:
    with shims_applied("backup-plan-lifecycle"), mock_aws():
        client = backup()
        plan_id = _plan(client)
        before = client.get_backup_plan(BackupPlanId=plan_id)["VersionId"]
        rule = {**RULE, "Lifecycle": {"DeleteAfterDays": 35}}
        out = client.update_backup_plan(
            BackupPlanId=plan_id, BackupPlan={"BackupPlanName": "plan", "Rules": [rule]}
        )
        assert out["VersionId"] != before
        got = client.get_backup_plan(BackupPlanId=plan_id)
        assert got["VersionId"] == out["VersionId"]
        assert got["BackupPlan"]["Rules"][0]["Lifecycle"] == {"DeleteAfterDays": 35}
        assert json.loads(json.dumps(got["BackupPlan"]["Rules"][0]["StartWindowMinutes"])) == 480


def test_bare_moto_lacks_update_backup_plan() -> None:
    with mock_aws():
        client = backup()
        plan_id = _plan(client)
        with pytest.raises((NotImplementedError, ClientError)):
            client.update_backup_plan(
                BackupPlanId=plan_id, BackupPlan={"BackupPlanName": "plan", "Rules": [RULE]}
            )
