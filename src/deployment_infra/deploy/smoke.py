"""Smoke tests of a deployed service over HTTP: health, version, latency budget and configured checks.

Used by `infra smoke` and by the deploy engine after the service reached steady state. Network trouble
never raises: it becomes a failed check with a one-line detail, so the caller decides (roll back, exit 1).
Bad input (an unusable base URL, an invalid cd/smoke.toml) is a UsageError.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from deployment_infra import tomlfile
from deployment_infra.errors import UsageError

CONFIG_FILE = Path("cd") / "smoke.toml"  # relative to the project root (settings.root)
VERSION_PLACEHOLDER = "{version}"  # in a check's `contains`: replaced by the expected version
_DETAIL_MAX = 200  # a check's detail stays one short line whatever the server answers


@dataclass(frozen=True)
class ExtraCheck:
    """GET `path` must answer `status` and, when given, contain `contains` in its body."""

    path: str
    status: int = 200
    contains: str | None = None


@dataclass(frozen=True)
class SmokeConfig:
    """What `run_smoke` checks and how patiently (cd/smoke.toml)."""

    health_path: str = "/health"
    version_path: str = "/version"
    latency_budget_ms: float = 500.0  # the p95 of `samples` GETs of health_path must be within it
    samples: int = 5
    timeout_s: float = 5.0  # per request
    attempts: int = 10  # the health check is retried: a new task may need a few seconds to listen
    retry_delay_s: float = 1.0
    checks: tuple[ExtraCheck, ...] = ()


@dataclass(frozen=True)
class SmokeCheck:
    name: str
    passed: bool
    detail: str
    elapsed_ms: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "detail": self.detail,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


@dataclass(frozen=True)
class SmokeReport:
    base_url: str
    expected_version: str
    checks: tuple[SmokeCheck, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[SmokeCheck, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "expected_version": self.expected_version,
            "passed": self.passed,
            "checks": [c.to_dict() for c in self.checks],
        }


# ---------------------------------------------------------------------------------------------- config

_NUMBERS: dict[str, tuple[bool, float, str]] = {
    # key: (must be an integer, smallest allowed value, what it must be)
    "latency_budget_ms": (False, 1, "a number >= 1"),
    "samples": (True, 1, "an integer >= 1"),
    "timeout_s": (False, 0.1, "a number >= 0.1"),
    "attempts": (True, 1, "an integer >= 1"),
    "retry_delay_s": (False, 0, "a number >= 0"),
}
_PATHS = ("health_path", "version_path")
_CHECK_KEYS = ("path", "status", "contains")


def _path(value: object, key: str, where: Path) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise UsageError(f"{where}: {key} must be a string starting with '/', got {value!r}")
    if any(not c.isprintable() or c.isspace() for c in value) or "#" in value:
        raise UsageError(f"{where}: {key} {value!r} has a space, '#' or an unprintable character")
    return value


def _number(value: object, key: str, where: Path) -> int | float:
    integer, least, what = _NUMBERS[key]
    # bool is an int to Python but never what the file meant
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and isinstance(value, float))
    ):
        raise UsageError(f"{where}: {key} must be {what}, got {value!r}")
    if not math.isfinite(value) or value < least:
        raise UsageError(f"{where}: {key} must be {what}, got {value!r}")
    return value if integer else float(value)


def _extra_check(raw: object, index: int, where: Path) -> ExtraCheck:
    name = f"check[{index}]"
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: {name} must be a table ([[check]])")
    unknown = sorted(set(raw) - set(_CHECK_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {name}.{unknown[0]} (allowed: {', '.join(_CHECK_KEYS)})")
    if "path" not in raw:
        raise UsageError(f"{where}: {name}.path is missing")
    status = raw.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise UsageError(f"{where}: {name}.status must be an HTTP status 100-599, got {status!r}")
    contains = raw.get("contains")
    if contains is not None and (not isinstance(contains, str) or not contains):
        raise UsageError(f"{where}: {name}.contains must be a non-empty string, got {contains!r}")
    return ExtraCheck(_path(raw["path"], f"{name}.path", where), status, contains)


def load_smoke_config(path: Path | None) -> SmokeConfig:
    """The configuration in `path` (cd/smoke.toml); the defaults when `path` is None or missing.

    UsageError, one line naming the key, for an unknown key, a wrong type, a number out of range or a
    path not starting with '/'.
    """
    if path is None or not path.exists():
        return SmokeConfig()
    doc = tomlfile.read(path, "smoke test configuration")
    allowed = [f.name for f in fields(SmokeConfig) if f.name != "checks"] + ["check"]
    unknown = sorted(set(doc) - set(allowed))
    if unknown:
        raise UsageError(f"{path}: unknown key {unknown[0]!r} (allowed: {', '.join(allowed)})")
    values: dict[str, Any] = {}
    for key in _PATHS:
        if key in doc:
            values[key] = _path(doc[key], key, path)
    for key in _NUMBERS:
        if key in doc:
            values[key] = _number(doc[key], key, path)
    raw_checks = doc.get("check", [])
    if not isinstance(raw_checks, list):
        raise UsageError(f"{path}: check must be an array of tables ([[check]])")
    values["checks"] = tuple(_extra_check(raw, i, path) for i, raw in enumerate(raw_checks))
    return SmokeConfig(**values)


# ------------------------------------------------------------------------------------------------- run


def validate_base_url(base_url: str) -> str:
    """`base_url` without a trailing '/', or UsageError: http(s), a host, no query or fragment."""
    try:
        parts = urlsplit(base_url)
        port = parts.port  # ValueError for a port that is not a number or out of range
    except ValueError as exc:
        raise UsageError(f"invalid URL {base_url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"URL {base_url!r} must start with http:// or https://")
    if not parts.hostname:
        raise UsageError(f"URL {base_url!r} has no host")
    if parts.query or parts.fragment or port == 0:
        raise UsageError(f"URL {base_url!r} must be a base URL: no query, fragment or port 0")
    if any(c.isspace() or not c.isprintable() for c in base_url):
        raise UsageError(f"URL {base_url!r} has a space or an unprintable character")
    return base_url.rstrip("/")


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _DETAIL_MAX else line[: _DETAIL_MAX - 3] + "..."


def _error(exc: httpx.HTTPError, timeout_s: float) -> str:
    """A one-line reason for a failed request (never a traceback)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return _one_line(f"cannot connect: {exc}")
    return _one_line(f"{type(exc).__name__}: {exc}")


@dataclass
class _Runner:
    client: httpx.Client
    base_url: str
    config: SmokeConfig

    def get(self, path: str) -> tuple[httpx.Response | str, float]:
        """The response, or a one-line error, and the milliseconds the request took."""
        started = time.perf_counter()
        try:
            response: httpx.Response | str = self.client.get(self.base_url + path)
        except httpx.HTTPError as exc:
            response = _error(exc, self.config.timeout_s)
        return response, (time.perf_counter() - started) * 1000

    def health(self) -> SmokeCheck:
        """GET health_path until it answers 200, at most `attempts` times."""
        started = time.perf_counter()
        path, attempts = self.config.health_path, self.config.attempts
        problem = ""
        for attempt in range(1, attempts + 1):
            response, _ = self.get(path)
            if isinstance(response, httpx.Response) and response.status_code == 200:
                tries = "" if attempt == 1 else f" after {attempt} attempts"
                return SmokeCheck("health", True, f"GET {path}: 200{tries}", _since(started))
            problem = response if isinstance(response, str) else f"HTTP {response.status_code}"
            if attempt < attempts:
                time.sleep(self.config.retry_delay_s)
        detail = f"GET {path}: {problem} ({attempts} attempt{'s' if attempts > 1 else ''})"
        return SmokeCheck("health", False, detail, _since(started))

    def version(self, expected: str) -> SmokeCheck:
        path = self.config.version_path
        response, elapsed = self.get(path)
        if isinstance(response, str):
            return SmokeCheck("version", False, f"GET {path}: {response}", elapsed)
        if response.status_code != 200:
            return SmokeCheck("version", False, f"GET {path}: HTTP {response.status_code}", elapsed)
        found = reported_version(response.text)
        if found is None:
            detail = f"GET {path}: JSON without a string 'version': {_one_line(response.text)!r}"
            return SmokeCheck("version", False, detail, elapsed)
        if found != expected:
            detail = f"GET {path}: running {_one_line(found)!r}, expected {expected!r}"
            return SmokeCheck("version", False, detail, elapsed)
        return SmokeCheck("version", True, f"GET {path}: {expected!r}", elapsed)

    def latency(self) -> SmokeCheck:
        path, budget = self.config.health_path, self.config.latency_budget_ms
        started = time.perf_counter()
        timings: list[float] = []
        for _ in range(self.config.samples):
            response, elapsed = self.get(path)
            if isinstance(response, str) or response.status_code != 200:
                problem = response if isinstance(response, str) else f"HTTP {response.status_code}"
                detail = f"GET {path} sample {len(timings) + 1}/{self.config.samples}: {problem}"
                return SmokeCheck("latency", False, detail, _since(started))
            timings.append(elapsed)
        p95 = percentile(timings, 95)
        detail = (
            f"p95 {p95:.0f} ms, max {max(timings):.0f} ms over {len(timings)} GET {path} "
            f"({'within' if p95 <= budget else 'over'} the {budget:g} ms budget)"
        )
        return SmokeCheck("latency", p95 <= budget, detail, _since(started))

    def configured(self, check: ExtraCheck, expected_version: str) -> SmokeCheck:
        name = f"GET {check.path}"
        response, elapsed = self.get(check.path)
        if isinstance(response, str):
            return SmokeCheck(name, False, response, elapsed)
        if response.status_code != check.status:
            detail = f"HTTP {response.status_code}, expected {check.status}"
            return SmokeCheck(name, False, detail, elapsed)
        if check.contains is not None:
            wanted = check.contains.replace(VERSION_PLACEHOLDER, expected_version)
            if wanted not in response.text:
                return SmokeCheck(name, False, f"HTTP {check.status} but no {wanted!r} in the body", elapsed)
            return SmokeCheck(name, True, f"HTTP {check.status}, body contains {wanted!r}", elapsed)
        return SmokeCheck(name, True, f"HTTP {check.status}", elapsed)


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (for 5 samples the p95 is the slowest one)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def reported_version(body: str) -> str | None:
    """The version a /version body reports: {"version": "..."} (the reference service) or plain text.

    None for JSON that has no string "version" (an object with another shape is not a version)."""
    text = body.strip()
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    if isinstance(doc, dict):
        value = doc.get("version")
        return value if isinstance(value, str) else None
    return doc if isinstance(doc, str) else text  # a bare JSON string, or a number-like plain tag


def run_smoke(
    base_url: str,
    expected_version: str,
    config: SmokeConfig,
    *,
    on_check: Callable[[SmokeCheck], None] | None = None,
) -> SmokeReport:
    """Check the service at `base_url` runs `expected_version` and answers healthy and fast enough.

    Checks, in order: "health" (retried), "version", "latency", then each configured extra check. When
    health never passes the others are reported failed without being tried (they could only time out).
    `on_check` is called with each check as it finishes (progress output). Never raises for network
    errors; UsageError for a bad `base_url` or an empty `expected_version`.
    """
    url = validate_base_url(base_url)
    if not expected_version.strip():
        raise UsageError("the expected version is empty")
    checks: list[SmokeCheck] = []

    def done(check: SmokeCheck) -> None:
        checks.append(check)
        if on_check is not None:
            on_check(check)

    timeout = httpx.Timeout(config.timeout_s)
    # no redirects: a health endpoint answering 301 (e.g. to a login page) is not healthy
    with httpx.Client(
        timeout=timeout, follow_redirects=False, headers={"cache-control": "no-cache"}
    ) as client:
        runner = _Runner(client, url, config)
        health = runner.health()
        done(health)
        names = ["version", "latency"] + [f"GET {c.path}" for c in config.checks]
        if not health.passed:
            for name in names:
                done(SmokeCheck(name, False, "not run: the health check failed", 0.0))
        else:
            done(runner.version(expected_version))
            done(runner.latency())
            for extra in config.checks:
                done(runner.configured(extra, expected_version))
    return SmokeReport(url, expected_version, tuple(checks))
