"""AWS failures as one line: a botocore error that escapes a command, or the Terraform provider's.

Stdlib only at import time: cli.py imports this, and `infra --help` must not import botocore.
"""

from __future__ import annotations

import re
import sys

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
    r"^Error: (?:(?P<action>.*?): )?operation error (?P<service>[^:]+): (?P<operation>\w+),"
    r"(?: exceeded maximum number of attempts, (?P<attempts>\d+),)?"
    r".*?StatusCode: (?P<status>\d+),.*?api error (?P<code>[\w.]+): (?P<message>.*)$"
)
_RESOURCE = re.compile(r"^with (.+?),?$")


def describe_terraform_aws_error(text: str) -> str | None:
    """When terraform's first error is an AWS API failure: 'aws_ssm_parameter.this: creating SSM
    Parameter (/x): AWS SSM PutParameter throttled after 2 attempts: ThrottlingException: Rate
    exceeded'; else None (the generic summary is as clear)."""
    lines = [ln.strip(" │╷╵\t") for ln in text.splitlines()]
    first = next((i for i, ln in enumerate(lines) if ln.startswith("Error:")), None)
    if first is None or (match := _GO_SDK_ERROR.match(lines[first])) is None:
        return None
    resource = next((m[1] for ln in lines[first + 1 : first + 8] if (m := _RESOURCE.match(ln))), None)
    code, attempts = match["code"], int(match["attempts"] or 1)
    verb = "throttled" if is_throttling(code, int(match["status"])) else "failed"
    after = f" after {attempts} attempts" if attempts > 1 else ""
    parts = [p for p in (resource, match["action"]) if p]
    where = "".join(f"{p}: " for p in parts)
    call = f"AWS {match['service']} {match['operation']}"
    return f"{where}{call} {verb}{after}: {code}: {_one_line(match['message'])}"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 3] + "..."
