"""AWS Budgets shims for moto (terraform/modules/cost): subscribers, tags, budget updates.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is
a row in docs/emulator.md and has tests in tests/unit/test_emulator_shims_budgets.py (bare moto) and
tests/integration/test_emulator_shims_budgets_server.py (through the launcher).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from deployment_infra.emulator_shims import shim

BUDGET_ARN_PREFIX = ":budgets::"


def notification_key(notification: Mapping[str, Any]) -> tuple[str, str, float, str]:
    """What identifies a budget notification (AWS ignores NotificationState; PERCENTAGE is the default)."""
    return (
        str(notification.get("NotificationType", "")),
        str(notification.get("ComparisonOperator", "")),
        float(notification.get("Threshold", 0)),
        str(notification.get("ThresholdType") or "PERCENTAGE"),
    )


def budget_arn(partition: str, account_id: str, name: str) -> str:
    """arn:<partition>:budgets::<account>:budget/<name>, as the provider builds it."""
    return f"arn:{partition}:budgets::{account_id}:budget/{name}"


def parse_budget_arn(arn: str) -> tuple[str, str] | None:
    """(account id, budget name) of a budget ARN, or None for anything else."""
    prefix, found, rest = arn.partition(BUDGET_ARN_PREFIX)
    account, _, resource = rest.partition(":")
    if (
        not found
        or not prefix.startswith("arn:")
        or not account.isdigit()
        or not resource.startswith("budget/")
    ):
        return None
    name = resource.removeprefix("budget/")
    return (account, name) if name and "/" not in name else None


def _budget(backend: Any, account_id: str, name: str, action: str) -> Any:
    from moto.budgets.exceptions import NotFoundException

    found = backend.budgets.get(account_id, {}).get(name)
    if found is None:
        raise NotFoundException(f"Unable to {action} - the budget {name} doesn't exist.")
    return found


# -- budgets-notification-subscribers ----------------------------------------------------------
# AWS: DescribeSubscribersForNotification lists a notification's subscribers (SNS topic and email
# addresses); notifications are matched by type, operator, threshold and threshold type, whatever
# NotificationState the caller echoes back; an unknown budget or notification is a
# NotFoundException, for DescribeNotificationsForBudget and DeleteNotification too. moto 5 had no
# DescribeSubscribersForNotification (500: the provider's read of every aws_budgets_budget with a
# notification failed), answered an unknown budget with a 500 (KeyError) and deleted nothing,
# silently, when the notification did not match field for field.


def _notification(budget: Any, wanted: Mapping[str, Any]) -> Any:
    from moto.budgets.exceptions import NotFoundException

    for notification in budget.notifications:
        if notification_key(notification.details) == notification_key(wanted):
            return notification
    raise NotFoundException("Unable to find the notification - the notification doesn't exist.")


@shim("budgets-notification-subscribers")
def _budgets_notification_subscribers() -> None:
    from moto.budgets.models import BudgetsBackend
    from moto.budgets.responses import BudgetsResponse

    def describe_subscribers_for_notification(self: Any) -> str:
        budget = _budget(
            self.backend, self._get_param("AccountId"), self._get_param("BudgetName"), "get subscribers"
        )
        notification = _notification(budget, self._get_param("Notification") or {})
        return json.dumps({"Subscribers": list(notification.subscribers or [])})

    def describe_notifications_for_budget(self: Any, account_id: str, budget_name: str) -> Any:
        return _budget(self, account_id, budget_name, "get notifications").get_notifications()

    def delete_notification(
        self: Any, account_id: str, budget_name: str, notification: dict[str, Any]
    ) -> None:
        budget = _budget(self, account_id, budget_name, "delete notification")
        budget.notifications.remove(_notification(budget, notification))

    response: Any = BudgetsResponse
    response.describe_subscribers_for_notification = describe_subscribers_for_notification
    backend: Any = BudgetsBackend
    backend.describe_notifications_for_budget = describe_notifications_for_budget
    backend.delete_notification = delete_notification


# -- budgets-tags ------------------------------------------------------------------------------
# AWS: a budget keeps the ResourceTags given to CreateBudget; ListTagsForResource, TagResource and
# UntagResource work on its ARN (arn:aws:budgets::<account>:budget/<name>); an unknown budget is a
# NotFoundException, and a deleted budget's tags go with it. moto 5 dropped ResourceTags and had
# none of the tag calls (500: the provider reads tags after every create).


def _tags(backend: Any) -> dict[str, dict[str, str]]:
    """Tags by budget ARN, kept on moto's backend (reset with it)."""
    tags: dict[str, dict[str, str]] | None = getattr(backend, "infra_shim_tags", None)
    if tags is None:
        tags = {}
        backend.infra_shim_tags = tags
    return tags


def _tagged_budget(response: Any) -> tuple[Any, str]:
    """The backend and ARN of the request's ResourceARN, which must name an existing budget."""
    from moto.budgets.exceptions import NotFoundException

    arn = str(response._get_param("ResourceARN") or "")
    parsed = parse_budget_arn(arn)
    if parsed is None:
        raise NotFoundException(f"Unable to find the resource {arn}.")
    _budget(response.backend, parsed[0], parsed[1], "find the resource")
    return response.backend, arn


@shim("budgets-tags")
def _budgets_tags() -> None:
    from moto.budgets.models import BudgetsBackend
    from moto.budgets.responses import BudgetsResponse

    original_create = BudgetsResponse.create_budget
    original_delete = BudgetsBackend.delete_budget

    def create_budget(self: Any) -> str:
        body: str = original_create(self)
        tags = self._get_param("ResourceTags") or []
        if tags:
            arn = budget_arn(
                self.partition, self._get_param("AccountId"), self._get_param("Budget")["BudgetName"]
            )
            _tags(self.backend)[arn] = {str(t["Key"]): str(t.get("Value", "")) for t in tags}
        return body

    def delete_budget(self: Any, account_id: str, budget_name: str) -> None:
        original_delete(self, account_id, budget_name)
        for arn in [a for a in _tags(self) if parse_budget_arn(a) == (account_id, budget_name)]:
            _tags(self).pop(arn)

    def list_tags_for_resource(self: Any) -> str:
        backend, arn = _tagged_budget(self)
        tags = _tags(backend).get(arn, {})
        return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in tags.items()]})

    def tag_resource(self: Any) -> str:
        backend, arn = _tagged_budget(self)
        new = {str(t["Key"]): str(t.get("Value", "")) for t in self._get_param("ResourceTags") or []}
        _tags(backend).setdefault(arn, {}).update(new)
        return "{}"

    def untag_resource(self: Any) -> str:
        backend, arn = _tagged_budget(self)
        for key in self._get_param("ResourceTagKeys") or []:
            _tags(backend).get(arn, {}).pop(key, None)
        return "{}"

    response: Any = BudgetsResponse
    response.create_budget = create_budget
    response.list_tags_for_resource = list_tags_for_resource
    response.tag_resource = tag_resource
    response.untag_resource = untag_resource
    backend: Any = BudgetsBackend
    backend.delete_budget = delete_budget


# -- budgets-update-budget ---------------------------------------------------------------------
# AWS: UpdateBudget replaces a budget's definition (limit, filters, cost types, time period) and
# keeps its notifications, spend and, when the new definition has none, its start date; an
# unknown budget is a NotFoundException. moto 5 had no UpdateBudget (500: changing the limit of an
# aws_budgets_budget failed).


def updated_definition(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The definition UpdateBudget stores: `new`, keeping the old spend and start date unless given."""
    merged = dict(new)
    old_period = old.get("TimePeriod") or {}
    period = dict(merged.get("TimePeriod") or {})
    for edge in ("Start", "End"):
        if period.get(edge) is None and old_period.get(edge) is not None:
            period[edge] = old_period[edge]
    if period:
        merged["TimePeriod"] = period
    if "CalculatedSpend" in old and "CalculatedSpend" not in merged:
        merged["CalculatedSpend"] = old["CalculatedSpend"]
    return merged


@shim("budgets-update-budget")
def _budgets_update_budget() -> None:
    from moto.budgets.exceptions import BudgetMissingLimit
    from moto.budgets.responses import BudgetsResponse
    from moto.core.utils import unix_time

    def update_budget(self: Any) -> str:
        new = self._get_param("NewBudget") or {}
        budget = _budget(
            self.backend, self._get_param("AccountId"), str(new.get("BudgetName")), "update budget"
        )
        if "BudgetLimit" not in new and "PlannedBudgetLimits" not in new:
            raise BudgetMissingLimit()
        budget.budget = updated_definition(budget.budget, new)
        budget.budget["LastUpdatedTime"] = unix_time()
        return "{}"

    response: Any = BudgetsResponse
    response.update_budget = update_budget
