"""`make test` timing: bench/timer.py records real runs, bench/make_test.py picks the newest complete one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.make_test import junit_serial_seconds, newest_complete_run, read_records, section

REPO = Path(__file__).resolve().parents[2]


def timer(cwd: Path, run: str, stage: str, code: int) -> int:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.timer",
            run,
            stage,
            "--",
            sys.executable,
            "-c",
            f"raise SystemExit({code})",
        ],
        cwd=cwd,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        check=False,
    ).returncode


def test_the_timer_keeps_the_exit_code_and_records_the_stage(tmp_path: Path) -> None:
    assert timer(tmp_path, "r1", "lint", 0) == 0
    assert timer(tmp_path, "r1", "integration", 3) == 3
    records = read_records(tmp_path / ".infra" / "timings" / "make-test.jsonl")
    assert [(r["run"], r["stage"], r["exit"]) for r in records] == [
        ("r1", "lint", 0),
        ("r1", "integration", 3),
    ]
    assert all(r["seconds"] >= 0 for r in records)


def test_the_timer_refuses_a_call_without_a_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.timer", "r1", "lint"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "usage" in result.stderr


def test_newest_complete_run_ignores_partial_and_older_runs() -> None:
    def rec(run: str, stage: str, started: float) -> dict[str, object]:
        return {"run": run, "stage": stage, "started": started, "seconds": 1.0, "exit": 0}

    records = [
        rec("old", "lint", 1), rec("old", "integration", 2),
        rec("new", "lint", 10), rec("new", "integration", 20),
        rec("partial", "lint", 30),  # killed before the end: not a wall time
    ]  # fmt: skip
    assert {r["run"] for r in newest_complete_run(records)} == {"new"}
    assert newest_complete_run(records[-1:]) == []


def test_section_reports_the_run_and_the_speedup(tmp_path: Path) -> None:
    timings = tmp_path / ".infra" / "timings"
    timings.mkdir(parents=True)
    rows = [("lint", 60.0), ("unit", 600.0), ("integration", 1200.0)]
    timings.joinpath("make-test.jsonl").write_text(
        "".join(
            json.dumps(
                {"run": "r", "stage": s, "seconds": t, "exit": 0, "started": i, "commit": "abc", "load": 1.0}
            )
            + "\n"
            for i, (s, t) in enumerate(rows)
        )
        + '{"half a line'
    )
    timings.joinpath("integration-junit.xml").write_text(
        '<testsuites><testsuite><testcase time="1500.5"/><testcase time="899.5"/></testsuite></testsuites>'
    )
    assert junit_serial_seconds(timings / "integration-junit.xml") == (2400.0, 2)
    text = "\n".join(section(tmp_path))
    assert "commit abc, passed" in text
    assert "| **total** | **1860** (31.0 min) | 100% |" in text
    assert "| 2.00x faster |" in text  # 2400 s of tests in 1200 s on two workers
    assert "0.34 of it" in text  # 1860 s of the 5400 s budget


def test_section_says_not_measured_without_a_record(tmp_path: Path) -> None:
    assert any(line.startswith("not measured:") for line in section(tmp_path))
