"""Paths and tools for the monitoring tests: promtool, amtool, prometheus, prometheus-alertmanager.

The tools are Debian/Ubuntu packages (`make tools` installs them). A missing tool fails the test
that needs it, with that instruction, rather than skipping it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "monitoring"
RULES = sorted((MONITORING / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((MONITORING / "prometheus" / "tests").glob("*.yml"))
ALERTMANAGER_CONFIG = MONITORING / "alertmanager" / "alertmanager.yml"
ROUTE_CASES = MONITORING / "alertmanager" / "tests" / "routes.yml"
RUNBOOKS = REPO / "docs" / "runbooks"
RUNBOOK_BASE = "https://github.com/ngapp/deployment-infra/blob/main/docs/runbooks/"

PACKAGE = {
    "promtool": "prometheus",
    "prometheus": "prometheus",
    "amtool": "prometheus-alertmanager",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def need_tool(name: str) -> str:
    """The tool's path; fails the calling test (never skips) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not on PATH: run `make tools` "
            f"(apt-get install {PACKAGE.get(name, name)}) before these tests",
            pytrace=False,
        )
    return path


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alerting_rules() -> list[dict[str, Any]]:
    """Every alerting rule of every rules file (recording rules left out)."""
    return [
        rule
        for path in RULES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def recording_rules() -> list[str]:
    return [
        rule["record"]
        for path in RULES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
        if "record" in rule
    ]
