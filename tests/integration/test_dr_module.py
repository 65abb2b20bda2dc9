"""terraform/modules/dr end to end on its own emulator: apply, check with boto3, re-plan, destroy.

Destroy is proven both ways: a vault without recovery points goes with a plain destroy (and one
holding a recovery point stops it), and with force_destroy a vault holding one is emptied and goes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import OVERRIDE_FILE, LocalTarget
from tests.conftest import REPO, own_emulator
from tests.integration.terraform_root import run_terraform

REGION = "af-south-1"
NAME = "ngapp-drtest"
VAULT = f"{NAME}-backup"
ROOT = f"""
terraform {{
  required_version = ">= 1.11"
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 5.100" }}
  }}
}}

provider "aws" {{
  region = "{REGION}"
  default_tags {{
    tags = {{
      Project = "ngapp", Environment = "dev", ManagedBy = "terraform", Owner = "platform-team",
      DataClassification = "internal"
    }}
  }}
}}

variable "force_destroy" {{
  type = bool
}}

resource "aws_sns_topic" "backup" {{
  name = "{NAME}-events"
}}

module "dr" {{
  source                 = "{REPO / "terraform" / "modules" / "dr"}"
  name                   = "{NAME}"
  environment            = "dev"
  notification_topic_arn = aws_sns_topic.backup.arn
  create_notifications   = true
  force_destroy          = var.force_destroy
  tags                   = {{ Component = "dr" }}
}}

output "dr" {{
  value = module.dr
}}
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("dr")) / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, terraform_available: str) -> Path:
    where = tmp_path_factory.mktemp("dr-root")
    (where / "main.tf").write_text(ROOT)
    target = LocalTarget(emulator)
    (where / OVERRIDE_FILE).write_text(target.provider_override(where))
    return where


def tf(root: Path, emulator: Emulator, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_terraform(root, emulator, args, timeout=timeout, what="the dr module root")


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: {result.stderr[-3000:]}"
    return result


def _backup(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("backup", REGION)


def _recovery_point(emulator: Emulator) -> str:
    role = LocalTarget(emulator).client("iam", REGION).get_role(RoleName=f"{NAME}-backup")["Role"]["Arn"]
    return str(
        _backup(emulator).start_backup_job(
            BackupVaultName=VAULT, ResourceArn=f"arn:aws:rds:{REGION}:123456789012:db:{NAME}", IamRoleArn=role
        )["RecoveryPointArn"]
    )


def test_apply_check_replan(root: Path, emulator: Emulator) -> None:
    ok(tf(root, emulator, "init"))
    ok(tf(root, emulator, "apply", "-auto-approve", "-var=force_destroy=false"))
    backup = _backup(emulator)
    kms = LocalTarget(emulator).client("kms", REGION)

    vault = backup.describe_backup_vault(BackupVaultName=VAULT)
    key = kms.describe_key(KeyId=vault["EncryptionKeyArn"])["KeyMetadata"]
    assert key["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/{VAULT}"]
    assert (vault["Locked"], vault["MinRetentionDays"], vault["MaxRetentionDays"]) == (True, 7, 365)
    vault_tags = backup.list_tags(ResourceArn=vault["BackupVaultArn"])["Tags"]
    assert vault_tags["DataClassification"] == "personal"
    assert vault_tags["Project"] == "ngapp" and vault_tags["Component"] == "dr"

    plans = [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == NAME]
    assert len(plans) == 1
    plan = backup.get_backup_plan(BackupPlanId=plans[0]["BackupPlanId"])
    rules = {r["RuleName"]: r for r in plan["BackupPlan"]["Rules"]}
    assert set(rules) == {"daily", "continuous"}
    assert rules["daily"]["Lifecycle"]["DeleteAfterDays"] == 30
    assert rules["daily"]["ScheduleExpression"] == "cron(0 1 * * ? *)"
    assert rules["daily"]["EnableContinuousBackup"] is False
    assert rules["continuous"]["EnableContinuousBackup"] is True
    assert rules["continuous"]["Lifecycle"]["DeleteAfterDays"] <= 35
    assert all(r["TargetBackupVaultName"] == VAULT for r in rules.values())
    assert rules["daily"]["RecoveryPointTags"]["DataClassification"] == "personal"
    assert "CopyActions" not in rules["daily"] or rules["daily"]["CopyActions"] == []  # in-region by default
    assert backup.list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"]["Project"] == "ngapp"

    selections = backup.list_backup_selections(BackupPlanId=plan["BackupPlanId"])["BackupSelectionsList"]
    assert len(selections) == 1
    selection = backup.get_backup_selection(
        BackupPlanId=plan["BackupPlanId"], SelectionId=selections[0]["SelectionId"]
    )
    assert selection["BackupSelection"]["ListOfTags"] == [
        {"ConditionType": "STRINGEQUALS", "ConditionKey": "BackupPlan", "ConditionValue": NAME}
    ]
    iam = LocalTarget(emulator).client("iam", REGION)
    role = iam.get_role(RoleName=f"{NAME}-backup")["Role"]
    assert selection["BackupSelection"]["IamRoleArn"] == role["Arn"]
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "backup.amazonaws.com"}
    attached = {
        p["PolicyName"]
        for p in iam.list_attached_role_policies(RoleName=f"{NAME}-backup")["AttachedPolicies"]
    }
    assert attached == {"AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"}

    notifications = backup.get_backup_vault_notifications(BackupVaultName=VAULT)
    assert notifications["SNSTopicArn"].endswith(f":{NAME}-events")
    assert "COPY_JOB_FAILED" in notifications["BackupVaultEvents"]

    replan = tf(root, emulator, "plan", "-detailed-exitcode", "-var=force_destroy=false")
    assert replan.returncode == 0, (
        f"second plan is not empty (exit {replan.returncode}): {replan.stdout[-3000:]}"
    )


def test_destroy_keeps_a_vault_with_backups_and_removes_an_empty_one(root: Path, emulator: Emulator) -> None:
    point = _recovery_point(emulator)
    refused = tf(root, emulator, "destroy", "-auto-approve", "-var=force_destroy=false")
    assert refused.returncode == 1
    assert "contains recovery points" in refused.stderr
    _backup(emulator).delete_recovery_point(BackupVaultName=VAULT, RecoveryPointArn=point)
    ok(tf(root, emulator, "destroy", "-auto-approve", "-var=force_destroy=false"))
    assert VAULT not in [
        v["BackupVaultName"] for v in _backup(emulator).list_backup_vaults()["BackupVaultList"]
    ]


def test_force_destroy_empties_the_vault(root: Path, emulator: Emulator) -> None:
    ok(tf(root, emulator, "apply", "-auto-approve", "-var=force_destroy=true"))  # same plan name again
    _recovery_point(emulator)
    ok(tf(root, emulator, "destroy", "-auto-approve", "-var=force_destroy=true"))
    backup = _backup(emulator)
    assert VAULT not in [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]]
    assert [p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == NAME] == []
