"""Shared fixtures: an isolated copy of the project and an emulator of its own on a free port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deployment_infra.emulator import Emulator, free_port

REPO = Path(__file__).resolve().parent.parent


# What `infra` reads besides infra.toml and terraform/: the monitoring configuration (the roots
# read rules, routes, dashboards), the transfer register, the price table, the CD rules.
PROJECT_DATA_DIRS = ("monitoring", "residency", "cost", "cd")


def copy_project(dest: Path) -> Path:
    """infra.toml, terraform/ and PROJECT_DATA_DIRS copied to `dest`, without anything generated."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "infra.toml", dest / "infra.toml")
    for name in PROJECT_DATA_DIRS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, dest / name, dirs_exist_ok=True)
    shutil.copytree(
        REPO / "terraform",
        dest / "terraform",
        ignore=shutil.ignore_patterns(".terraform", "*_override.tf", "*.tfstate*", "*.tfplan"),
        dirs_exist_ok=True,
    )
    return dest


@contextmanager
def own_emulator(infra_dir: Path) -> Iterator[Emulator]:
    """An emulator of the caller's own on a free port (its record under `infra_dir`), stopped after:
    a module whose tests inject faults or kill the emulator must not share the session's."""
    emu = Emulator(infra_dir, free_port())
    emu.ensure_running()
    try:
        yield emu
    finally:
        emu.stop()


def run_infra(project: Path, *args: str, env: dict[str, str | None] | None = None, timeout: float = 900):
    """Run the real `infra` CLI in a subprocess against `project` (env value None: unset it)."""
    full_env = dict(os.environ)
    full_env["INFRA_PROJECT_DIR"] = str(project)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run(
        [sys.executable, "-m", "deployment_infra.cli", *args],
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def terraform_available() -> str:
    """terraform must be here: tests that need it fail loudly rather than skip."""
    path = shutil.which("terraform")
    assert path, "terraform is not on PATH: these tests need terraform >= 1.11"
    return path


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the project for the session: environments are expensive to bring up."""
    return copy_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="session")
def emulator(project: Path, terraform_available: str) -> Iterator[Emulator]:
    """The session's emulator for `project`, on a free port, stopped afterwards."""
    port = free_port()
    emu = Emulator(project / ".infra", port)
    old = os.environ.get("INFRA_EMULATOR_PORT")
    os.environ["INFRA_EMULATOR_PORT"] = str(port)
    emu.ensure_running()
    try:
        yield emu
    finally:
        emu.stop()
        if old is None:
            os.environ.pop("INFRA_EMULATOR_PORT", None)
        else:
            os.environ["INFRA_EMULATOR_PORT"] = old
