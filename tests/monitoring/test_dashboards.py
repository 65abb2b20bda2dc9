"""The committed Grafana dashboards are exactly what monitoring/grafana/generate.py writes."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

from tests.monitoring.conftest import MONITORING, recording_rules

GENERATOR = MONITORING / "grafana" / "generate.py"
COMMITTED = MONITORING / "grafana" / "dashboards"
REGENERATE = "regenerate with `make dashboards` (.venv/bin/python monitoring/grafana/generate.py)"


def test_committed_dashboards_match_the_generator(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.json")}
    committed = {path.name: path.read_text(encoding="utf-8") for path in COMMITTED.glob("*.json")}
    assert fresh.keys() == committed.keys(), (
        f"dashboards differ: generated {sorted(fresh)}, committed {sorted(committed)}; {REGENERATE}"
    )
    stale = {
        name: "".join(
            difflib.unified_diff(
                committed[name].splitlines(keepends=True),
                fresh[name].splitlines(keepends=True),
                f"committed/{name}",
                f"generated/{name}",
                n=1,
            )
        )
        for name in sorted(fresh)
        if fresh[name] != committed[name]
    }
    assert not stale, f"stale dashboards, {REGENERATE}:\n" + "".join(stale.values())[:4000]


def test_dashboards_use_only_recorded_series_that_exist() -> None:
    """A dashboard query naming a recording rule (level:metric:operation) names one that exists."""
    recorded = set(recording_rules())
    used = set()
    for path in COMMITTED.glob("*.json"):
        for panel in json.loads(path.read_text(encoding="utf-8"))["panels"]:
            for target in panel.get("targets", []):
                used |= set(re.findall(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b", target["expr"]))
    assert used, "no dashboard uses a recording rule"
    assert used <= recorded, f"dashboards use unknown recording rules: {sorted(used - recorded)}"


def test_dashboard_uids_and_titles_are_unique() -> None:
    models = [json.loads(path.read_text(encoding="utf-8")) for path in COMMITTED.glob("*.json")]
    assert {model["uid"] for model in models} == {"service-overview", "data-tier", "backups"}
    assert len({model["title"] for model in models}) == len(models)
