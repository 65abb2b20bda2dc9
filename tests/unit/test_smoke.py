"""Smoke tests against a real HTTP server on loopback that can be told to be healthy, failing, on the
wrong version, slow or hanging, and against a closed port; and the cd/smoke.toml parser."""

from __future__ import annotations

import json
import string
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.deploy import smoke
from deployment_infra.deploy.smoke import (
    ExtraCheck,
    SmokeCheck,
    SmokeConfig,
    load_smoke_config,
    run_smoke,
)
from deployment_infra.emulator import free_port
from deployment_infra.errors import UsageError

ROOT = Path(__file__).resolve().parents[2]
FAST = SmokeConfig(latency_budget_ms=2000, samples=3, timeout_s=2, attempts=3, retry_delay_s=0.05)


@dataclass
class Service:
    """A stand-in for the reference service whose behaviour each test sets."""

    version: str = "v1.2.3"
    health_status: int = 200
    plain_version: bool = False  # /version as text/plain instead of {"version": ...}
    delay_s: float = 0.0  # before answering /health
    failures_first: int = 0  # the first N /health requests answer 503 (a task still starting)
    hits: list[str] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Service:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service.hits.append(self.path)
                status, ctype, body = service.answer(self.path)
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def answer(self, path: str) -> tuple[int, str, str]:
        if path == "/health":
            time.sleep(self.delay_s)
            if self.hits.count("/health") <= self.failures_first:
                return 503, "application/json", '{"status":"starting"}'
            return self.health_status, "application/json", json.dumps({"status": "ok"})
        if path == "/version":
            if self.plain_version:
                return 200, "text/plain", self.version + "\n"
            return 200, "application/json", json.dumps({"version": self.version})
        if path == "/metrics":
            return 200, "text/plain", f'app_build_info{{version="{self.version}"}} 1\n'
        return 404, "application/json", '{"error":"not found"}'

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service() -> Iterator[Service]:
    svc = Service().start()
    yield svc
    svc.stop()


def by_name(report: smoke.SmokeReport) -> dict[str, SmokeCheck]:
    return {c.name: c for c in report.checks}


# ------------------------------------------------------------------------------------------------ runs


def test_healthy_service_passes_every_check_and_reports_progress(service: Service) -> None:
    config = SmokeConfig(
        latency_budget_ms=2000,
        samples=4,
        timeout_s=2,
        attempts=2,
        retry_delay_s=0,
        checks=(ExtraCheck("/metrics", 200, 'app_build_info{version="{version}"} 1'),),
    )
    seen: list[str] = []
    report = run_smoke(service.url + "/", "v1.2.3", config, on_check=lambda c: seen.append(c.name))
    assert report.passed, report.to_dict()
    assert seen == ["health", "version", "latency", "GET /metrics"]
    assert service.hits.count("/health") == 1 + 4  # the check, then the latency samples
    checks = by_name(report)
    assert "'v1.2.3'" in checks["version"].detail
    assert "over 4 GET /health" in checks["latency"].detail
    assert 'app_build_info{version="v1.2.3"} 1' in checks["GET /metrics"].detail
    doc = json.loads(json.dumps(report.to_dict()))  # --json: serialisable as is
    assert doc["passed"] is True
    assert doc["base_url"] == service.url
    assert [c["name"] for c in doc["checks"]] == seen
    assert all(c["elapsed_ms"] >= 0 for c in doc["checks"])


def test_plain_text_version_is_accepted(service: Service) -> None:
    service.plain_version = True
    assert run_smoke(service.url, "v1.2.3", FAST).passed


def test_wrong_version_fails_only_the_version_check(service: Service) -> None:
    service.version = "v1.2.2"
    report = run_smoke(service.url, "v1.2.3", FAST)
    assert not report.passed
    assert [c.name for c in report.failures] == ["version"]
    assert by_name(report)["version"].detail == "GET /version: running 'v1.2.2', expected 'v1.2.3'"


def test_unhealthy_service_fails_after_all_attempts_and_skips_the_rest(service: Service) -> None:
    service.health_status = 503
    report = run_smoke(service.url, "v1.2.3", FAST)
    assert not report.passed
    checks = by_name(report)
    assert checks["health"].detail == "GET /health: HTTP 503 (3 attempts)"
    assert service.hits.count("/health") == 3
    assert "/version" not in service.hits
    assert checks["version"].detail == checks["latency"].detail == "not run: the health check failed"


def test_service_coming_up_passes_after_retries(service: Service) -> None:
    service.failures_first = 2
    report = run_smoke(service.url, "v1.2.3", FAST)
    assert report.passed, report.to_dict()
    assert by_name(report)["health"].detail == "GET /health: 200 after 3 attempts"


def test_slow_service_fails_the_latency_budget(service: Service) -> None:
    service.delay_s = 0.3
    config = SmokeConfig(latency_budget_ms=100, samples=2, timeout_s=3, attempts=1)
    report = run_smoke(service.url, "v1.2.3", config)
    assert [c.name for c in report.failures] == ["latency"]
    detail = by_name(report)["latency"].detail
    assert "over the 100 ms budget" in detail
    p95 = float(detail.split()[1])
    assert p95 >= 300


def test_hanging_service_times_out_as_a_failed_check(service: Service) -> None:
    service.delay_s = 1.5
    config = SmokeConfig(timeout_s=0.3, attempts=2, retry_delay_s=0)
    started = time.monotonic()
    report = run_smoke(service.url, "v1.2.3", config)
    assert time.monotonic() - started < 1.5  # two attempts of 0.3 s, not the server's pace
    assert by_name(report)["health"].detail.startswith("GET /health: no answer within 0.3 s")
    assert not report.passed


def test_nothing_listening_is_a_failed_check_not_an_exception() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    report = run_smoke(url, "v1", SmokeConfig(attempts=2, retry_delay_s=0.01, timeout_s=1))
    assert not report.passed
    health = by_name(report)["health"].detail
    assert health.startswith("GET /health: cannot connect:")
    assert health.endswith("(2 attempts)")
    assert "\n" not in health


def test_extra_check_status_and_missing_text(service: Service) -> None:
    config = SmokeConfig(
        attempts=1,
        checks=(
            ExtraCheck("/metrics", 200, "no_such_metric"),
            ExtraCheck("/missing", 200),
            ExtraCheck("/missing", 404),
        ),
    )
    report = run_smoke(service.url, "v1.2.3", config)
    got = [(c.name, c.passed, c.detail) for c in report.checks[3:]]
    assert got == [
        ("GET /metrics", False, "HTTP 200 but no 'no_such_metric' in the body"),
        ("GET /missing", False, "HTTP 404, expected 200"),
        ("GET /missing", True, "HTTP 404"),
    ]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com", "must start with http:// or https://"),
        ("example.com", "must start with http:// or https://"),
        ("http://", "has no host"),
        ("http://example.com/?a=1", "must be a base URL"),
        ("http://example.com:99999", "invalid URL"),
        ("http://exa mple.com", "space"),
    ],
)
def test_bad_base_url_is_a_usage_error(url: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        run_smoke(url, "v1", FAST)


def test_empty_expected_version_is_a_usage_error(service: Service) -> None:
    with pytest.raises(UsageError, match="expected version is empty"):
        run_smoke(service.url, " ", FAST)


@pytest.mark.parametrize(
    ("body", "version"),
    [
        ('{"version": "abc"}', "abc"),
        ("abc\n", "abc"),
        ('"abc"', "abc"),
        ("1.2", "1.2"),
        ('{"status": "ok"}', None),
        ('{"version": 3}', None),
    ],
)
def test_reported_version(body: str, version: str | None) -> None:
    assert smoke.reported_version(body) == version


@settings(max_examples=100)
@given(st.text(min_size=1, max_size=40))
def test_json_version_round_trips(version: str) -> None:
    assert smoke.reported_version(json.dumps({"version": version})) == version


@settings(max_examples=100)
@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_p95_is_a_sample_at_least_95_percent_of_samples_are_within(values: list[float]) -> None:
    p95 = smoke.percentile(values, 95)
    assert p95 in values
    assert sum(v <= p95 for v in values) >= 0.95 * len(values)
    assert sum(v < p95 for v in values) < 0.95 * len(values)


# ---------------------------------------------------------------------------------------------- config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "smoke.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_or_no_file_means_defaults(tmp_path: Path) -> None:
    assert load_smoke_config(None) == SmokeConfig()
    assert load_smoke_config(tmp_path / "absent.toml") == SmokeConfig()


def test_the_committed_config_loads_and_checks_build_info() -> None:
    config = load_smoke_config(ROOT / smoke.CONFIG_FILE)
    assert config.health_path == "/health"
    assert config.checks == (ExtraCheck("/metrics", 200, 'app_build_info{version="{version}"} 1'),)


def test_full_config(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'health_path = "/healthz"\nversion_path = "/v"\nlatency_budget_ms = 250\nsamples = 10\n'
        "timeout_s = 1.5\nattempts = 20\nretry_delay_s = 0\n"
        '[[check]]\npath = "/metrics"\ncontains = "x"\n[[check]]\npath = "/gone"\nstatus = 410\n',
    )
    assert load_smoke_config(path) == SmokeConfig(
        "/healthz",
        "/v",
        250.0,
        10,
        1.5,
        20,
        0.0,
        (ExtraCheck("/metrics", 200, "x"), ExtraCheck("/gone", 410)),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latency = 5", "unknown key 'latency'"),
        ('samples = "5"', "samples must be an integer >= 1, got '5'"),
        ("samples = 2.5", "samples must be an integer >= 1"),
        ("samples = true", "samples must be an integer >= 1, got True"),
        ("attempts = 0", "attempts must be an integer >= 1"),
        ("retry_delay_s = -1", "retry_delay_s must be a number >= 0, got -1"),
        ("timeout_s = 0", "timeout_s must be a number >= 0.1"),
        ("latency_budget_ms = nan", "latency_budget_ms must be a number >= 1"),
        ('health_path = "health"', "health_path must be a string starting with '/'"),
        ("version_path = 1", "version_path must be a string starting with '/'"),
        ('health_path = "/a b"', "health_path '/a b' has a space"),
        ('check = "x"', "check must be an array of tables"),
        ('[[check]]\npath = "/m"\nbody = "x"', r"unknown key check\[0\].body"),
        ("[[check]]\nstatus = 200", r"check\[0\].path is missing"),
        ('[[check]]\npath = "m"', r"check\[0\].path must be a string starting with '/'"),
        ('[[check]]\npath = "/m"\nstatus = 700', r"check\[0\].status must be an HTTP status"),
        ('[[check]]\npath = "/m"\ncontains = 3', r"check\[0\].contains must be a non-empty string"),
        ("samples = ", "invalid TOML"),
    ],
)
def test_bad_config_is_one_line_usage_error_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError, match=message) as err:
        load_smoke_config(path)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(str(path))


_PATH = st.text(string.ascii_letters + string.digits + "/-_.", max_size=20).map(lambda s: "/" + s)


@settings(max_examples=100)
@given(
    health=_PATH,
    budget=st.integers(1, 100_000),
    samples=st.integers(1, 50),
    delay=st.floats(0, 60, allow_nan=False),
    checks=st.lists(st.tuples(_PATH, st.integers(100, 599)), max_size=3),
)
def test_valid_config_round_trips(
    health: str, budget: int, samples: int, delay: float, checks: list[tuple[str, int]]
) -> None:
    text = f"health_path = {json.dumps(health)}\nlatency_budget_ms = {budget}\nsamples = {samples}\n"
    text += f"retry_delay_s = {delay!r}\n"
    text += "".join(f"[[check]]\npath = {json.dumps(p)}\nstatus = {s}\n" for p, s in checks)
    with tempfile.TemporaryDirectory() as tmp:
        config = load_smoke_config(write(Path(tmp), text))
    assert config == SmokeConfig(
        health_path=health,
        latency_budget_ms=float(budget),
        samples=samples,
        retry_delay_s=delay,
        checks=tuple(ExtraCheck(p, s) for p, s in checks),
    )
