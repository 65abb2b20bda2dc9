"""`infra docs data-flows` for real: every environment root planned by terraform on an emulator of
the test's own, and the committed docs/data-flows.md compared with the result byte for byte (so a
change to the roots, the register or the settings without regenerating it fails `make test`).

One planning pass of the three roots for the whole module; the --check cases reuse its plans.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployment_infra.emulator import free_port
from tests.conftest import REPO, copy_project, run_infra

pytestmark = pytest.mark.integration

COMMITTED = REPO / "docs" / "data-flows.md"
STALE = "error: docs/data-flows.md is stale: run `infra docs data-flows`"


@dataclass
class Generated:
    project: Path
    out: Path
    env: dict[str, str | None]
    returncode: int
    stderr: str
    seconds: float

    def plan_files(self) -> list[str]:
        """--plan-file options for the plans the run saved (as `infra plan` does)."""
        found = sorted((self.project / ".infra" / "local").glob("*/plan.json"))
        return [arg for p in found for arg in ("--plan-file", f"{p.parent.name}={p}")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, terraform_available: str) -> Iterator[Generated]:
    project = copy_project(tmp_path_factory.mktemp("data-flows"))
    env: dict[str, str | None] = {"INFRA_EMULATOR_PORT": str(free_port())}
    out = project / "generated" / "data-flows.md"
    started = time.monotonic()
    try:
        result = run_infra(project, "docs", "data-flows", "--out", str(out), env=env, timeout=870)
        seconds = time.monotonic() - started
        print(f"infra docs data-flows planned every environment in {seconds:.0f}s")
        yield Generated(project, out, env, result.returncode, result.stderr, seconds)
    finally:
        run_infra(project, "emulator", "stop", env=env, timeout=120)


def test_the_committed_file_is_what_the_plans_give(generated: Generated) -> None:
    assert generated.returncode == 0, generated.stderr[-4000:]
    assert len(generated.plan_files()) == 6, "expected dev, prod and staging to be planned"
    assert COMMITTED.is_file(), "docs/data-flows.md is missing: run `infra docs data-flows`"
    assert generated.out.read_bytes() == COMMITTED.read_bytes(), (
        "docs/data-flows.md is stale: run `infra docs data-flows` and commit the result"
    )


def test_check_accepts_the_current_file(generated: Generated) -> None:
    assert generated.returncode == 0, generated.stderr[-4000:]
    target = generated.project / "docs" / "data-flows.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(generated.out, target)
    result = run_infra(
        generated.project, "docs", "data-flows", "--check", *generated.plan_files(), env=generated.env
    )
    assert result.returncode == 0, result.stderr
    assert target.read_bytes() == generated.out.read_bytes()  # --check writes nothing


def test_check_refuses_an_edited_file_in_one_line(generated: Generated) -> None:
    assert generated.returncode == 0, generated.stderr[-4000:]
    target = generated.project / "docs" / "data-flows.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    edited = generated.out.read_text().replace("TR-001", "TR-009", 1)
    assert edited != generated.out.read_text()
    target.write_text(edited)
    result = run_infra(
        generated.project, "docs", "data-flows", "--check", *generated.plan_files(), env=generated.env
    )
    assert result.returncode == 1
    assert result.stderr.strip() == STALE
    assert target.read_text() == edited  # --check never rewrites it
