"""`infra ci lint` for real: the repository itself is clean, and each linter catches its own kind of
mistake in a copy (ESLint, Prettier, tsc on the reference service; terraform fmt and validate)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

INFRA = str(Path(sys.executable).parent / "infra")
SERVICE = REPO / "examples" / "service"


def _ci(stage: str, path: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [INFRA, "ci", stage, "--path", str(path), "--json"], capture_output=True, text=True, timeout=1800
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}


def _steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step"]: s for s in report["steps"]}


@pytest.fixture(scope="module")
def service_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the reference service sharing its node_modules (installed once by `npm ci`)."""
    code, report = _ci("lint", SERVICE)  # also installs node_modules in the real service
    assert code == 0, report
    dest = tmp_path_factory.mktemp("svc") / "service"
    shutil.copytree(
        SERVICE, dest, ignore=shutil.ignore_patterns("node_modules", "dist", "coverage"), symlinks=True
    )
    (dest / "node_modules").symlink_to(SERVICE / "node_modules")
    return dest


def test_reference_service_lints_clean(service_copy: Path) -> None:
    code, report = _ci("lint", service_copy)
    steps = _steps(report)
    assert code == 0, report
    assert {"eslint", "prettier", "tsc"} <= set(steps)
    assert all(s["status"] == "passed" for s in steps.values())


def test_each_typescript_linter_catches_its_mistake(service_copy: Path) -> None:
    app = service_copy / "src" / "app.ts"
    original = app.read_text()
    try:
        # an unused variable (ESLint), a type error (tsc), and a line Prettier would re-wrap
        app.write_text(original + "\nconst unused:number = 'not a number'   ;\n")
        code, report = _ci("lint", service_copy)
        steps = _steps(report)
        assert code == 1
        assert steps["eslint"]["status"] == "failed"
        assert any("no-unused-vars" in d for d in steps["eslint"]["details"]), steps["eslint"]
        assert steps["tsc"]["status"] == "failed"
        assert any("TS2322" in d for d in steps["tsc"]["details"]), steps["tsc"]
        assert steps["prettier"]["status"] == "failed"
        assert any("app.ts" in d for d in steps["prettier"]["details"]), steps["prettier"]
    finally:
        app.write_text(original)


def test_terraform_fmt_and_validate_catch_their_mistakes(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "main.tf").write_text('variable "name" {\n  type = string\n}\n')
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "main.tf").write_text('output "x" {\n  value = var.undeclared\n}\n')
    ugly = tmp_path / "ugly"
    ugly.mkdir()
    (ugly / "main.tf").write_text('variable "a" {\ntype=string\n}\n')
    code, report = _ci("lint", tmp_path)
    steps = _steps(report)
    assert code == 1
    assert steps["terraform-fmt"]["status"] == "failed"
    assert steps["terraform-fmt"]["details"] == ["ugly/main.tf"]
    assert steps["terraform-validate"]["status"] == "failed"
    assert len(steps["terraform-validate"]["details"]) == 1
    # the summary and terraform's explanation, on one line
    assert steps["terraform-validate"]["details"][0].startswith(
        "bad: terraform validate: Reference to undeclared input variable: "
        'An input variable with the name "undeclared" has not been declared.'
    )
    assert not list(tmp_path.rglob(".terraform*")), "validate must leave nothing in the checked tree"
