"""Slack notifications of deploys and rollbacks: Block Kit through slack-sdk's incoming-webhook client.

The webhook URL lives in Secrets Manager ("<secret_prefix>/monitoring/slack", JSON key "webhook_url",
the secret the monitoring alarms use too). A notification is best effort: nothing here raises for a
missing secret, a bad URL or Slack being down; the reason is returned and logged as a warning, and the
deploy's outcome stays what it was. The URL is a credential, so no message or log line contains it.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError
from slack_sdk.webhook import WebhookClient

from deployment_infra.deploy.service import ServiceRef

log = logging.getLogger(__name__)
# slack-sdk logs every failed request at ERROR on its own logger; we log one warning instead
_SDK_LOG = logging.getLogger(f"{__name__}.slack_sdk")
_SDK_LOG.setLevel(logging.CRITICAL)

WEBHOOK_KEY = "webhook_url"
Action = Literal["deploy", "rollback"]
Outcome = Literal["succeeded", "failed", "rolled back"]
ACTIONS: tuple[str, ...] = ("deploy", "rollback")
OUTCOMES: tuple[str, ...] = ("succeeded", "failed", "rolled back")
EMOJI = {"succeeded": ":white_check_mark:", "failed": ":x:", "rolled back": ":leftwards_arrow_with_hook:"}
_HEADER_MAX = 150  # Block Kit limits: header text, section field, section text, button URL
_FIELD_MAX = 2000
_TEXT_MAX = 3000
_URL_MAX = 3000


@dataclass(frozen=True)
class DeployEvent:
    """What happened: one deploy or rollback of one environment, and how it ended."""

    environment: str
    action: Action
    version: str
    actor: str
    outcome: Outcome
    duration_s: float
    link: str | None = None  # e.g. the workflow run; a button when it is an http(s) URL
    detail: str = ""  # e.g. the failed smoke check, or the release rolled back to

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {self.action!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, got {self.outcome!r}")


@dataclass(frozen=True)
class NotifyResult:
    sent: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "detail": self.detail}


def secret_id(ref: ServiceRef) -> str:
    """The Secrets Manager secret holding the environment's Slack webhook."""
    return f"{ref.secret_prefix}/monitoring/slack"


# ------------------------------------------------------------------------------------------- message


def _escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def duration(seconds: float) -> str:
    """42.3 s -> "42s", 83 -> "1m 23s", 3725 -> "1h 2m 5s"."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m {secs}s"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"


def _title(event: DeployEvent) -> str:
    return f"{event.action.capitalize()} {event.outcome}: {event.environment} {event.version}"


def text(event: DeployEvent) -> str:
    """The plain-text fallback (notifications, clients without Block Kit)."""
    line = f"{_title(event)} by {event.actor} in {duration(event.duration_s)}"
    return _cut(f"{line}. {event.detail}" if event.detail else line, _TEXT_MAX)


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(value) <= _URL_MAX


def blocks(event: DeployEvent) -> list[dict[str, Any]]:
    """Block Kit: a header, the five fields, the detail when there is one, a button to the link."""

    def field(name: str, value: str) -> dict[str, str]:
        return {"type": "mrkdwn", "text": _cut(f"*{name}*\n{_escape(value)}", _FIELD_MAX)}

    header = _cut(f"{EMOJI[event.outcome]} {_title(event)}", _HEADER_MAX)
    result: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {
            "type": "section",
            "fields": [
                field("Environment", event.environment),
                field("Version", event.version),
                field("Actor", event.actor),
                field("Outcome", f"{event.action} {event.outcome}"),
                field("Duration", duration(event.duration_s)),
            ],
        },
    ]
    if event.detail:
        result.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _cut(_escape(event.detail), _TEXT_MAX)}}
        )
    if event.link and _is_web_url(event.link):
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "View run", "emoji": False},
            "url": event.link,
        }
        result.append({"type": "actions", "elements": [button]})
    elif event.link:
        # Slack rejects the whole message for a button with a bad URL: show it as text instead
        context = {"type": "mrkdwn", "text": _cut(_escape(event.link), _TEXT_MAX)}
        result.append({"type": "context", "elements": [context]})
    return result


# ------------------------------------------------------------------------------------------- webhook


def _webhook_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook (None if it can): https, or http to loopback (local tests)."""
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError:
        return "the webhook URL is not a valid URL"
    if not host:
        return "the webhook URL has no host"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http":
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        return None if loopback else "the webhook URL must be https (http only to loopback)"
    return "the webhook URL must be https"


def webhook_url_from_secret(secretsmanager: Any, secret: str) -> tuple[str | None, str]:
    """(URL, "") from the secret's JSON key "webhook_url" or its plain-string value; (None, reason)
    when the secret, the key or a usable URL is missing. Never raises."""
    try:
        value = secretsmanager.get_secret_value(SecretId=secret)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        if code == "ResourceNotFoundException":
            return None, f"secret {secret} does not exist"
        return None, f"cannot read secret {secret}: {code}"
    except BotoCoreError as exc:  # no endpoint, no credentials: no webhook either
        return None, f"cannot read secret {secret}: {type(exc).__name__}"
    raw = value.get("SecretString")
    if not isinstance(raw, str) or not raw.strip():
        return None, f"secret {secret} has no string value"
    url = raw.strip()
    if url.startswith("{"):
        try:
            doc = json.loads(url)
        except ValueError:
            return None, f"secret {secret} is neither JSON nor a URL"
        found = doc.get(WEBHOOK_KEY) if isinstance(doc, dict) else None
        if not isinstance(found, str) or not found.strip():
            return None, f"secret {secret} has no {WEBHOOK_KEY!r} key"
        url = found.strip()
    problem = _webhook_problem(url)
    if problem is not None:
        return None, f"secret {secret}: {problem}"
    return url, ""


def notify(event: DeployEvent, webhook_url: str | None, *, timeout_s: int = 5) -> NotifyResult:
    """Post the event to Slack. Never raises: a failure is NotifyResult(False, reason) and a warning."""
    if webhook_url is None:
        return _failed(event, "no webhook configured")
    problem = _webhook_problem(webhook_url)
    if problem is not None:
        return _failed(event, problem)
    # no retry handlers: a deploy waits at most timeout_s for its notification
    client = WebhookClient(webhook_url, timeout=timeout_s, logger=_SDK_LOG, retry_handlers=[])
    try:
        response = client.send(text=text(event), blocks=blocks(event))
    except Exception as exc:  # urllib's URLError, a reset connection, anything: never fail a deploy
        reason = getattr(exc, "reason", exc)  # URLError wraps the socket error
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
            return _failed(event, f"Slack did not answer within {timeout_s} s")
        return _failed(event, " ".join(f"cannot reach Slack: {reason}".split())[:300])
    if response.status_code != 200:
        body = " ".join(str(response.body).split())[:200]
        return _failed(event, f"Slack answered HTTP {response.status_code}: {body}")
    return NotifyResult(True, f"sent to Slack ({event.outcome})")


def _failed(event: DeployEvent, reason: str) -> NotifyResult:
    log.warning("Slack notification of %s not sent: %s", _title(event), reason)
    return NotifyResult(False, reason)
