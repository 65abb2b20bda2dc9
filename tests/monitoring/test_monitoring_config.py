"""The committed monitoring configuration against the real tools: promtool checks and unit tests
of the rules, amtool's config check and route cases, and the conventions every alert follows."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from typing import Any

import pytest

from tests.monitoring.conftest import (
    ALERTMANAGER_CONFIG,
    MONITORING,
    ROUTE_CASES,
    RULE_TESTS,
    RULES,
    RUNBOOK_BASE,
    RUNBOOKS,
    alerting_rules,
    load_yaml,
    need_tool,
)

SEVERITIES = {"page", "ticket", "info"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False, cwd=MONITORING)


def test_promtool_check_rules() -> None:
    assert RULES, "no rules files under monitoring/prometheus/rules/"
    result = run(need_tool("promtool"), "check", "rules", *map(str, RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_test_rules() -> None:
    assert RULE_TESTS, "no promtool tests under monitoring/prometheus/tests/"
    result = run(need_tool("promtool"), "test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_severity_team_runbook_summary_description() -> None:
    problems = []
    for rule in alerting_rules():
        name, labels, annotations = rule["alert"], rule.get("labels", {}), rule.get("annotations", {})
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{name}: severity {labels.get('severity')!r} not in {sorted(SEVERITIES)}")
        if not labels.get("team"):
            problems.append(f"{name}: no team label")
        for key in ("summary", "description"):
            if not annotations.get(key):
                problems.append(f"{name}: no {key} annotation")
        url = annotations.get("runbook_url", "")
        if not re.fullmatch(re.escape(RUNBOOK_BASE) + r"[a-z0-9-]+\.md", url):
            problems.append(f"{name}: runbook_url {url!r} is not {RUNBOOK_BASE}<file>.md")
    assert not problems, "\n".join(problems)


def test_every_runbook_an_alert_names_exists() -> None:
    named = {rule["annotations"]["runbook_url"].removeprefix(RUNBOOK_BASE) for rule in alerting_rules()}
    missing = sorted(name for name in named if not (RUNBOOKS / name).is_file())
    assert not missing, f"alerts point at runbooks that docs/runbooks/ lacks: {missing}"


def _unit_test_outcomes() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(alertname, severity) pairs some promtool case expects firing, and ones it expects quiet
    (an evaluation of that alertname whose expected alerts leave that severity out)."""
    firing: set[tuple[str, str]] = set()
    quiet_evals: dict[str, list[set[str]]] = defaultdict(list)
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                severities = {alert["exp_labels"]["severity"] for alert in check.get("exp_alerts") or []}
                firing |= {(check["alertname"], severity) for severity in severities}
                quiet_evals[check["alertname"]].append(severities)
    quiet = {
        (name, severity)
        for name, evals in quiet_evals.items()
        for severity in SEVERITIES
        if any(severity not in fired for fired in evals)
    }
    return firing, quiet


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing, quiet = _unit_test_outcomes()
    wanted = {(rule["alert"], rule["labels"]["severity"]) for rule in alerting_rules()}
    problems = [f"{name} ({sev}): no case where it fires" for name, sev in sorted(wanted - firing)]
    problems += [f"{name} ({sev}): no case where it stays quiet" for name, sev in sorted(wanted - quiet)]
    assert not problems, "\n".join(problems)


def test_amtool_check_config() -> None:
    result = run(need_tool("amtool"), "check-config", str(ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr


ROUTES: list[dict[str, Any]] = load_yaml(ROUTE_CASES)["cases"]


@pytest.mark.parametrize("case", ROUTES, ids=[case["name"] for case in ROUTES])
def test_amtool_route(case: dict[str, Any]) -> None:
    labels = [f"{key}={value}" for key, value in case["labels"].items()]
    result = run(
        need_tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={','.join(case['receivers'])}",
        *labels,
    )
    assert result.returncode == 0, (
        f"{case['labels']} should reach {case['receivers']}, amtool says: {result.stdout.strip()}"
    )


def test_route_cases_cover_every_receiver_and_severity() -> None:
    config = load_yaml(ALERTMANAGER_CONFIG)
    receivers = {receiver["name"] for receiver in config["receivers"]}
    reached = {name for case in ROUTES for name in case["receivers"]}
    assert receivers <= reached, f"no route case reaches {sorted(receivers - reached)}"
    severities = {case["labels"].get("severity") for case in ROUTES}
    assert severities >= SEVERITIES, f"no route case for severity {sorted(SEVERITIES - severities)}"
    rule_severities = {rule["labels"]["severity"] for rule in alerting_rules()}
    assert rule_severities <= SEVERITIES


def test_secrets_are_files_not_values() -> None:
    """The committed config names secret files only: no webhook URL or routing key inline."""
    config = load_yaml(ALERTMANAGER_CONFIG)
    for receiver in config["receivers"]:
        for pagerduty in receiver.get("pagerduty_configs", []):
            assert pagerduty["routing_key_file"].startswith("/etc/alertmanager/secrets/")
            assert "routing_key" not in pagerduty and "service_key" not in pagerduty
        for slack in receiver.get("slack_configs", []):
            assert slack["api_url_file"].startswith("/etc/alertmanager/secrets/")
            assert "api_url" not in slack
    assert "slack_api_url" not in config.get("global", {})
