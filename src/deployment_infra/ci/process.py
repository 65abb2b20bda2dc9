"""Running the tools CI steps call: where they are, their versions, their output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()

    def tail(self, lines: int = 20) -> tuple[str, ...]:
        return tuple(self.output.splitlines()[-lines:])


def find_tool(name: str, *extra_dirs: Path) -> Path | None:
    """A tool in the given directories (node_modules/.bin, a venv), then this Python's venv, then PATH."""
    for d in (*extra_dirs, Path(sys.executable).parent):
        candidate = d / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    return Path(found) if found else None


def _environ(env: dict[str, str] | None) -> dict[str, str]:
    # plain output: findings are read by people in logs and by the steps' parsers (NO_COLOR only:
    # any FORCE_COLOR value makes rich force a terminal)
    return {**os.environ, "NO_COLOR": "1", **(env or {})}


def run(
    argv: list[str],
    cwd: Path,
    *,
    env: dict[str, str] | None = None,
    timeout: float = 1800,
    stdin: str | None = None,
) -> Completed:
    """Run a tool to completion, capturing its output; a missing executable is returncode 127."""
    merged = _environ(env)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=merged,
            input=stdin,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        return Completed(127, "", f"{argv[0]}: not found ({exc})", time.monotonic() - start)
    except subprocess.TimeoutExpired:
        return Completed(124, "", f"{argv[0]}: timed out after {timeout:g} s", time.monotonic() - start)
    return Completed(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def run_streaming(
    argv: list[str],
    cwd: Path,
    progress: Callable[[str], None],
    *,
    env: dict[str, str] | None = None,
    timeout: float = 3600,
) -> Completed:
    """Like `run`, for long steps: each line the tool prints on stdout goes to `progress` as it comes."""
    merged = _environ(env)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=merged,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
    except FileNotFoundError as exc:
        return Completed(127, "", f"{argv[0]}: not found ({exc})", time.monotonic() - start)
    out, err = proc.stdout, proc.stderr
    if out is None or err is None:  # pragma: no cover - PIPE always gives both
        proc.kill()
        return Completed(1, "", f"{argv[0]}: could not read its output", time.monotonic() - start)
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(err), daemon=True)
    reader.start()
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    out_lines: list[str] = []
    try:
        for line in out:
            out_lines.append(line)
            if line.strip():
                progress(line.rstrip("\n"))
        proc.wait()
    finally:
        timer.cancel()
        reader.join(timeout=5)
    took = time.monotonic() - start
    if took >= timeout and proc.returncode != 0:
        return Completed(124, "".join(out_lines), f"{argv[0]}: timed out after {timeout:g} s", took)
    return Completed(proc.returncode, "".join(out_lines), "".join(err_lines), took)


def version_of(argv: list[str], cwd: Path) -> str:
    """The first line a `--version` call prints ("" when the tool does not answer)."""
    done = run(argv, cwd, timeout=60)
    lines = done.output.splitlines()
    return lines[0].strip() if done.returncode == 0 and lines else ""
