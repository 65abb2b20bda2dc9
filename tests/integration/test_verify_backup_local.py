"""The local backup drill end to end, through the real `infra ops verify-backup` CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import copy_project, run_infra


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("verify-backup-cli"))


def test_local_drill_passes_with_json_and_metrics(project: Path, tmp_path: Path) -> None:
    metrics = tmp_path / "backup.prom"
    before = {p.name for p in Path("/tmp").glob("infra-backup-drill-*")}
    result = run_infra(
        project, "ops", "verify-backup", "--env", "dev", "--json", "--metrics-file", str(metrics)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    assert (out["environment"], out["target"], out["passed"]) == ("dev", "local", True)
    assert "no real database behind RDS" in out["note"]
    assert set(out["reports"]) == {"logical", "pitr"}
    for report in out["reports"].values():
        assert report["passed"] is True and report["differences"] == []
        assert report["restore_seconds"] > 0 and report["backup_bytes"] > 0
        assert report["recovery_point"] and 0 <= report["recovery_point_objective_seconds"] < 600
        assert report["tables"] == 2 and report["rows"] > 20_000
    # the point-in-time copy stopped at the target: later writes are absent, earlier ones present
    assert out["reports"]["pitr"]["details"]["later_writes_excluded"] is True
    assert out["reports"]["pitr"]["rows"] > out["reports"]["logical"]["rows"]
    text = metrics.read_text()
    assert 'backup_verification_success{environment="dev"} 1' in text
    for name in ("backup_last_success_timestamp_seconds", "backup_restore_duration_seconds"):
        assert re.search(rf"^{name}\{{.*\}} \d", text, re.M), name
    assert 'backup_recovery_point_age_seconds{environment="dev",method="pitr"}' in text
    # the scratch clusters are gone
    assert {p.name for p in Path("/tmp").glob("infra-backup-drill-*")} == before
    assert "scratch clusters removed" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "nope"], "unknown environment 'nope'"),
        (["--env", "dev", "--target", "mars"], "--target"),
        (["--env", "dev", "--metrics-file", "/nonexistent-dir/x.prom"], "--metrics-file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project: Path, args: list[str], message: str) -> None:
    result = run_infra(project, "ops", "verify-backup", *args, "--json")
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
