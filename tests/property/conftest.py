"""Plans of the real environment roots, made once per session on the session's emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from tests.conftest import run_infra

ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def environment_plans(project: Path, emulator: Emulator) -> dict[str, dict[str, Any]]:
    """`terraform show -json` of each environment's saved plan, made through `infra plan`."""
    plans: dict[str, dict[str, Any]] = {}
    for env in ENVIRONMENTS:
        result = run_infra(project, "plan", "--env", env, "--json")
        assert result.returncode == 0, result.stderr[-3000:]
        plans[env] = json.loads((project / ".infra" / "local" / env / "plan.json").read_text())
    return plans
