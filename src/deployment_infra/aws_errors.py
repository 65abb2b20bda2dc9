"""AWS failures as one line: a botocore error that escapes a command, or the Terraform provider's.

Stdlib only at import time: cli.py imports this, and `infra --help` must not import botocore.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple

# The error codes the AWS SDKs treat as throttling (botocore's standard retry mode; the Go SDK v2
# used by the Terraform provider has the same list).
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
SERVICE_KEY = "ServiceName"  # added to an error's ResponseMetadata by aws_retry.install()
MAX_MESSAGE = 300


def is_throttling(code: str | None, status: int | None = None) -> bool:
    return code in THROTTLING_CODES or status == 429


def describe_aws_error(exc: BaseException) -> str | None:
    """'AWS ssm GetParameter throttled after 4 attempts: ThrottlingException: Rate exceeded' for a
    botocore error, None for anything else."""
    exceptions = sys.modules.get("botocore.exceptions")
    if exceptions is None:  # botocore never imported: this cannot be one of its errors
        return None
    if isinstance(exc, exceptions.ClientError):
        response = exc.response if isinstance(exc.response, dict) else {}
        error = response.get("Error") or {}
        meta = response.get("ResponseMetadata") or {}
        code = str(error.get("Code") or "UnknownError")
        status = meta.get("HTTPStatusCode")
        attempts = int(meta.get("RetryAttempts") or 0) + 1
        call = " ".join(p for p in (str(meta.get(SERVICE_KEY) or ""), exc.operation_name or "") if p)
        verb = "throttled" if is_throttling(code, status) else "failed"
        after = f" after {attempts} attempts" if attempts > 1 else ""
        return f"AWS {call or 'request'} {verb}{after}: {code}: {_one_line(str(error.get('Message') or ''))}"
    if isinstance(exc, exceptions.BotoCoreError):
        return f"AWS request failed: {_one_line(str(exc)) or type(exc).__name__}"
    return None


# The Go SDK v2's error in a terraform diagnostic, e.g. "Error: creating SSM Parameter (/x): operation
# error SSM: PutParameter, exceeded maximum number of attempts, 2, https response error StatusCode:
# 503, RequestID: 8e39..., api error ServiceUnavailable: Service Unavailable"
_GO_SDK_ERROR = re.compile(
    r"^(?:(?P<action>.*?): )?operation error (?P<service>[^:]+): (?P<operation>\w+),"
    r"(?: exceeded maximum number of attempts, (?P<attempts>\d+),)?"
    r".*?StatusCode: (?P<status>\d+),.*?api error (?P<code>[\w.]+): (?P<message>.*)$"
)
_RESOURCE = re.compile(r"^with (.+?),?$")
_SOURCE_LINE = re.compile(r"^(?:on .+ line \d+|\d+: )")


class Diagnostic(NamedTuple):
    """Terraform's first error: its summary, the resource it names and its detail paragraph."""

    summary: str
    resource: str | None
    detail: str

    def one_line(self) -> str:
        """'module.x.aws_y.z: creating Y: the reason' (detail and resource when terraform gave them)."""
        text = f"{self.summary}: {self.detail}" if self.detail else self.summary
        return f"{self.resource}: {_one_line(text)}" if self.resource else _one_line(text)


def first_diagnostic(text: str) -> Diagnostic | None:
    """The first 'Error:' diagnostic in terraform's output, or None. Plugin-framework resources (e.g.
    aws_vpc_security_group_ingress_rule) put the API error in the detail, after the source excerpt, so
    the summary alone ('creating VPC Security Group Rule') would hide why."""
    lines = [ln.strip(" │╷╵\t") for ln in text.splitlines()]
    first = next((i for i, ln in enumerate(lines) if ln.startswith("Error:")), None)
    if first is None:
        return None
    resource: str | None = None
    detail: list[str] = []
    in_values = False  # the "├──── / var.x is 3" block under an expression excerpt
    for line in lines[first + 1 :]:
        if line.startswith("Error:") or (not line and detail):
            break  # the next diagnostic, or the end of the detail paragraph
        if not line:
            in_values = False
        elif detail:
            detail.append(line)
        elif resource is None and (match := _RESOURCE.match(line)):
            resource = match[1]
        elif line.startswith("├"):
            in_values = True
        elif not in_values and not _SOURCE_LINE.match(line):
            detail.append(line)
    return Diagnostic(lines[first][len("Error:") :].strip(), resource, " ".join(detail))


def describe_terraform_aws_error(text: str) -> str | None:
    """When terraform's first error is an AWS API failure: 'aws_ssm_parameter.this: creating SSM
    Parameter (/x): AWS SSM PutParameter throttled after 2 attempts: ThrottlingException: Rate
    exceeded'; else None (the generic summary is as clear)."""
    diagnostic = first_diagnostic(text)
    if diagnostic is None:
        return None
    match = _GO_SDK_ERROR.match(diagnostic.summary)
    if match is None and diagnostic.detail:  # plugin-framework resources: the SDK error is the detail
        match = _GO_SDK_ERROR.match(f"{diagnostic.summary}: {diagnostic.detail}")
    if match is None:
        return None
    code, attempts = match["code"], int(match["attempts"] or 1)
    verb = "throttled" if is_throttling(code, int(match["status"])) else "failed"
    after = f" after {attempts} attempts" if attempts > 1 else ""
    parts = [p for p in (diagnostic.resource, match["action"]) if p]
    where = "".join(f"{p}: " for p in parts)
    call = f"AWS {match['service']} {match['operation']}"
    return f"{where}{call} {verb}{after}: {code}: {_one_line(match['message'])}"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 3] + "..."
