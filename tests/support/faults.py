"""Client of the emulator's fault-injection endpoint (src/deployment_infra/emulator_faults.py)."""

from __future__ import annotations

import itertools
import json
import re
import urllib.request
from typing import Any

from deployment_infra.emulator_faults import CONTROL_PATH


def _call(url: str, method: str, data: dict[str, Any] | None = None) -> Any:
    body = json.dumps(data).encode() if data is not None else None
    req = urllib.request.Request(  # noqa: S310 - the test's own emulator on 127.0.0.1
        f"{url}{CONTROL_PATH}", data=body, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        return json.loads(resp.read())


def inject(
    url: str,
    service: str,
    code: str,
    *,
    status: int = 400,
    count: int = 1,
    operation: str | None = None,
    message: str | None = None,
    after: int = 0,
) -> dict[str, Any]:
    """Fail the next `count` requests to `service` (and `operation`) with `code`, after letting
    `after` of them through; returns the rule."""
    rule: dict[str, Any] = {
        "service": service,
        "code": code,
        "status": status,
        "count": count,
        "after": after,
    }
    if operation is not None:
        rule["operation"] = operation
    if message is not None:
        rule["message"] = message
    return dict(_call(url, "POST", rule)["rule"])


def state(url: str) -> dict[str, Any]:
    """{"rules": [...], "log": [...]}: each matching request, injected or passed, with its time."""
    return dict(_call(url, "GET"))


def log(url: str) -> list[dict[str, Any]]:
    return list(state(url)["log"])


def clear(url: str) -> None:
    _call(url, "DELETE")


def gaps(entries: list[dict[str, Any]]) -> list[float]:
    """Seconds between consecutive logged requests: the client's backoff."""
    times = [e["t"] for e in entries]
    return [b - a for a, b in itertools.pairwise(times)]


def attempt(entry: dict[str, Any]) -> int | None:
    """The SDK's attempt number of a logged request (amz-sdk-request: "ttl=...; attempt=2; max=4")."""
    match = re.search(r"attempt=(\d+)", entry.get("attempt") or "")
    return int(match[1]) if match else None
