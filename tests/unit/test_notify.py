"""Deploy notifications through slack-sdk's webhook client to real local HTTP servers (answering 200 or
500, hanging, or not listening at all), and the webhook URL read from moto's Secrets Manager (in
process). Nothing of the subject is mocked."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.deploy import notify as nt
from deployment_infra.deploy.notify import DeployEvent, NotifyResult, notify, webhook_url_from_secret
from deployment_infra.deploy.service import ServiceRef
from deployment_infra.emulator import free_port

REGION = "af-south-1"
HOOK_PATH = "/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
EVENT = DeployEvent(
    environment="prod",
    action="deploy",
    version="3f9c2ab",
    actor="octocat",
    outcome="succeeded",
    duration_s=83.4,
    link="https://github.com/acme/app/actions/runs/42",
)


@dataclass
class Slack:
    """A stand-in for Slack's webhook endpoint: records JSON POSTs, answers `status` and `body`."""

    status: int = 200
    body: bytes = b"ok"
    posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{HOOK_PATH}"

    def start(self) -> Slack:
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                slack.posts.append((self.path, json.loads(data)))
                self.send_response(slack.status)
                self.send_header("Content-Length", str(len(slack.body)))
                self.end_headers()
                self.wfile.write(slack.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack() -> Iterator[Slack]:
    server = Slack().start()
    yield server
    server.stop()


def fields_of(blocks: list[dict[str, Any]]) -> dict[str, str]:
    section = next(b for b in blocks if b["type"] == "section" and "fields" in b)
    return dict(f["text"].split("\n", 1) for f in section["fields"])


# ------------------------------------------------------------------------------------------- sending


def test_sent_message_has_header_fields_and_link_button(slack: Slack) -> None:
    result = notify(EVENT, slack.url)
    assert result == NotifyResult(True, "sent to Slack (succeeded)")
    [(path, body)] = slack.posts
    assert path == HOOK_PATH
    assert body["text"] == "Deploy succeeded: prod 3f9c2ab by octocat in 1m 23s"
    header, _, actions = body["blocks"]
    assert header["type"] == "header"
    assert header["text"]["text"] == ":white_check_mark: Deploy succeeded: prod 3f9c2ab"
    assert fields_of(body["blocks"]) == {
        "*Environment*": "prod",
        "*Version*": "3f9c2ab",
        "*Actor*": "octocat",
        "*Outcome*": "deploy succeeded",
        "*Duration*": "1m 23s",
    }
    assert actions["type"] == "actions"
    assert actions["elements"][0]["url"] == EVENT.link


def test_failed_rollback_with_detail_and_no_link(slack: Slack) -> None:
    event = DeployEvent(
        "staging", "rollback", "v<2>", "ci & bot", "failed", 3725, None, "smoke: <health> 503"
    )
    assert notify(event, slack.url).sent
    [(_, body)] = slack.posts
    types = [b["type"] for b in body["blocks"]]
    assert types == ["header", "section", "section"]  # no button without a link
    assert body["blocks"][0]["text"]["text"].startswith(":x: Rollback failed: staging")
    assert fields_of(body["blocks"])["*Actor*"] == "ci &amp; bot"  # mrkdwn control characters escaped
    assert fields_of(body["blocks"])["*Duration*"] == "1h 2m 5s"
    assert body["blocks"][2]["text"]["text"] == "smoke: &lt;health&gt; 503"
    assert body["text"].endswith(". smoke: <health> 503")


def test_link_that_is_not_a_url_is_context_text_not_a_button() -> None:
    event = DeployEvent("dev", "deploy", "v1", "me", "rolled back", 5, link="run 42")
    last = nt.blocks(event)[-1]
    assert last == {"type": "context", "elements": [{"type": "mrkdwn", "text": "run 42"}]}
    assert nt.blocks(event)[0]["text"]["text"].startswith(":leftwards_arrow_with_hook:")


def test_slack_answering_500_is_not_sent_and_logged(slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    slack.status, slack.body = 500, b"internal_error"
    with caplog.at_level(logging.WARNING, logger=nt.__name__):
        result = notify(EVENT, slack.url)
    assert result == NotifyResult(False, "Slack answered HTTP 500: internal_error")
    assert len(slack.posts) == 1  # no retry
    assert "not sent: Slack answered HTTP 500" in caplog.text
    assert HOOK_PATH not in caplog.text  # the URL is a credential


def test_closed_port_is_not_sent_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{free_port()}{HOOK_PATH}"
    with caplog.at_level(logging.WARNING):
        result = notify(EVENT, url)
    assert not result.sent
    assert result.detail.startswith("cannot reach Slack:")
    assert "refused" in result.detail.lower()
    assert HOOK_PATH not in result.detail + caplog.text
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # ours; slack-sdk's ERROR is silenced


def test_hanging_slack_times_out() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}{HOOK_PATH}"
        started = time.monotonic()
        result = notify(EVENT, url, timeout_s=1)
    assert time.monotonic() - started < 3
    assert result == NotifyResult(False, "Slack did not answer within 1 s")


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (None, "no webhook configured"),
        ("hooks.slack.com/services/x", "the webhook URL has no host"),
        ("http://hooks.slack.com/services/x", "must be https (http only to loopback)"),
        ("ftp://hooks.slack.com/x", "must be https"),
        ("https://[::1", "not a valid URL"),
    ],
)
def test_missing_or_unusable_url_is_not_sent(url: str | None, detail: str) -> None:
    result = notify(EVENT, url)
    assert not result.sent
    assert detail in result.detail


def test_event_rejects_unknown_action_or_outcome() -> None:
    with pytest.raises(ValueError, match="outcome"):
        DeployEvent("dev", "deploy", "v1", "me", "done", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="action"):
        DeployEvent("dev", "redeploy", "v1", "me", "failed", 1)  # type: ignore[arg-type]


@settings(max_examples=100)
@given(
    env=st.text(min_size=1, max_size=300),
    version=st.text(min_size=1, max_size=300),
    actor=st.text(min_size=1, max_size=3000),
    detail=st.text(max_size=5000),
    seconds=st.floats(min_value=0, max_value=1e7),
    outcome=st.sampled_from(nt.OUTCOMES),
)
def test_blocks_stay_within_block_kit_limits(
    *, env: str, version: str, actor: str, detail: str, seconds: float, outcome: nt.Outcome
) -> None:
    event = DeployEvent(env, "deploy", version, actor, outcome, seconds, "https://x.example/run", detail)
    blocks = nt.blocks(event)
    assert len(blocks[0]["text"]["text"]) <= 150
    assert all(len(f["text"]) <= 2000 for f in blocks[1]["fields"])
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks[2:] if b["type"] == "section")
    assert len(nt.text(event)) <= 3000
    assert blocks[-1]["type"] == "actions"
    json.dumps(blocks)


# ------------------------------------------------------------------------------------------- secrets


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name=REGION)


def test_secret_id_is_the_monitoring_slack_secret() -> None:
    assert nt.secret_id(ServiceRef("ngapp", "prod", "api", REGION)) == "/ngapp/prod/monitoring/slack"


def test_webhook_from_json_secret_then_sent(secretsmanager: Any, slack: Slack) -> None:
    name = nt.secret_id(ServiceRef("ngapp", "dev", "api", REGION))
    secretsmanager.create_secret(Name=name, SecretString=json.dumps({"webhook_url": slack.url}))
    url, reason = webhook_url_from_secret(secretsmanager, name)
    assert (url, reason) == (slack.url, "")
    assert notify(EVENT, url).sent
    assert len(slack.posts) == 1


def test_webhook_from_plain_string_secret(secretsmanager: Any) -> None:
    hook = "https://hooks.slack.com" + HOOK_PATH
    secretsmanager.create_secret(Name="/ngapp/dev/monitoring/slack", SecretString=f"  {hook}\n")
    assert webhook_url_from_secret(secretsmanager, "/ngapp/dev/monitoring/slack") == (hook, "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "secret /ngapp/dev/monitoring/slack does not exist"),
        (
            '{"url": "https://hooks.slack.com/x"}',
            "secret /ngapp/dev/monitoring/slack has no 'webhook_url' key",
        ),
        ('{"webhook_url": ""}', "has no 'webhook_url' key"),
        ("{not json", "is neither JSON nor a URL"),
        ('{"webhook_url": "http://hooks.slack.com/x"}', "must be https (http only to loopback)"),
        ("just words", "the webhook URL has no host"),
    ],
)
def test_unusable_secret_is_none_with_reason(secretsmanager: Any, value: str | None, reason: str) -> None:
    name = "/ngapp/dev/monitoring/slack"
    if value is not None:
        secretsmanager.create_secret(Name=name, SecretString=value)
    url, why = webhook_url_from_secret(secretsmanager, name)
    assert url is None
    assert reason in why
    assert "hooks.slack.com" not in why  # a reason never repeats the URL


def test_unreachable_secrets_manager_is_none_with_reason() -> None:
    client = boto3.client(
        "secretsmanager",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    url, why = webhook_url_from_secret(client, "/ngapp/dev/monitoring/slack")
    assert url is None
    assert why == "cannot read secret /ngapp/dev/monitoring/slack: EndpointConnectionError"
