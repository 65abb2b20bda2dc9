"""terraform/modules/cost end to end on its own emulator: apply, check with boto3, re-plan, change the
limit in place, destroy.

The KMS key and the forwarder Lambda the module is given are created with boto3 first (an
environment root passes the secrets module's key and the monitoring module's forwarder).
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.emulator import Emulator
from deployment_infra.targets import OVERRIDE_FILE, LocalTarget
from tests.conftest import REPO, own_emulator
from tests.integration.terraform_root import run_terraform

REGION = "af-south-1"
ACCOUNT = "123456789012"
NAME = "ngapp-costtest"
BUDGET = f"{NAME}-monthly"
TOPIC = f"{NAME}-budget-alerts"
FORWARDER = f"{NAME}-monitoring-alarm-forwarder"
ALERT_EMAIL = "platform@ngapp.example"
FINANCE_EMAIL = "finance@ngapp.example"
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

variable "monthly_limit_usd" {{
  type = number
}}

variable "kms_key_arn" {{
  type = string
}}

variable "forwarder_arn" {{
  type = string
}}

module "cost" {{
  source                        = "{REPO / "terraform" / "modules" / "cost"}"
  name                          = "{NAME}"
  environment                   = "dev"
  monthly_limit_usd             = var.monthly_limit_usd
  kms_key_arn                   = var.kms_key_arn
  alert_emails                  = ["{ALERT_EMAIL}"]
  subscriber_email_addresses    = ["{FINANCE_EMAIL}"]
  slack_forwarder_function_name = "{FORWARDER}"
  slack_forwarder_function_arn  = var.forwarder_arn
  tags                          = {{ Component = "cost" }}
}}

output "cost" {{
  value = module.cost
}}
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("cost")) / ".infra") as emu:
        yield emu


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def given(emulator: Emulator) -> dict[str, str]:
    """What an environment root passes: the environment key and the alarm forwarder."""
    target = LocalTarget(emulator)
    key = target.client("kms", REGION).create_key(Description="environment key")["KeyMetadata"]["Arn"]
    assume = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = target.client("iam", REGION).create_role(
        RoleName=FORWARDER, AssumeRolePolicyDocument=json.dumps(assume)
    )
    function = target.client("lambda", REGION).create_function(
        FunctionName=FORWARDER,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )
    return {"kms_key_arn": str(key), "forwarder_arn": str(function["FunctionArn"])}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, terraform_available: str) -> Path:
    where = tmp_path_factory.mktemp("cost-root")
    (where / "main.tf").write_text(ROOT)
    (where / OVERRIDE_FILE).write_text(LocalTarget(emulator).provider_override(where))
    return where


def tf(root: Path, emulator: Emulator, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return run_terraform(
        root,
        emulator,
        args,
        timeout=timeout,
        what="the cost module root (module.cost.aws_budgets_budget.this)",
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: {result.stderr[-3000:]}"
    return result


def variables(given: dict[str, str], limit: float) -> list[str]:
    return [f"-var=monthly_limit_usd={limit}", *(f"-var={k}={v}" for k, v in given.items())]


def _budgets(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("budgets", "us-east-1")


def _notifications(budgets: Any) -> dict[tuple[str, float], list[dict[str, str]]]:
    """Each notification (type, threshold) with its subscribers."""
    found = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=BUDGET)["Notifications"]
    return {
        (n["NotificationType"], float(n["Threshold"])): budgets.describe_subscribers_for_notification(
            AccountId=ACCOUNT, BudgetName=BUDGET, Notification=n
        )["Subscribers"]
        for n in found
    }


def test_apply_check_replan(root: Path, emulator: Emulator, given: dict[str, str]) -> None:
    ok(tf(root, emulator, "init"))
    ok(tf(root, emulator, "apply", "-auto-approve", *variables(given, 150)))
    budgets = _budgets(emulator)
    target = LocalTarget(emulator)

    budget = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=BUDGET)["Budget"]
    assert (budget["BudgetType"], budget["TimeUnit"]) == ("COST", "MONTHLY")
    assert float(budget["BudgetLimit"]["Amount"]) == 150 and budget["BudgetLimit"]["Unit"] == "USD"
    assert budget["CostFilters"] == {"TagKeyValue": ["user:Environment$dev"]}

    sns = target.client("sns", REGION)
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}"
    notifications = _notifications(budgets)
    assert set(notifications) == {
        ("ACTUAL", 50.0),
        ("ACTUAL", 80.0),
        ("ACTUAL", 100.0),
        ("FORECASTED", 80.0),
        ("FORECASTED", 100.0),
    }
    for subscribers in notifications.values():
        assert sorted((s["SubscriptionType"], s["Address"]) for s in subscribers) == [
            ("EMAIL", FINANCE_EMAIL),
            ("SNS", topic_arn),
        ]

    arn = f"arn:aws:budgets::{ACCOUNT}:budget/{BUDGET}"
    tags = {t["Key"]: t["Value"] for t in budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"]}
    assert tags["Component"] == "cost" and tags["Environment"] == "dev" and tags["Name"] == BUDGET

    attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == given["kms_key_arn"]
    [publish] = [s for s in json.loads(attributes["Policy"])["Statement"] if s["Sid"] == "BudgetsPublish"]
    assert publish["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", ALERT_EMAIL),
        ("lambda", given["forwarder_arn"]),
    ]
    policy = json.loads(target.client("lambda", REGION).get_policy(FunctionName=FORWARDER)["Policy"])
    [invoke] = [s for s in policy["Statement"] if s["Sid"] == "BudgetAlertsTopicInvokes"]
    assert invoke["Principal"] == {"Service": "sns.amazonaws.com"}
    assert invoke["Condition"]["ArnLike"]["AWS:SourceArn"] == topic_arn

    replan = tf(root, emulator, "plan", "-detailed-exitcode", *variables(given, 150))
    assert replan.returncode == 0, (
        f"second plan is not empty (exit {replan.returncode}): {replan.stdout[-3000:]}"
    )


def test_a_new_limit_is_changed_in_place(root: Path, emulator: Emulator, given: dict[str, str]) -> None:
    applied = ok(tf(root, emulator, "apply", "-auto-approve", *variables(given, 175)))
    assert "0 added, 1 changed, 0 destroyed" in applied.stdout
    budgets = _budgets(emulator)
    assert (
        float(
            budgets.describe_budget(AccountId=ACCOUNT, BudgetName=BUDGET)["Budget"]["BudgetLimit"]["Amount"]
        )
        == 175
    )
    assert len(_notifications(budgets)) == 5


def test_destroy_leaves_no_budget(root: Path, emulator: Emulator, given: dict[str, str]) -> None:
    ok(tf(root, emulator, "destroy", "-auto-approve", *variables(given, 175)))
    budgets = _budgets(emulator)
    assert [b["BudgetName"] for b in budgets.describe_budgets(AccountId=ACCOUNT).get("Budgets", [])] == []
    with pytest.raises(ClientError, match="NotFoundException"):
        budgets.list_tags_for_resource(ResourceARN=f"arn:aws:budgets::{ACCOUNT}:budget/{BUDGET}")
    topics = LocalTarget(emulator).client("sns", REGION).list_topics()["Topics"]
    assert [t["TopicArn"] for t in topics if t["TopicArn"].endswith(f":{TOPIC}")] == []
