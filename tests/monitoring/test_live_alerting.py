"""A real alert, end to end: exporter -> Prometheus (the committed rules) -> Alertmanager (the
committed routes) -> PagerDuty / Slack stand-ins.

Everything runs on loopback free ports with temporary data directories:
- a Python exporter serving /metrics for env="prod", service="api": half the requests fail with
  5xx (ServiceErrorRateHigh, page and ticket) and the last restore test failed
  (BackupVerificationFailed, ticket);
- `prometheus` with the committed rules files, copied with one change only: every `for` is 3 s
  (the committed durations are minutes; the expressions, labels and annotations are untouched);
  scrape and evaluation every second;
- `prometheus-alertmanager` with the committed alertmanager.yml, copied with only the delivery
  endpoints changed: global.pagerduty_url and the secret files (routing key, Slack webhook URL)
  point at local stand-ins. Routes, timings and inhibitions are the committed ones, so the test
  waits out the real group_wait (10 s for pages, 30 s for the rest).

Expected: PagerDuty gets the page and nothing else; Slack gets the ticket of
BackupVerificationFailed and never ServiceErrorRateHigh, whose ticket the page inhibits.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployment_infra.emulator import free_port
from tests.monitoring.conftest import ALERTMANAGER_CONFIG, RULES, load_yaml, need_tool

TEST_FOR = "3s"  # replaces every rule's `for` in the test copy (see the module docstring)
DEADLINE = 90.0  # seconds for the whole flow; it takes about 35 s (Slack's group_wait is 30 s)
ROUTING_KEY = "test-routing-key-0123456789abcdef"


class Exporter:
    """/metrics of a failing service: 100 requests/s of which 50 get a 503; a failed restore test."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def render(self) -> str:
        served = int((time.monotonic() - self.started) * 50)
        now = time.time()
        return "\n".join(
            [
                "# TYPE http_requests_total counter",
                f'http_requests_total{{method="GET",status="200"}} {served}',
                f'http_requests_total{{method="GET",status="503"}} {served}',
                # As `infra ops verify-backup --metrics-file` writes them (label `environment`).
                "# TYPE backup_verification_success gauge",
                'backup_verification_success{environment="prod"} 0',
                "# TYPE backup_last_success_timestamp_seconds gauge",
                f'backup_last_success_timestamp_seconds{{environment="prod"}} {now - 3600:.0f}',
                "",
            ]
        )


class Recorder:
    """What a webhook stand-in received: (path, JSON body) in arrival order."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def add(self, path: str, body: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append((path, body))

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [body for _, body in self.requests]


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, int]:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def exporter_server(exporter: Exporter) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = exporter.render().encode()
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return serve(Handler)


def webhook_server(recorder: Recorder, status: int, reply: bytes) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            recorder.add(self.path, json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return serve(Handler)


def short_for_rules(dest: Path) -> list[Path]:
    """The committed rules files with every `for` set to TEST_FOR, nothing else changed."""
    dest.mkdir()
    written = []
    for path in RULES:
        data = load_yaml(path)
        for group in data["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    rule["for"] = TEST_FOR
        out = dest / path.name
        out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        written.append(out)
    return written


def local_alertmanager_config(dest: Path, pagerduty_port: int, slack_port: int) -> Path:
    """The committed config with only the delivery endpoints and secret files made local."""
    config = load_yaml(ALERTMANAGER_CONFIG)
    key_file, url_file = dest / "pagerduty-routing-key", dest / "slack-webhook-url"
    key_file.write_text(ROUTING_KEY, encoding="utf-8")
    url_file.write_text(f"http://127.0.0.1:{slack_port}/services/T000/B000/XXXX", encoding="utf-8")
    config["global"]["pagerduty_url"] = f"http://127.0.0.1:{pagerduty_port}/v2/enqueue"
    for receiver in config["receivers"]:
        for pagerduty in receiver.get("pagerduty_configs", []):
            pagerduty["routing_key_file"] = str(key_file)
        for slack in receiver.get("slack_configs", []):
            slack["api_url_file"] = str(url_file)
    out = dest / "alertmanager.yml"
    out.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return out


class Process:
    """A server process with its output in a log file; stopped (TERM, then KILL) at teardown."""

    def __init__(self, name: str, args: list[str], log: Path) -> None:
        self.name, self.log_path = name, log
        self.log = log.open("wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback http only)
        return json.load(response)


def wait_for(what: str, check: Callable[[], bool], deadline: float, logs: Callable[[], str]) -> None:
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}\n{logs()}")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    prometheus_bin, alertmanager_bin = need_tool("prometheus"), need_tool("prometheus-alertmanager")
    pagerduty, slack = Recorder(), Recorder()
    servers = [
        exporter_server(Exporter()),
        webhook_server(pagerduty, 202, b'{"status":"success","message":"Event processed"}'),
        webhook_server(slack, 200, b"ok"),
    ]
    (_, exporter_port), (_, pagerduty_port), (_, slack_port) = servers
    am_port, prom_port = free_port(), free_port()
    am_config = local_alertmanager_config(tmp_path, pagerduty_port, slack_port)
    rules = short_for_rules(tmp_path / "rules")
    prom_config = tmp_path / "prometheus.yml"
    prom_config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(path) for path in rules],
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
                "scrape_configs": [
                    {
                        "job_name": "service",
                        "static_configs": [
                            {
                                "targets": [f"127.0.0.1:{exporter_port}"],
                                "labels": {"env": "prod", "service": "api"},
                            }
                        ],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    processes = []
    try:
        processes.append(
            Process(
                "alertmanager",
                [
                    alertmanager_bin,
                    f"--config.file={am_config}",
                    f"--storage.path={tmp_path / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{am_port}",
                    "--cluster.listen-address=",  # no gossip port: a single, isolated instance
                ],
                tmp_path / "alertmanager.log",
            )
        )
        processes.append(
            Process(
                "prometheus",
                [
                    prometheus_bin,
                    f"--config.file={prom_config}",
                    f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                tmp_path / "prometheus.log",
            )
        )
        yield {
            "pagerduty": pagerduty,
            "slack": slack,
            "alertmanager": f"http://127.0.0.1:{am_port}",
            "prometheus": f"http://127.0.0.1:{prom_port}",
            "logs": lambda: "\n".join(f"--- {p.name} ---\n{p.output()}" for p in processes),
        }
    finally:
        for process in processes:
            process.stop()
        for server, _ in servers:
            server.shutdown()
            server.server_close()


def mentions(body: dict[str, Any], alertname: str) -> bool:
    return alertname in json.dumps(body)


def test_page_reaches_pagerduty_and_ticket_reaches_slack(stack: dict[str, Any]) -> None:
    deadline = time.monotonic() + DEADLINE
    logs: Callable[[], str] = stack["logs"]
    pagerduty: Recorder = stack["pagerduty"]
    slack: Recorder = stack["slack"]

    def rules_loaded() -> bool:
        groups = get_json(f"{stack['prometheus']}/api/v1/rules")["data"]["groups"]
        return len(groups) > 0

    wait_for("Prometheus to load the rules", rules_loaded, deadline, logs)

    def delivered() -> bool:
        paged = any(mentions(body, "ServiceErrorRateHigh") for body in pagerduty.bodies())
        ticketed = any(mentions(body, "BackupVerificationFailed") for body in slack.bodies())
        return paged and ticketed

    wait_for("the page on PagerDuty and the ticket on Slack", delivered, deadline, logs)

    # PagerDuty: exactly the page, with the routing key read from its secret file.
    pages = pagerduty.bodies()
    assert all(body["routing_key"] == ROUTING_KEY for body in pages), pages
    assert all(body["event_action"] == "trigger" for body in pages), pages
    assert not [body for body in pages if mentions(body, "BackupVerificationFailed")], pages
    page = next(body for body in pages if mentions(body, "ServiceErrorRateHigh"))
    assert page["payload"]["summary"].startswith("ServiceErrorRateHigh (prod/api):"), page
    assert page["links"][0]["href"].endswith("/docs/runbooks/bad-deploy.md"), page

    # Slack: the ticket, in the ticket channel; never the error-rate alert (its page went to
    # PagerDuty, its ticket is inhibited by that page).
    tickets = slack.bodies()
    ticket = next(body for body in tickets if mentions(body, "BackupVerificationFailed"))
    assert ticket["channel"] == "#ops-alerts", ticket
    assert ticket["attachments"][0]["title"] == "[FIRING] BackupVerificationFailed (prod)", ticket
    assert not [body for body in tickets if mentions(body, "ServiceErrorRateHigh")], tickets

    # The inhibited ticket is in Alertmanager, suppressed by the page: it was routed, not lost.
    alerts = get_json(f"{stack['alertmanager']}/api/v2/alerts?filter=alertname%3D%22ServiceErrorRateHigh%22")
    states = {alert["labels"]["severity"]: alert["status"] for alert in alerts}
    assert states["page"]["state"] == "active", states
    assert states["ticket"]["state"] == "suppressed" and states["ticket"]["inhibitedBy"], states
