"""node_modules for a TypeScript project: installed with `npm ci` from the lockfile when stale."""

from __future__ import annotations

import hashlib
from pathlib import Path

from deployment_infra.ci import process
from deployment_infra.ci.model import StepResult

# the sha256 of the package-lock.json that our last `npm ci` installed from
_INSTALLED_FROM = Path("node_modules") / ".infra-installed-lock.sha256"


def bin_dir(path: Path) -> Path:
    return path / "node_modules" / ".bin"


def _lock_digest(path: Path) -> str:
    return hashlib.sha256((path / "package-lock.json").read_bytes()).hexdigest()


def _up_to_date(path: Path) -> bool:
    """node_modules came from `npm ci` of exactly this lockfile (by content, never by timestamps)."""
    marker = path / _INSTALLED_FROM
    return marker.is_file() and marker.read_text(encoding="utf-8").strip() == _lock_digest(path)


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
    (path / _INSTALLED_FROM).write_text(_lock_digest(path) + "\n", encoding="utf-8")
    return None
