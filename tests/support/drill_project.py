"""A throwaway project whose environments are a small root (tests/fixtures/drill_root): an apply
takes seconds, not the minutes of the real 232-resource dev root.

Used by the state drills (tests/drills/test_state_drills.py) and may be used by any test that needs
real `infra` runs against the emulator without the cost of the real roots.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent
DRILL_ROOT = REPO / "tests" / "fixtures" / "drill_root"
ENVIRONMENTS = ("dev", "staging", "prod")
# infra.toml names the transfer register; the bootstrap root creates the state bucket and table
_COPIED_DIRS = ("residency",)
_IGNORED = shutil.ignore_patterns(
    ".terraform", "*_override.tf", "*.tfstate*", "*.tfplan", ".terraform.lock.hcl", "tests"
)


def make_drill_project(dest: Path) -> Path:
    """infra.toml and residency/ from the repository, terraform/bootstrap, and the drill root as
    every environment (dev, staging, prod) under `dest`; returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "infra.toml", dest / "infra.toml")
    for name in _COPIED_DIRS:
        shutil.copytree(REPO / name, dest / name, dirs_exist_ok=True)
    shutil.copytree(
        REPO / "terraform" / "bootstrap",
        dest / "terraform" / "bootstrap",
        ignore=_IGNORED,
        dirs_exist_ok=True,
    )
    for env in ENVIRONMENTS:
        shutil.copytree(DRILL_ROOT, dest / "terraform" / "environments" / env, dirs_exist_ok=True)
    return dest


def set_variables(project: Path, env: str, values: dict[str, Any]) -> None:
    """Set Terraform variables of `env` in the project's infra.toml ([environments.ENV.variables]),
    keeping the ones already there unless `values` overrides them."""
    path = project / "infra.toml"
    text = path.read_text()
    current = tomllib.loads(text).get("environments", {}).get(env, {}).get("variables", {})
    merged = {**current, **values}
    header = f"[environments.{env}.variables]"
    body = "".join(f"{key} = {json.dumps(value)}\n" for key, value in merged.items())
    lines = text.splitlines(keepends=True)
    if header + "\n" not in lines:
        path.write_text(text.rstrip("\n") + f"\n\n{header}\n{body}")
        return
    start = lines.index(header + "\n") + 1
    end = start
    while end < len(lines) and lines[end].strip() and not lines[end].lstrip().startswith("["):
        end += 1
    path.write_text("".join([*lines[:start], body, *lines[end:]]))
