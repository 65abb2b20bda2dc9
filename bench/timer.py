"""Time one stage of `make test` and record it (.infra/timings/make-test.jsonl), keeping its exit code.

Usage (from the Makefile): python -m bench.timer RUN_ID STAGE -- COMMAND [ARGS...]
`make bench` reads the records of the newest complete run (bench/make_test.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

RECORDS = Path(".infra") / "timings" / "make-test.jsonl"
STAGES = ("lint", "service", "security", "unit", "integration")


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python -m bench.timer RUN_ID STAGE -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    run_id, stage, command = argv[0], argv[1], argv[3:]
    started = time.time()
    begin = time.perf_counter()
    returncode = subprocess.run(command, check=False).returncode
    seconds = time.perf_counter() - begin
    RECORDS.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "run": run_id,
        "stage": stage,
        "seconds": round(seconds, 1),
        "exit": returncode,
        "started": started,
        "commit": commit(),
        "load": os.getloadavg()[0],
    }
    with RECORDS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    return returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
