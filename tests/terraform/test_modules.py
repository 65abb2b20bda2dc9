"""terraform test for every module that has tests; the module layout; fmt.

terraform validate of every module and root runs in `infra ci lint --path .` (make lint), see
tests/integration/test_ci_lint.py.

Run on a copy of terraform/ so that init leaves nothing in the working tree. Fails (never skips)
when terraform is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from deployment_infra.terraform import write_cli_config
from tests.conftest import REPO

TERRAFORM = REPO / "terraform"
MODULES = sorted(p for p in (TERRAFORM / "modules").iterdir() if (p / "main.tf").exists())
TESTED = [p for p in [*MODULES, TERRAFORM / "bootstrap"] if list(p.glob("tests/*.tftest.hcl"))]


def _rel(path: Path) -> str:
    return str(path.relative_to(TERRAFORM))


@pytest.fixture(scope="session")
def tf_copy(tmp_path_factory: pytest.TempPathFactory, terraform_available: str) -> Path:
    dest = tmp_path_factory.mktemp("tf") / "terraform"
    shutil.copytree(
        TERRAFORM, dest, ignore=shutil.ignore_patterns(".terraform", "*_override.tf", "*.tfstate*")
    )
    # the environment roots read monitoring/ (rules, routes, dashboards) next to terraform/
    shutil.copytree(TERRAFORM.parent / "monitoring", dest.parent / "monitoring")
    return dest


@pytest.fixture(scope="session")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = dict(os.environ)
    env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(tmp_path_factory.mktemp("tfrc")))
    env["TF_IN_AUTOMATION"] = "1"
    env["CHECKPOINT_DISABLE"] = "1"
    return env


def _tf(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_every_module_has_the_standard_files() -> None:
    for module in MODULES:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (module / name).is_file(), f"{_rel(module)} lacks {name}"
        assert list(module.glob("tests/*.tftest.hcl")), f"{_rel(module)} has no tests/*.tftest.hcl"


def test_fmt_is_clean(terraform_available: str) -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", str(TERRAFORM)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"terraform fmt would change: {result.stdout}"


@pytest.mark.parametrize("module", TESTED, ids=_rel)
def test_terraform_test(module: Path, tf_copy: Path, tf_env: dict[str, str]) -> None:
    where = tf_copy / _rel(module)
    init = _tf(["init", "-backend=false", "-input=false", "-no-color"], where, tf_env)
    assert init.returncode == 0, init.stderr
    result = _tf(["test", "-no-color"], where, tf_env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " 0 failed" in result.stdout and "passed" in result.stdout


def test_environment_roots_differ_only_in_tfvars() -> None:
    """Environments differ in size (terraform.tfvars, infra.toml), never in code."""
    roots = [p for p in (TERRAFORM / "environments").iterdir() if p.is_dir()]
    assert {p.name for p in roots} >= {"dev", "staging", "prod"}
    reference = TERRAFORM / "environments" / "dev"
    code = sorted(p.name for p in reference.glob("*.tf"))
    for root in roots:
        assert sorted(p.name for p in root.glob("*.tf") if not p.name.endswith("_override.tf")) == code, (
            root.name
        )
        for name in code:
            assert (root / name).read_text() == (reference / name).read_text(), (
                f"{root.name}/{name} differs from dev"
            )
        assert (root / "terraform.tfvars").is_file(), f"{root.name} has no terraform.tfvars"
