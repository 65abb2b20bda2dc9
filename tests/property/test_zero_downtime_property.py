"""Property 10, Zero-Downtime Deployment.

For any (environment, desired, min/max capacity, minimum healthy %, maximum %, AZ count) the
ecs module's validation accepts, a model of an ECS rolling deployment never has fewer healthy
tasks than required, never zero in staging/prod (even losing an AZ), and always completes; and
every combination the model calls unsafe is rejected by the module's own validation, checked
by one generated `terraform test` file with a run per example (expect_failures naming exactly
the inputs the model blames).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
from hypothesis import given, settings
from hypothesis import strategies as st

from deployment_infra.models.rolling_deploy import (
    CRITICAL_ENVIRONMENTS,
    DeploymentConfig,
    simulate,
    surviving_an_az_loss,
    task_counts,
    violations,
)
from deployment_infra.terraform import write_cli_config
from tests.conftest import REPO

MODULE = REPO / "terraform" / "modules" / "ecs"
EXAMPLES: dict[DeploymentConfig, dict[str, str]] = {}


@st.composite
def configs(draw: st.DrawFn) -> DeploymentConfig:
    desired = draw(st.integers(1, 8))
    return DeploymentConfig(
        environment=draw(st.sampled_from(["dev", "staging", "prod", "preview-7"])),
        desired_count=desired,
        min_capacity=draw(st.integers(1, desired + 1)),
        max_capacity=draw(st.integers(max(1, desired - 1), 12)),
        min_healthy_percent=draw(st.sampled_from([0, 25, 50, 67, 75, 90, 99, 100])),
        max_percent=draw(st.sampled_from([100, 110, 125, 134, 150, 175, 200])),
        az_count=draw(st.integers(2, 3)),
    )


@settings(max_examples=100, deadline=None)
@given(configs())
def test_accepted_configurations_never_go_down(cfg: DeploymentConfig) -> None:
    found = violations(cfg)
    EXAMPLES[cfg] = found
    if found:
        return
    for tasks in task_counts(cfg):
        rollout = simulate(tasks, cfg.min_healthy_percent, cfg.max_percent)
        assert rollout.completed
        assert rollout.min_healthy_seen >= rollout.required_healthy
        assert rollout.max_running_seen <= rollout.allowed_running
        if cfg.environment in CRITICAL_ENVIRONMENTS:
            assert rollout.min_healthy_seen >= 1
            assert surviving_an_az_loss(tasks, cfg.az_count) >= 1


def test_model_sees_the_classic_mistakes() -> None:
    """The model is not vacuous: it flags what it must."""
    assert "deployment_maximum_percent" in violations(DeploymentConfig("dev", 2, 2, 2, 100, 100, 2))
    assert "desired_count" in violations(DeploymentConfig("prod", 1, 1, 3, 100, 200, 3))
    assert "deployment_minimum_healthy_percent" in violations(
        DeploymentConfig("staging", 2, 2, 4, 50, 200, 3)
    )
    assert simulate(3, 0, 100).min_healthy_seen == 0  # dev may accept a gap; staging/prod never
    assert violations(DeploymentConfig("prod", 3, 3, 12, 100, 200, 3)) == {}


def validation_dependencies() -> dict[str, set[str]]:
    """variable -> the other variables its validation conditions read, from the module's HCL."""
    deps: dict[str, set[str]] = {}
    for path in MODULE.glob("variables*.tf"):
        for block in hcl2.loads(path.read_text()).get("variable", []):
            for quoted, body in block.items():
                name = quoted.strip('"')
                conditions = " ".join(str(v.get("condition", "")) for v in body.get("validation", []))
                deps[name] = set(re.findall(r"var\.([a-z_]+)", conditions)) - {name}
    return deps


def reported_failures(found: dict[str, str], deps: dict[str, set[str]]) -> set[str]:
    """Which of the model's findings Terraform reports: a validation that reads a variable that
    failed (or was itself skipped for that reason) is not evaluated."""

    def tainted(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name in found:
            return True
        return any(tainted(d, seen | {name}) for d in deps.get(name, ()) if d not in seen)

    return {name for name in found if not any(tainted(d) for d in deps.get(name, ()))}


def _mock_block() -> str:
    text = (MODULE / "tests" / "ecs.tftest.hcl").read_text()
    start = text.index('mock_provider "aws"')
    end = text.index("\nrun ", start)
    return text[start:end]


def _run_block(i: int, cfg: DeploymentConfig, expected: set[str]) -> str:
    failures = ", ".join(f"var.{name}" for name in sorted(expected))
    lines = [
        f'run "example_{i}" {{',
        "  command = plan",
        "  variables {",
        f'    environment                        = "{cfg.environment}"',
        f"    desired_count                      = {cfg.desired_count}",
        f"    min_capacity                       = {cfg.min_capacity}",
        f"    max_capacity                       = {cfg.max_capacity}",
        f"    deployment_minimum_healthy_percent = {cfg.min_healthy_percent}",
        f"    deployment_maximum_percent         = {cfg.max_percent}",
        "  }",
    ]
    if failures:
        lines.append(f"  expect_failures = [{failures}]")
    lines.append("}")
    return "\n".join(lines)


def test_module_validation_agrees_with_the_model(tmp_path: Path, terraform_available: str) -> None:
    assert EXAMPLES, "the Hypothesis property must run first (same module)"
    module = tmp_path / "ecs"
    shutil.copytree(MODULE, module, ignore=shutil.ignore_patterns(".terraform*", "tests"))
    (module / "tests").mkdir()
    deps = validation_dependencies()
    assert deps["deployment_maximum_percent"] >= {"min_capacity", "max_capacity"}  # the rule reads both
    runs = [
        _run_block(i, cfg, reported_failures(found, deps))
        for i, (cfg, found) in enumerate(sorted(EXAMPLES.items(), key=str))
    ]
    (module / "tests" / "zero_downtime.tftest.hcl").write_text(
        _mock_block() + "\n" + "\n\n".join(runs) + "\n"
    )
    env = dict(
        os.environ, TF_CLI_CONFIG_FILE=str(write_cli_config(tmp_path)), TF_DATA_DIR=str(tmp_path / "data")
    )
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-no-color"],
        cwd=module,
        env=env,
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stderr
    result = subprocess.run(
        ["terraform", "test", "-no-color"], cwd=module, env=env, capture_output=True, text=True, timeout=900
    )
    failed = re.findall(r'run "(example_\d+)"\.\.\. fail', result.stdout)
    assert result.returncode == 0 and not failed, (failed, result.stdout[-3000:], result.stderr[-2000:])
    assert f"{len(runs)} passed, 0 failed" in result.stdout
