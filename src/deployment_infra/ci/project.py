"""What a directory holds, which repository it belongs to, and which commit is being checked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from deployment_infra.ci import process
from deployment_infra.ci.model import Project
from deployment_infra.errors import UsageError

# never descended into: tool output, dependencies, and fixtures that are wrong on purpose
SKIP_DIRS = frozenset(
    {".git", ".terraform", "node_modules", ".venv", ".infra", "fixtures", "__pycache__", "dist", "coverage"}
)


def walk(top: Path, suffix: str) -> Iterator[Path]:
    """Files under `top` ending in `suffix`, sorted, outside SKIP_DIRS and hidden directories."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(suffix):
                yield Path(dirpath) / name


def terraform_dirs(path: Path) -> list[Path]:
    """Directories holding *.tf files (modules, roots), sorted."""
    return sorted({f.parent for f in walk(path, ".tf")})


def workflow_files(path: Path) -> list[Path]:
    wf = path / ".github" / "workflows"
    return sorted([*wf.glob("*.yml"), *wf.glob("*.yaml")]) if wf.is_dir() else []


def _kinds(path: Path) -> frozenset[str]:
    kinds: set[str] = set()
    if (path / "package.json").is_file() and (path / "tsconfig.json").is_file():
        kinds.add("typescript")
    if (path / "pyproject.toml").is_file():
        kinds.add("python")
    if next(walk(path, ".tf"), None) is not None:
        kinds.add("terraform")
    if (path / "Dockerfile").is_file():
        kinds.add("docker")
    if workflow_files(path):
        kinds.add("workflows")
    return frozenset(kinds)


def _git(path: Path, *args: str) -> str:
    done = process.run(["git", *args], path, timeout=30)
    return done.stdout.strip() if done.returncode == 0 else ""


def commit_sha(path: Path) -> str:
    """GITHUB_SHA in the workflow, else the checked-out commit, else zeros (not a git checkout)."""
    sha = os.environ.get("GITHUB_SHA", "").strip() or _git(path, "rev-parse", "HEAD")
    return sha or "0" * 40


def detect(path: Path) -> Project:
    """The project at `path`; bad input (missing, not a directory, nothing to check) is a UsageError."""
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:  # e.g. a name too long for the file system
        raise UsageError(f"--path {str(path)[:200]}: {exc.strerror or exc}") from None
    if not exists:
        raise UsageError(f"--path {path}: no such directory")
    if not is_dir:
        raise UsageError(f"--path {path}: not a directory")
    resolved = path.resolve()
    kinds = _kinds(resolved)
    if not kinds:
        raise UsageError(
            f"--path {path}: nothing to check (no package.json+tsconfig.json, pyproject.toml, *.tf, "
            "Dockerfile or .github/workflows)"
        )
    top = _git(resolved, "rev-parse", "--show-toplevel")
    root = Path(top) if top else resolved
    return Project(path=resolved, root=root, kinds=kinds, sha=commit_sha(resolved))
