"""node_modules for a TypeScript project: installed with `npm ci` from the lockfile when stale."""

from __future__ import annotations

from pathlib import Path

from deployment_infra.ci import process
from deployment_infra.ci.model import StepResult

# npm writes its own copy of the lockfile here after an install; equal files = nothing to do
_INSTALLED_LOCK = Path("node_modules") / ".package-lock.json"


def bin_dir(path: Path) -> Path:
    return path / "node_modules" / ".bin"


def _up_to_date(path: Path) -> bool:
    lock, installed = path / "package-lock.json", path / _INSTALLED_LOCK
    if not installed.is_file():
        return False
    return installed.stat().st_mtime >= lock.stat().st_mtime


def ensure_installed(path: Path, step: str) -> StepResult | None:
    """None when node_modules is ready; otherwise a failed result saying why it could not be."""
    if not (path / "package-lock.json").is_file():
        return StepResult(
            step, "failed", "no package-lock.json: CI installs exactly what the lockfile pins (npm ci)"
        )
    if _up_to_date(path):
        return None
    if process.find_tool("npm") is None:
        return StepResult(step, "failed", "npm is not on PATH (Node 20 and npm are needed)")
    done = process.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], path, timeout=900)
    if done.returncode != 0:
        return StepResult(
            step, "failed", f"npm ci failed (exit {done.returncode})", "npm", done.seconds, done.tail()
        )
    return None
