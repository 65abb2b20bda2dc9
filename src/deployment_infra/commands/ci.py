"""`infra ci lint|test|security|build --path DIR`: one CI stage on a directory.

Exit codes: 0 the stage passed; 1 a step failed (or a scanner did not run where it must);
2 bad input (no such directory, nothing to check, malformed ci/ configuration).
"""

from __future__ import annotations

from pathlib import Path

from deployment_infra import ui
from deployment_infra.ci.stages import run_stage
from deployment_infra.ui import print_json


def run(stage: str, path: Path, as_json: bool) -> int:
    report = run_stage(stage, path, quiet=False)
    if as_json:
        print_json(report.to_dict())
    else:
        ui.table(
            f"CI {stage}: {report.path}",
            ["step", "status", "tool", "seconds", "summary"],
            [(r.step, r.status, r.tool, f"{r.seconds:.1f}", r.summary) for r in report.results],
        )
    if report.status == "passed":
        ui.ok(f"{stage} passed")
    else:
        ui.error(
            f"{stage} failed: "
            + ", ".join(f"{r.step} {r.status}" for r in report.results if r.status != "passed")
        )
    return report.exit_code
