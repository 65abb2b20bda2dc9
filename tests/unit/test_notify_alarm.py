"""The alarm forwarder against local HTTP servers standing in for PagerDuty and Slack, with its
secrets in moto's Secrets Manager (in process). Nothing of the subject is mocked: the handler reads
the secrets through boto3 and posts through urllib to real sockets."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator import free_port
from deployment_infra.lambdas import notify_alarm as na

REGION = "af-south-1"
ACCOUNT = "123456789012"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:ngapp-dev-monitoring-alarms"
ROUTING_KEY = "R0UTINGKEY0123456789abcdef012345"
WEBHOOK_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"


@dataclass
class Recorder:
    """An HTTP server that records JSON POSTs and answers with `status`."""

    status: int = 202
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                recorder.requests.append((self.path, json.loads(body)))
                self.send_response(recorder.status)
                self.end_headers()
                self.wfile.write(b'{"status":"success"}' if recorder.status < 300 else b"error")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pagerduty() -> Iterator[Recorder]:
    rec = Recorder(status=202).start()
    yield rec
    rec.stop()


@pytest.fixture
def slack() -> Iterator[Recorder]:
    rec = Recorder(status=200).start()
    yield rec
    rec.stop()


@pytest.fixture
def secrets(
    monkeypatch: pytest.MonkeyPatch, pagerduty: Recorder, slack: Recorder
) -> Iterator[dict[str, str]]:
    """moto's Secrets Manager holding both secrets, and the Lambda's environment pointing at them."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv(na.SECRETS_ENDPOINT_ENV, raising=False)
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name=REGION)
        arns = {
            "pagerduty": sm.create_secret(
                Name="/ngapp/dev/pagerduty", SecretString=json.dumps({"routing_key": ROUTING_KEY})
            )["ARN"],
            "slack": sm.create_secret(
                Name="/ngapp/dev/slack", SecretString=json.dumps({"webhook_url": slack.url + WEBHOOK_PATH})
            )["ARN"],
        }
        monkeypatch.setenv(na.PAGERDUTY_SECRET_ENV, arns["pagerduty"])
        monkeypatch.setenv(na.SLACK_SECRET_ENV, arns["slack"])
        monkeypatch.setenv(na.EVENTS_URL_ENV, pagerduty.url + "/v2/enqueue")
        yield arns


def alarm_message(
    state: str = "ALARM",
    severity: str | None = "page",
    name: str = "ngapp-dev-monitoring-alb-5xx",
    with_arn: bool = True,
) -> dict[str, Any]:
    """A CloudWatch alarm notification as SNS delivers it to Lambda."""
    description = "More than 10 5xx answers from the load balancer itself in 5 minutes"
    message: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": f"[{severity}] {description}" if severity else description,
        "AWSAccountId": ACCOUNT,
        "AlarmConfigurationUpdatedTimestamp": "2026-11-30T10:00:00.000+0000",
        "NewStateValue": state,
        "NewStateReason": "Threshold Crossed: 1 datapoint [42.0 (30/11/26 10:55:00)] was greater than 10.0",
        "StateChangeTime": "2026-11-30T11:00:00.000+0000",
        "Region": "Africa (Cape Town)",
        "OldStateValue": "OK" if state == "ALARM" else "ALARM",
        "Trigger": {"MetricName": "HTTPCode_ELB_5XX_Count", "Namespace": "AWS/ApplicationELB"},
    }
    if with_arn:
        message["AlarmArn"] = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    return message


def sns_event(*messages: dict[str, Any] | str, subject: str = "ALARM") -> dict[str, Any]:
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "TopicArn": TOPIC_ARN,
                    "Subject": subject,
                    "Message": m if isinstance(m, str) else json.dumps(m),
                },
            }
            for m in messages
        ]
    }


def test_a_page_alarm_triggers_pagerduty_and_posts_to_slack(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder
) -> None:
    result = na.handler(sns_event(alarm_message()), None)
    assert result == {
        "forwarded": [{"alarm": "ngapp-dev-monitoring-alb-5xx", "pagerduty": "sent", "slack": "sent"}]
    }
    [(path, event)] = pagerduty.requests
    assert path == "/v2/enqueue"
    assert event["routing_key"] == ROUTING_KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:ngapp-dev-monitoring-alb-5xx"
    payload = event["payload"]
    assert payload["severity"] == "critical"
    assert payload["source"] == event["dedup_key"]
    assert payload["summary"].startswith("ngapp-dev-monitoring-alb-5xx is ALARM: Threshold Crossed")
    assert payload["timestamp"] == "2026-11-30T11:00:00.000+0000"
    [(slack_path, post)] = slack.requests
    assert slack_path == WEBHOOK_PATH
    assert "ngapp-dev-monitoring-alb-5xx" in post["text"] and "*ALARM*" in post["text"]
    assert "[page (paged)]" in post["text"]


def test_ok_resolves_the_same_incident(secrets: dict[str, str], pagerduty: Recorder) -> None:
    na.handler(sns_event(alarm_message("ALARM")), None)
    na.handler(sns_event(alarm_message("OK")), None)
    (_, trigger), (_, resolve) = pagerduty.requests
    assert resolve == {
        "routing_key": ROUTING_KEY,
        "dedup_key": trigger["dedup_key"],
        "event_action": "resolve",
    }


@pytest.mark.parametrize(
    ("severity", "state"), [("ticket", "ALARM"), (None, "ALARM"), ("page", "INSUFFICIENT_DATA")]
)
def test_tickets_and_insufficient_data_go_to_slack_only(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder, severity: str | None, state: str
) -> None:
    result = na.handler(sns_event(alarm_message(state, severity)), None)
    assert result["forwarded"][0]["pagerduty"] == "skipped"
    assert pagerduty.requests == []
    [(_, post)] = slack.requests
    assert f"*{state}*" in post["text"]


def test_a_slack_failure_does_not_stop_the_page_nor_fail_the_invocation(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    slack.status = 500
    with caplog.at_level(logging.ERROR, logger="notify_alarm"):
        result = na.handler(sns_event(alarm_message()), None)
    assert result["forwarded"][0] == {
        "alarm": "ngapp-dev-monitoring-alb-5xx",
        "pagerduty": "sent",
        "slack": "failed",
    }
    assert len(pagerduty.requests) == 1
    assert "Slack post failed: HTTP 500" in caplog.text


def test_a_pagerduty_failure_still_posts_to_slack_then_raises(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder
) -> None:
    pagerduty.status = 503
    with pytest.raises(na.ForwardError, match="ngapp-dev-monitoring-alb-5xx"):
        na.handler(sns_event(alarm_message()), None)
    assert len(pagerduty.requests) == 1
    assert len(slack.requests) == 1


def test_an_unreachable_pagerduty_raises(
    secrets: dict[str, str], slack: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(na.EVENTS_URL_ENV, f"http://127.0.0.1:{free_port()}/v2/enqueue")  # nothing listens
    with pytest.raises(na.ForwardError):
        na.handler(sns_event(alarm_message()), None)
    assert len(slack.requests) == 1


def test_a_secret_without_its_key_fails_only_that_channel(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder
) -> None:
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=secrets["pagerduty"], SecretString=json.dumps({"integration_key": "x"})
    )
    with pytest.raises(na.ForwardError):
        na.handler(sns_event(alarm_message()), None)
    assert pagerduty.requests == []
    assert len(slack.requests) == 1


def test_a_missing_slack_secret_leaves_the_page_alone(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(na.SLACK_SECRET_ENV, secrets["slack"].replace("slack", "nope"))
    result = na.handler(sns_event(alarm_message()), None)
    assert result["forwarded"][0]["slack"] == "failed"
    assert len(pagerduty.requests) == 1 and slack.requests == []


def test_one_failed_page_among_several_records_raises_after_all_are_tried(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder
) -> None:
    pagerduty.status = 500
    with pytest.raises(na.ForwardError):
        na.handler(sns_event(alarm_message(severity="ticket", name="a"), alarm_message(name="b")), None)
    assert [p["dedup_key"].rsplit(":", 1)[1] for _, p in pagerduty.requests] == ["b"]
    assert len(slack.requests) == 2


def test_records_that_are_not_alarms_are_skipped(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder
) -> None:
    result = na.handler(sns_event("not json", {"hello": "world"}), None)
    assert [r["error"] for r in result["forwarded"]] == [
        "SNS message is not JSON: not a CloudWatch alarm notification",
        "SNS message has no AlarmName/NewStateValue: not a CloudWatch alarm notification",
    ]
    assert pagerduty.requests == [] and slack.requests == []


def test_without_alarm_arn_the_dedup_key_is_built_from_the_topic(
    secrets: dict[str, str], pagerduty: Recorder
) -> None:
    na.handler(sns_event(alarm_message(with_arn=False, name="x")), None)
    [(_, event)] = pagerduty.requests
    assert event["dedup_key"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:x"


def test_no_secret_value_is_logged(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    pagerduty.status = 400
    slack.status = 404
    with caplog.at_level(logging.DEBUG, logger="notify_alarm"), pytest.raises(na.ForwardError) as raised:
        na.handler(sns_event(alarm_message()), None)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name == "notify_alarm")
    assert "PagerDuty event failed: HTTP 400" in ours
    for text in (ours, str(raised.value)):
        assert ROUTING_KEY not in text and WEBHOOK_PATH not in text


def test_the_default_events_url_is_pagerdutys() -> None:
    assert na.DEFAULT_EVENTS_URL == "https://events.pagerduty.com/v2/enqueue"


@settings(max_examples=100)
@given(
    description=st.text(max_size=200),
    prefix=st.sampled_from(["[page]", "[PAGE]", "  [page] ", "[ticket]", "[Ticket]", ""]),
    state=st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA"]),
    reason=st.text(max_size=3000),
)
def test_parsing_any_alarm_message(description: str, prefix: str, state: str, reason: str) -> None:
    """Severity comes only from the marker (no marker: ticket), the summary fits PagerDuty, and only
    page alarms going to ALARM or OK produce an event."""
    message = {**alarm_message(state), "AlarmDescription": prefix + description, "NewStateReason": reason}
    alarm = na.parse_record(sns_event(message)["Records"][0])
    expected = prefix.strip().lower().strip("[]") or "ticket"
    assert alarm.severity == expected
    assert len(alarm.summary) <= na.SUMMARY_MAX
    event = na.pagerduty_event(alarm, "k")
    if expected == "page" and state in ("ALARM", "OK"):
        assert event is not None
        assert event["event_action"] == ("trigger" if state == "ALARM" else "resolve")
        assert event["dedup_key"] == alarm.arn
    else:
        assert event is None


# -- AWS Budgets alerts (terraform/modules/cost subscribes the forwarder to its topic) ------------

BUDGET_SUBJECT = "AWS Budgets: ngapp-dev-monthly has exceeded your alert threshold"


def budget_message(alert_type: str = "Actual", extra: str = "") -> str:
    """An AWS Budgets alert as SNS delivers it: plain text, not JSON."""
    amount = "Actual Amount: $128.40" if alert_type == "Actual" else "Forecasted Amount: $171.02"
    return (
        "AWS Budget Notification November 30, 2026\n"
        f"AWS Account {ACCOUNT}\n\n"
        "Dear AWS Customer,\n\n"
        f"You requested that we alert you when the {alert_type} Cost associated with your "
        "ngapp-dev-monthly budget is greater than $120.00 for the current month. "
        f"{extra}\n\n"
        "Budget Name: ngapp-dev-monthly\n"
        "Budget Type: Cost\n"
        "Budgeted Amount: $150.00\n"
        f"Alert Type: {alert_type}\n"
        "Alert Threshold: > $120.00\n"
        f"{amount}\n\n"
        "[1] https://console.aws.amazon.com/billing/home#/budgets\n"
    )


@pytest.mark.parametrize("alert_type", ["Actual", "Forecasted"])
def test_a_budget_alert_is_a_slack_ticket_and_never_a_page(
    secrets: dict[str, str], pagerduty: Recorder, slack: Recorder, alert_type: str
) -> None:
    result = na.handler(sns_event(budget_message(alert_type), subject=BUDGET_SUBJECT), None)
    assert result == {"forwarded": [{"alarm": "ngapp-dev-monthly", "pagerduty": "skipped", "slack": "sent"}]}
    assert pagerduty.requests == []
    [(_, post)] = slack.requests
    text = post["text"]
    assert "*ngapp-dev-monthly* [ticket]" in text and BUDGET_SUBJECT in text
    assert f"Alert Type: {alert_type}" in text and "Alert Threshold: > $120.00" in text
    assert "Budgeted Amount: $150.00" in text
    assert ("Actual Amount: $128.40" if alert_type == "Actual" else "Forecasted Amount: $171.02") in text


def test_a_budget_alert_is_parsed_from_its_body_and_topic() -> None:
    alarm = na.parse_record(sns_event(budget_message(), subject="")["Records"][0])
    assert (alarm.name, alarm.severity, alarm.source) == ("ngapp-dev-monthly", "ticket", "budgets")
    assert alarm.arn == f"arn:aws:budgets::{ACCOUNT}:budget/ngapp-dev-monthly"
    assert alarm.region == REGION
    assert na.pagerduty_event(alarm, "k") is None


def test_a_budget_alert_without_a_body_takes_its_name_from_the_subject() -> None:
    alarm = na.parse_record(sns_event("", subject=BUDGET_SUBJECT)["Records"][0])
    assert alarm.name == "ngapp-dev-monthly" and alarm.reason == BUDGET_SUBJECT
    with pytest.raises(ValueError, match="names no budget"):
        na.parse_record(sns_event("", subject="AWS Budgets:")["Records"][0])


@settings(max_examples=100)
@given(
    extra=st.text(max_size=500),
    alert_type=st.sampled_from(["Actual", "Forecasted"]),
    marker=st.sampled_from(["", "[page] ", "[PAGE]", "[ticket]"]),
)
def test_no_budget_alert_ever_pages(extra: str, alert_type: str, marker: str) -> None:
    """Whatever a budget alert's text holds (a "[page]" marker included), it is a ticket."""
    record = sns_event(budget_message(alert_type, marker + extra), subject=marker + BUDGET_SUBJECT)[
        "Records"
    ][0]
    # with a marker the subject no longer starts with "AWS Budgets:": the body still tells
    alarm = na.parse_record(record)
    assert alarm.source == "budgets" and alarm.severity == "ticket"
    assert not na.pages(alarm) and na.pagerduty_event(alarm, "k") is None
    assert len(alarm.reason) <= na.SUMMARY_MAX
