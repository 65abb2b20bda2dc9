"""AWS Budgets emulator shims against in-process moto: each gap on bare moto, then closed by its shim.

Shims are applied only inside `shims_applied`, which restores moto's classes afterwards, so tests that
use bare moto elsewhere in the session are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_budgets import (
    budget_arn,
    notification_key,
    parse_budget_arn,
    updated_definition,
)
from tests.unit.moto_patches import restoring

MODULE = "deployment_infra.emulator_shims_budgets"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
ACCOUNT = "123456789012"
NAME = "ngapp-dev-monthly"
ARN = f"arn:aws:budgets::{ACCOUNT}:budget/{NAME}"
TOPIC = f"arn:aws:sns:af-south-1:{ACCOUNT}:ngapp-dev-budget-alerts"
ACTUAL_80 = {
    "NotificationType": "ACTUAL",
    "ComparisonOperator": "GREATER_THAN",
    "Threshold": 80.0,
    "ThresholdType": "PERCENTAGE",
}
FORECAST_100 = {**ACTUAL_80, "NotificationType": "FORECASTED", "Threshold": 100.0}
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


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    """Apply the named budgets shims for the duration of the block, then undo them."""
    from moto.budgets.models import BudgetsBackend
    from moto.budgets.responses import BudgetsResponse

    import_module(MODULE)
    with restoring([BudgetsBackend, BudgetsResponse]):
        for name in names:
            SHIMS[name]()
        yield


@pytest.fixture
def budgets(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("budgets", region_name="us-east-1")


def _create(client: Any, **extra: Any) -> None:
    client.create_budget(
        AccountId=ACCOUNT,
        Budget=BUDGET,
        NotificationsWithSubscribers=[
            {"Notification": ACTUAL_80, "Subscribers": SUBSCRIBERS},
            {"Notification": FORECAST_100, "Subscribers": SUBSCRIBERS[1:]},
        ],
        **extra,
    )


def test_budgets_shims_are_registered_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES
    import_module(MODULE)
    names = [name for name, func in SHIMS.items() if func.__module__ == MODULE]
    assert sorted(names) == ["budgets-notification-subscribers", "budgets-tags", "budgets-update-budget"]
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


# -- helpers ----------------------------------------------------------------------------------


def test_notification_key_ignores_state_and_defaults_to_percentage() -> None:
    echoed = {**ACTUAL_80, "Threshold": 80, "NotificationState": "ALARM"}
    assert notification_key(echoed) == notification_key(ACTUAL_80)
    assert notification_key({k: v for k, v in ACTUAL_80.items() if k != "ThresholdType"}) == notification_key(
        ACTUAL_80
    )
    assert notification_key(FORECAST_100) != notification_key({**FORECAST_100, "NotificationType": "ACTUAL"})


@settings(max_examples=100)
@given(
    partition=st.sampled_from(["aws", "aws-cn", "aws-us-gov"]),
    account=st.from_regex(r"[0-9]{12}", fullmatch=True),
    name=st.from_regex(r"[A-Za-z0-9_.$-][A-Za-z0-9_.$ -]{0,98}", fullmatch=True),
)
def test_budget_arns_round_trip(partition: str, account: str, name: str) -> None:
    assert parse_budget_arn(budget_arn(partition, account, name)) == (account, name)


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "budget/x",
        f"arn:aws:budgets::{ACCOUNT}:budget/",
        f"arn:aws:budgets::{ACCOUNT}:action/x",
        "arn:aws:budgets::acct:budget/x",
        f"arn:aws:sns:af-south-1:{ACCOUNT}:budget/x",
    ],
)
def test_other_arns_are_not_budgets(arn: str) -> None:
    assert parse_budget_arn(arn) is None


def test_updated_definition_keeps_the_start_and_spend_unless_given() -> None:
    old = {**BUDGET, "CalculatedSpend": {"ActualSpend": {"Amount": "12", "Unit": "USD"}}}
    new = {**BUDGET, "BudgetLimit": {"Amount": "175", "Unit": "USD"}, "TimePeriod": {"End": 3706473600}}
    merged = updated_definition(old, new)
    assert merged["BudgetLimit"] == {"Amount": "175", "Unit": "USD"}
    assert merged["TimePeriod"] == BUDGET["TimePeriod"]
    assert merged["CalculatedSpend"] == old["CalculatedSpend"]
    assert updated_definition(old, {**new, "TimePeriod": {"Start": 1, "End": 2}})["TimePeriod"] == {
        "Start": 1,
        "End": 2,
    }


# -- budgets-notification-subscribers ----------------------------------------------------------


def test_bare_moto_lacks_subscribers_and_answers_an_unknown_budget_with_a_key_error(budgets: Any) -> None:
    _create(budgets)
    with pytest.raises((NotImplementedError, ClientError)):
        budgets.describe_subscribers_for_notification(
            AccountId=ACCOUNT, BudgetName=NAME, Notification=ACTUAL_80
        )
    with pytest.raises(KeyError):
        budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="nope")


def test_bare_moto_deletes_nothing_when_the_state_is_echoed(budgets: Any) -> None:
    _create(budgets)
    budgets.delete_notification(
        AccountId=ACCOUNT, BudgetName=NAME, Notification={**ACTUAL_80, "NotificationState": "OK"}
    )
    assert (
        len(budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)["Notifications"])
        == 2
    )


def test_subscribers_of_each_notification(budgets: Any) -> None:
    with shims_applied("budgets-notification-subscribers"):
        _create(budgets)
        notifications = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)[
            "Notifications"
        ]
        found = {
            n["NotificationType"]: budgets.describe_subscribers_for_notification(
                AccountId=ACCOUNT, BudgetName=NAME, Notification={**n, "NotificationState": "OK"}
            )["Subscribers"]
            for n in notifications
        }
        assert found == {"ACTUAL": SUBSCRIBERS, "FORECASTED": SUBSCRIBERS[1:]}

        budgets.create_notification(
            AccountId=ACCOUNT,
            BudgetName=NAME,
            Notification={**ACTUAL_80, "Threshold": 50.0},
            Subscribers=SUBSCRIBERS[:1],
        )
        assert (
            budgets.describe_subscribers_for_notification(
                AccountId=ACCOUNT, BudgetName=NAME, Notification={**ACTUAL_80, "Threshold": 50.0}
            )["Subscribers"]
            == SUBSCRIBERS[:1]
        )


def test_unknown_budget_or_notification_is_not_found(budgets: Any) -> None:
    with shims_applied("budgets-notification-subscribers"):
        _create(budgets)
        for call in (
            lambda: budgets.describe_subscribers_for_notification(
                AccountId=ACCOUNT, BudgetName=NAME, Notification={**ACTUAL_80, "Threshold": 99.0}
            ),
            lambda: budgets.describe_subscribers_for_notification(
                AccountId=ACCOUNT, BudgetName="nope", Notification=ACTUAL_80
            ),
            lambda: budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName="nope"),
            lambda: budgets.delete_notification(
                AccountId=ACCOUNT, BudgetName=NAME, Notification=FORECAST_100 | {"Threshold": 1.0}
            ),
        ):
            with pytest.raises(ClientError, match="NotFoundException"):
                call()


def test_delete_notification_matches_by_fields(budgets: Any) -> None:
    with shims_applied("budgets-notification-subscribers"):
        _create(budgets)
        budgets.delete_notification(
            AccountId=ACCOUNT, BudgetName=NAME, Notification={**ACTUAL_80, "NotificationState": "OK"}
        )
        left = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)["Notifications"]
        assert [n["NotificationType"] for n in left] == ["FORECASTED"]


# -- budgets-tags -----------------------------------------------------------------------------

TAGS = [{"Key": "Environment", "Value": "dev"}, {"Key": "Component", "Value": "cost"}]


def test_bare_moto_drops_tags_and_lacks_the_tag_calls(budgets: Any) -> None:
    _create(budgets, ResourceTags=TAGS)
    with pytest.raises((NotImplementedError, ClientError)):
        budgets.list_tags_for_resource(ResourceARN=ARN)
    with pytest.raises((NotImplementedError, ClientError)):
        budgets.tag_resource(ResourceARN=ARN, ResourceTags=TAGS)


def test_tags_of_a_budget(budgets: Any) -> None:
    with shims_applied("budgets-tags"):
        _create(budgets, ResourceTags=TAGS)
        assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == TAGS
        budgets.tag_resource(ResourceARN=ARN, ResourceTags=[{"Key": "Component", "Value": "finops"}])
        budgets.untag_resource(ResourceARN=ARN, ResourceTagKeys=["Environment", "Absent"])
        assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == [
            {"Key": "Component", "Value": "finops"}
        ]

        budgets.delete_budget(AccountId=ACCOUNT, BudgetName=NAME)
        with pytest.raises(ClientError, match="NotFoundException"):
            budgets.list_tags_for_resource(ResourceARN=ARN)
        _create(budgets)  # the same name again starts untagged
        assert budgets.list_tags_for_resource(ResourceARN=ARN)["ResourceTags"] == []


@pytest.mark.parametrize(
    "arn",
    [f"arn:aws:budgets::{ACCOUNT}:budget/nope", f"arn:aws:budgets::210987654321:budget/{NAME}", "nonsense"],
)
def test_tags_of_an_unknown_budget_are_not_found(budgets: Any, arn: str) -> None:
    with shims_applied("budgets-tags"):
        _create(budgets)
        for call in (
            lambda: budgets.list_tags_for_resource(ResourceARN=arn),
            lambda: budgets.tag_resource(ResourceARN=arn, ResourceTags=TAGS),
            lambda: budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["Environment"]),
        ):
            with pytest.raises(ClientError, match="NotFoundException"):
                call()


# -- budgets-update-budget --------------------------------------------------------------------


def test_bare_moto_lacks_update_budget(budgets: Any) -> None:
    _create(budgets)
    with pytest.raises((NotImplementedError, ClientError)):
        budgets.update_budget(
            AccountId=ACCOUNT, NewBudget={**BUDGET, "BudgetLimit": {"Amount": "175", "Unit": "USD"}}
        )


def test_update_budget_replaces_the_definition_and_keeps_the_notifications(budgets: Any) -> None:
    with shims_applied("budgets-update-budget"):
        _create(budgets)
        new = {**BUDGET, "BudgetLimit": {"Amount": "175", "Unit": "USD"}, "TimePeriod": {"End": 3706473600}}
        new["CostFilters"] = {"TagKeyValue": ["user:Environment$staging"]}
        budgets.update_budget(AccountId=ACCOUNT, NewBudget=new)
        got = budgets.describe_budget(AccountId=ACCOUNT, BudgetName=NAME)["Budget"]
        assert got["BudgetLimit"] == {"Amount": "175", "Unit": "USD"}
        assert got["CostFilters"] == {"TagKeyValue": ["user:Environment$staging"]}
        assert got["TimePeriod"]["Start"].timestamp() == BUDGET["TimePeriod"]["Start"]
        notifications = budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=NAME)[
            "Notifications"
        ]
        assert len(notifications) == 2


def test_update_of_an_unknown_budget_or_without_limit_is_refused(budgets: Any) -> None:
    with shims_applied("budgets-update-budget"):
        _create(budgets)
        with pytest.raises(ClientError, match="NotFoundException"):
            budgets.update_budget(AccountId=ACCOUNT, NewBudget={**BUDGET, "BudgetName": "nope"})
        without_limit = {k: v for k, v in BUDGET.items() if k != "BudgetLimit"}
        with pytest.raises(ClientError, match="InvalidParameterException"):
            budgets.update_budget(AccountId=ACCOUNT, NewBudget=without_limit)
