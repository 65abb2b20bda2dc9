"""`make test` wall time: the stages of the newest complete run recorded by bench/timer.py.

`make test` takes about an hour here, so `make bench` reports the newest complete run on record (its
date and commit are printed with it) unless BENCH_RUN_MAKE_TEST=1 asks it to run `make test` first.
Two baselines from that same run: the serial sum of the integration tests' own times (JUnit), which the
two pytest workers beat, and the 90-minute limit of the project's CI run, which it must stay under.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET  # our own pytest JUnit output, not untrusted XML
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CI_LIMIT_S = 90 * 60  # the project's CI runs `.ci/run` (= make test) on a clean clone within 90 minutes


def newest_complete_run(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of the newest run that has both its first stage (lint) and its last (integration)."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        runs.setdefault(str(record["run"]), []).append(record)
    complete = [stages for stages in runs.values() if {"lint", "integration"} <= {r["stage"] for r in stages}]
    if not complete:
        return []
    return max(complete, key=lambda stages: max(float(r["started"]) for r in stages))


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # a run killed mid-write leaves half a line; the others still count
    return records


def junit_serial_seconds(path: Path) -> tuple[float, int]:
    """Sum of the test cases' own times and their count in a pytest JUnit file."""
    if not path.exists():
        return 0.0, 0
    root = ET.parse(path).getroot()  # noqa: S314 - see the import
    cases = list(root.iter("testcase"))
    return sum(float(c.get("time", 0) or 0) for c in cases), len(cases)


def section(repo: Path) -> list[str]:
    if os.environ.get("BENCH_RUN_MAKE_TEST") == "1":
        subprocess.run(["make", "test"], cwd=repo, check=False)
    timings = repo / ".infra" / "timings"
    run = newest_complete_run(read_records(timings / "make-test.jsonl"))
    lines = ["## `make test` wall time", ""]  # the last section: `python -m bench make-test` redoes it
    if not run:
        return [
            *lines,
            "not measured: no complete `make test` run is on record in .infra/timings/ "
            "(run `make test`, or `BENCH_RUN_MAKE_TEST=1 make bench`)",
            "",
        ]
    run.sort(key=lambda r: float(r["started"]))
    total = sum(float(r["seconds"]) for r in run)
    failed = [r["stage"] for r in run if r["exit"] != 0]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(run[0]["started"])))
    lines += [
        f"The newest complete `make test` on record: started {when}, commit {run[0]['commit']}, "
        f"{'passed' if not failed else 'FAILED in ' + ', '.join(failed)}; load average at its start "
        f"{float(run[0]['load']):.1f}.",
        "",
        "| stage | seconds | share |",
        "|---|---:|---:|",
        *(f"| {r['stage']} | {float(r['seconds']):.0f} | {float(r['seconds']) / total:.0%} |" for r in run),
        f"| **total** | **{total:.0f}** ({total / 60:.1f} min) | 100% |",
        "",
        "| figure | seconds | baseline | ratio |",
        "|---|---:|---|---:|",
        f"| `make test` | {total:.0f} | the CI run's limit {CI_LIMIT_S}s | {total / CI_LIMIT_S:.2f} of it |",
    ]
    integration = next((r for r in run if r["stage"] == "integration"), None)
    serial, cases = junit_serial_seconds(timings / "integration-junit.xml")
    if integration and serial:
        wall = float(integration["seconds"])
        lines.append(
            f"| drills, integration and module tests on 2 workers ({cases} tests) | {wall:.0f} "
            f"| the same tests' own times summed {serial:.0f}s | {serial / wall:.2f}x faster |"
        )
    return [*lines, ""]
