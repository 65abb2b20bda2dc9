"""The alarm forwarder: CloudWatch alarm notifications (through SNS) to PagerDuty and Slack.

terraform/modules/monitoring subscribes this function to its alarm topic. Each SNS record holds a
CloudWatch alarm state change as JSON (AlarmName, AlarmArn, AlarmDescription, NewStateValue, ...).
terraform/modules/cost subscribes it to the budget alert topic too: AWS Budgets publishes plain
text (subject "AWS Budgets: <budget> has exceeded your alert threshold", a body of "Key: Value"
lines). A budget alert is always a ticket, posted to Slack and never paged, whatever its text says.

Severity: an alarm's tags are not in the message, so the module also starts every description
with "[page]" or "[ticket]". A "[page]" alarm triggers a PagerDuty incident (Events API v2) when it
goes to ALARM and resolves it when it returns to OK, with the alarm's ARN as dedup_key, so SNS
retries and repeated notifications never open a second incident. Every alarm, whatever its
severity and state, is posted to Slack. An alarm without a marker is treated as "ticket" (Slack
only) and logged: paging is opt-in.

The PagerDuty routing key and the Slack webhook URL come from Secrets Manager (JSON keys
`routing_key` and `webhook_url` of the secrets named by $PAGERDUTY_SECRET_ARN and
$SLACK_SECRET_ARN), read per invocation so a rotated value is used at once. $PAGERDUTY_EVENTS_URL
overrides the Events API endpoint; $SECRETS_MANAGER_ENDPOINT the Secrets Manager one.

The two channels are independent: a Slack failure never stops a page and vice versa. Failures are
logged; the handler raises only when a page could not be delivered, so that Lambda retries the
(asynchronous) SNS invocation. A retry may post to Slack again; the page itself is deduplicated.
Nothing here logs a secret value. Standard library only, plus boto3 from the Lambda runtime.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger("notify_alarm")
LOG.setLevel(logging.INFO)

PAGERDUTY_SECRET_ENV = "PAGERDUTY_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
SLACK_SECRET_ENV = "SLACK_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
EVENTS_URL_ENV = "PAGERDUTY_EVENTS_URL"
SECRETS_ENDPOINT_ENV = "SECRETS_MANAGER_ENDPOINT"
DEFAULT_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"

PAGE, TICKET = "page", "ticket"
CLOUDWATCH, BUDGETS = "cloudwatch", "budgets"
BUDGETS_SUBJECT_PREFIX = "AWS Budgets:"
BUDGETS_BODY_PREFIX = "AWS Budget Notification"
# "Key: Value" lines of a Budgets message, in the order the Slack post shows them
BUDGETS_FIELDS = ("Alert Type", "Alert Threshold", "Actual Amount", "Forecasted Amount", "Budgeted Amount")
ALARM, OK, INSUFFICIENT_DATA = "ALARM", "OK", "INSUFFICIENT_DATA"
HTTP_TIMEOUT_S = 10.0
SUMMARY_MAX = 1024  # PagerDuty truncates payload.summary at 1024 characters
SLACK_ICONS = {ALARM: ":red_circle:", OK: ":large_green_circle:", INSUFFICIENT_DATA: ":white_circle:"}


class ForwardError(Exception):
    """A notification could not be delivered (raised for pages only: Lambda then retries)."""


@dataclass(frozen=True)
class Alarm:
    """What the forwarder needs from one CloudWatch alarm notification."""

    name: str
    arn: str
    state: str
    previous_state: str
    reason: str
    description: str
    severity: str
    changed_at: str | None
    region: str
    source: str = CLOUDWATCH

    @property
    def summary(self) -> str:
        return f"{self.name} is {self.state}: {self.reason}"[:SUMMARY_MAX]


def severity_of(description: str) -> str | None:
    """ "page" or "ticket" from a description's "[page]" / "[ticket]" prefix; None without one."""
    text = description.lstrip().lower()
    for severity in (PAGE, TICKET):
        if text.startswith(f"[{severity}]"):
            return severity
    return None


def is_budget_notification(sns: Mapping[str, Any]) -> bool:
    """Is this SNS message an AWS Budgets alert? (Its subject, or the first line of its body.)"""
    subject = str(sns.get("Subject") or "").strip()
    body = str(sns.get("Message") or "").lstrip()
    return subject.startswith(BUDGETS_SUBJECT_PREFIX) or body.startswith(BUDGETS_BODY_PREFIX)


def parse_budget_message(sns: Mapping[str, Any]) -> Alarm:
    """An AWS Budgets alert as a ticket Alarm (state ALARM); ValueError when it names no budget."""
    subject = str(sns.get("Subject") or "").strip()
    fields: dict[str, str] = {}
    account = ""
    for line in str(sns.get("Message") or "").splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() in (*BUDGETS_FIELDS, "Budget Name"):
            fields[key.strip()] = value.strip()
        elif line.strip().startswith("AWS Account "):
            account = line.strip().removeprefix("AWS Account ").strip()
    # "AWS Budgets: <name> has exceeded your alert threshold" (or "is forecasted to exceed ...")
    from_subject = subject.removeprefix(BUDGETS_SUBJECT_PREFIX).strip()
    for ending in (" has exceeded", " is forecasted", " is forecast"):
        from_subject = from_subject.split(ending, 1)[0]
    name = fields.get("Budget Name") or from_subject.strip()
    if not name:
        raise ValueError("AWS Budgets message names no budget")
    topic = str(sns.get("TopicArn", "")).split(":")
    partition = topic[1] if len(topic) > 5 else "aws"
    account = account or (topic[4] if len(topic) > 5 else "")
    reason = ", ".join(f"{k}: {fields[k]}" for k in BUDGETS_FIELDS if k in fields)
    return Alarm(
        name=name,
        arn=f"arn:{partition}:budgets::{account}:budget/{name}",
        state=ALARM,
        previous_state="",
        reason=(reason or subject)[:SUMMARY_MAX],
        description=subject or f"AWS Budgets: {name}",
        severity=TICKET,  # spending is a ticket: nobody is woken up for it
        changed_at=str(sns["Timestamp"]) if sns.get("Timestamp") else None,
        region=topic[3] if len(topic) > 5 else "",
        source=BUDGETS,
    )


def parse_record(record: Mapping[str, Any]) -> Alarm:
    """One SNS record of an alarm topic as an Alarm; ValueError when it is not an alarm message."""
    sns = record.get("Sns")
    if not isinstance(sns, Mapping):
        raise ValueError("record has no Sns object")
    if is_budget_notification(sns):
        return parse_budget_message(sns)
    try:
        message = json.loads(str(sns.get("Message", "")))
    except json.JSONDecodeError:
        raise ValueError("SNS message is not JSON: not a CloudWatch alarm notification") from None
    if not isinstance(message, Mapping) or not message.get("AlarmName") or not message.get("NewStateValue"):
        raise ValueError("SNS message has no AlarmName/NewStateValue: not a CloudWatch alarm notification")
    name = str(message["AlarmName"])
    # The topic is in the alarm's account and region: "arn:<partition>:sns:<region>:<account>:<topic>"
    topic = str(sns.get("TopicArn", "")).split(":")
    region = topic[3] if len(topic) > 5 else ""
    arn = str(message.get("AlarmArn") or "")
    if not arn:
        account = str(message.get("AWSAccountId") or (topic[4] if len(topic) > 5 else ""))
        partition = topic[1] if len(topic) > 5 else "aws"
        arn = f"arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"
    description = str(message.get("AlarmDescription") or "")
    severity = severity_of(description)
    if severity is None:
        LOG.warning("alarm %s has no [page]/[ticket] marker in its description: treated as ticket", name)
    return Alarm(
        name=name,
        arn=arn,
        state=str(message["NewStateValue"]),
        previous_state=str(message.get("OldStateValue") or ""),
        reason=str(message.get("NewStateReason") or ""),
        description=description,
        severity=severity or TICKET,
        changed_at=str(message["StateChangeTime"]) if message.get("StateChangeTime") else None,
        region=region,
    )


def pages(alarm: Alarm) -> bool:
    """Does this change reach PagerDuty? Page alarms going to ALARM (trigger) or OK (resolve); never
    a budget alert."""
    return alarm.source != BUDGETS and alarm.severity == PAGE and alarm.state in (ALARM, OK)


def pagerduty_event(alarm: Alarm, routing_key: str) -> dict[str, Any] | None:
    """The Events API v2 event for a page alarm's change: trigger on ALARM, resolve on OK, else None."""
    if not pages(alarm):
        return None
    event: dict[str, Any] = {"routing_key": routing_key, "dedup_key": alarm.arn}
    if alarm.state == OK:
        return {**event, "event_action": "resolve"}
    payload: dict[str, Any] = {
        "summary": alarm.summary,
        "source": alarm.arn,
        "severity": "critical",
        "component": alarm.name,
        "custom_details": {
            "description": alarm.description,
            "reason": alarm.reason,
            "previous_state": alarm.previous_state,
            "region": alarm.region,
        },
    }
    if alarm.changed_at:
        payload["timestamp"] = alarm.changed_at
    return {**event, "event_action": "trigger", "payload": payload}


def slack_message(alarm: Alarm) -> dict[str, Any]:
    """The Slack incoming-webhook message for any alarm change or budget alert."""
    if alarm.source == BUDGETS:
        head = f":money_with_wings: *{alarm.name}* [{alarm.severity}]"
        return {"text": f"{head}\n{alarm.description}\n{alarm.reason}"}
    icon = SLACK_ICONS.get(alarm.state, ":grey_question:")
    paged = " (paged)" if pages(alarm) else ""
    text = (
        f"{icon} *{alarm.name}* {alarm.previous_state or '?'} → *{alarm.state}* [{alarm.severity}{paged}]\n"
        f"{alarm.description}\n{alarm.reason}"
    )
    return {"text": text}


def post_json(url: str, body: Mapping[str, Any]) -> int:
    """POST `body` as JSON; the HTTP status, or ForwardError for anything but 2xx."""
    if not url.startswith(("https://", "http://")):
        raise ForwardError("the notification URL is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise ForwardError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ForwardError(f"request failed: {getattr(exc, 'reason', exc)}") from None
    if not 200 <= status < 300:
        raise ForwardError(f"HTTP {status}")
    return status


def secret_field(secret_arn: str, key: str) -> str:
    """JSON key `key` of the secret's AWSCURRENT value; ForwardError when missing or unreadable."""
    import boto3  # the Lambda runtime provides it; imported on use so the zip check needs none

    endpoint = os.environ.get(SECRETS_ENDPOINT_ENV) or None
    try:
        value = boto3.client("secretsmanager", endpoint_url=endpoint).get_secret_value(SecretId=secret_arn)
        parsed = json.loads(value.get("SecretString") or "")
    except json.JSONDecodeError:
        raise ForwardError(f"secret {secret_arn} is not a JSON object") from None
    except Exception as exc:  # botocore's errors: ClientError, EndpointConnectionError...
        raise ForwardError(f"cannot read secret {secret_arn}: {type(exc).__name__}") from None
    field = parsed.get(key) if isinstance(parsed, dict) else None
    if not isinstance(field, str) or not field:
        raise ForwardError(f"secret {secret_arn} has no {key!r}")
    return field


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ForwardError(f"${name} is not set")
    return value


def page(alarm: Alarm) -> bool:
    """Send the PagerDuty event the alarm needs, if any; True when sent."""
    if not pages(alarm):
        return False
    event = pagerduty_event(alarm, secret_field(required_env(PAGERDUTY_SECRET_ENV), "routing_key"))
    if event is None:  # pages(alarm) said otherwise; kept for the type checker
        return False
    post_json(os.environ.get(EVENTS_URL_ENV) or DEFAULT_EVENTS_URL, event)
    return True


def notify_slack(alarm: Alarm) -> None:
    post_json(secret_field(required_env(SLACK_SECRET_ENV), "webhook_url"), slack_message(alarm))


def forward(alarm: Alarm) -> dict[str, str]:
    """Page (when due) and post to Slack, each whatever happens to the other; the outcome per channel."""
    outcome: dict[str, str] = {}
    try:
        outcome["pagerduty"] = "sent" if page(alarm) else "skipped"
    except Exception as exc:
        outcome["pagerduty"] = "failed"
        LOG.error("alarm %s: the PagerDuty event failed: %s", alarm.name, exc)
    try:
        notify_slack(alarm)
        outcome["slack"] = "sent"
    except Exception as exc:
        outcome["slack"] = "failed"
        LOG.error("alarm %s: the Slack post failed: %s", alarm.name, exc)
    LOG.info(
        "alarm %s %s [%s]: pagerduty %s, slack %s",
        alarm.name,
        alarm.state,
        alarm.severity,
        outcome["pagerduty"],
        outcome["slack"],
    )
    return outcome


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point (SNS event). Raises ForwardError if any page failed, after trying all."""
    results: list[dict[str, str]] = []
    failed_pages: list[str] = []
    for record in event.get("Records") or []:
        try:
            alarm = parse_record(record)
        except ValueError as exc:
            # Not retryable: the same message would fail again.
            LOG.error("skipped a record: %s", exc)
            results.append({"error": str(exc)})
            continue
        outcome = forward(alarm)
        results.append({"alarm": alarm.name, **outcome})
        if outcome["pagerduty"] == "failed":
            failed_pages.append(alarm.name)
    if failed_pages:
        raise ForwardError(f"page not delivered for {', '.join(failed_pages)}: retrying")
    return {"forwarded": results}
