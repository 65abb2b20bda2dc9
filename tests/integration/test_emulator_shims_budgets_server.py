"""AWS Budgets shims seen through a real emulator server (the launcher applies them).

The gaps themselves are shown on bare moto in tests/unit/test_emulator_shims_budgets.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

ACCOUNT = "123456789012"
NAME = "ngapp-shim-monthly"
ARN = f"arn:aws:budgets::{ACCOUNT}:budget/{NAME}"
TOPIC = f"arn:aws:sns:af-south-1:{ACCOUNT}:ngapp-shim-budget-alerts"
ACTUAL_80 = {
    "NotificationType": "ACTUAL",
    "ComparisonOperator": "GREATER_THAN",
    "Threshold": 80.0,
    "ThresholdType": "PERCENTAGE",
}
SUBSCRIBERS = [
    {"SubscriptionType": "EMAIL", "Address": "finance@ngapp.example"},
    {"SubscriptionType": "SNS", "Address": TOPIC},
]
BUDGET = {
    "BudgetName": NAME,
    "BudgetType": "COST",
    "TimeUnit": "MONTHLY",
    "BudgetLimit": {"Amount": "150", "Unit": "USD"},
    "CostFilters": {"TagKeyValue": ["user:Environment$dev"]},
    "TimePeriod": {"Start": 1793491200, "End": 3706473600},
}


@pytest.fixture(scope="module")
def budgets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with own_emulator(Path(tmp_path_factory.mktemp("budgets-shims")) / ".infra") as emu:
        yield LocalTarget(emu).client("budgets", "us-east-1")


def test_subscribers_tags_and_update_through_the_launcher(budgets: Any) -> None:
    budgets.create_budget(
        AccountId=ACCOUNT,
        Budget=BUDGET,
        NotificationsWithSubscribers=[{"Notification": ACTUAL_80, "Subscribers": SUBSCRIBERS}],
        ResourceTags=[{"Key": "Environment", "Value": "dev"}],
    )

    # budgets-notification-subscribers
    [notification] = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)[
        "Notifications"
    ]
    echoed = {**notification, "NotificationState": "OK"}
    got = budgets.describe_subscribers_for_notification(
        AccountId=ACCOUNT, BudgetName=NAME, Notification=echoed
    )
    assert got["Subscribers"] == SUBSCRIBERS
    with pytest.raises(ClientError, match="NotFoundException"):
        budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="nope")

    # budgets-tags
    assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == [
        {"Key": "Environment", "Value": "dev"}
    ]
    budgets.tag_resource(ResourceARN=ARN, ResourceTags=[{"Key": "Component", "Value": "cost"}])
    budgets.untag_resource(ResourceARN=ARN, ResourceTagKeys=["Environment"])
    assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == [
        {"Key": "Component", "Value": "cost"}
    ]

    # budgets-update-budget
    budgets.update_budget(
        AccountId=ACCOUNT, NewBudget={**BUDGET, "BudgetLimit": {"Amount": "175", "Unit": "USD"}}
    )
    assert (
        budgets.describe_budget(AccountId=ACCOUNT, BudgetName=NAME)["Budget"]["BudgetLimit"]["Amount"]
        == "175"
    )

    budgets.delete_notification(AccountId=ACCOUNT, BudgetName=NAME, Notification=echoed)
    assert (
        budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)["Notifications"] == []
    )
    budgets.delete_budget(AccountId=ACCOUNT, BudgetName=NAME)
    with pytest.raises(ClientError, match="NotFoundException"):
        budgets.list_tags_for_resource(ResourceARN=ARN)
