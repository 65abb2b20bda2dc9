"""terraform/modules/flags end to end on its own emulator: apply, check with boto3, re-plan, a flags
change made after creation is left alone, destroy.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import OVERRIDE_FILE, LocalTarget
from tests.conftest import REPO, own_emulator
from tests.integration.terraform_root import run_terraform

REGION = "af-south-1"
NAME = "ngapp-flagtest"
ROOT = f"""
terraform {{
  required_version = ">= 1.11"
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 5.100" }}
  }}
}}

provider "aws" {{
  region = "{REGION}"
  default_tags {{
    tags = {{ Project = "ngapp", Environment = "dev", ManagedBy = "terraform" }}
  }}
}}

variable "banner" {{
  type = bool
}}

module "flags" {{
  source      = "{REPO / "terraform" / "modules" / "flags"}"
  name        = "{NAME}"
  environment = "dev"
  flags = {{
    maintenance_banner = {{ enabled = var.banner, description = "Maintenance-Banner header" }}
  }}
  tags = {{ Component = "flags" }}
}}

output "flags" {{
  value = module.flags
}}
"""


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("flags")) / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator, terraform_available: str) -> Path:
    where = tmp_path_factory.mktemp("flags-root")
    (where / "main.tf").write_text(ROOT)
    (where / OVERRIDE_FILE).write_text(LocalTarget(emulator).provider_override(where))
    return where


def tf(root: Path, emulator: Emulator, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return run_terraform(root, emulator, args, timeout=timeout, what="the flags module root (module.flags)")


def outputs(root: Path, emulator: Emulator) -> dict[str, Any]:
    result = ok(
        run_terraform(root, emulator, ["output", "-json"], timeout=60, what="terraform output", flags=())
    )
    return dict(json.loads(result.stdout)["flags"]["value"])


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: {result.stderr[-3000:]}"
    return result


def _appconfig(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("appconfig", REGION)


def _deployed(client: Any, out: dict[str, Any]) -> dict[str, Any]:
    """The document of the environment's newest deployment."""
    app, env = out["application_id"], out["environment_id"]
    newest = client.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"][0]
    deployment = client.get_deployment(
        ApplicationId=app, EnvironmentId=env, DeploymentNumber=newest["DeploymentNumber"]
    )
    assert (deployment["State"], deployment["PercentageComplete"]) == ("COMPLETE", 100.0)
    version = client.get_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=out["configuration_profile_id"],
        VersionNumber=int(deployment["ConfigurationVersion"]),
    )
    return dict(json.loads(version["Content"].read()))


def test_apply_check_replan_and_ignore_later_flags(root: Path, emulator: Emulator) -> None:
    ok(tf(root, emulator, "init"))
    ok(tf(root, emulator, "apply", "-auto-approve", "-var=banner=false"))
    out = outputs(root, emulator)
    client = _appconfig(emulator)

    [app] = [a for a in client.list_applications()["Items"] if a["Name"] == NAME]
    assert app["Id"] == out["application_id"]
    [env] = client.list_environments(ApplicationId=app["Id"])["Items"]
    assert (env["Name"], env["State"]) == ("dev", "ReadyForDeployment")
    profile = client.get_configuration_profile(
        ApplicationId=app["Id"], ConfigurationProfileId=out["configuration_profile_id"]
    )
    assert (profile["Name"], profile["Type"], profile["LocationUri"]) == (
        "flags",
        "AWS.AppConfig.FeatureFlags",
        "hosted",
    )
    strategy = client.get_deployment_strategy(DeploymentStrategyId=out["deployment_strategy_id"])
    assert (strategy["Name"], strategy["FinalBakeTimeInMinutes"], strategy["GrowthFactor"]) == (
        f"{NAME}-flags",
        0,
        100.0,
    )
    assert _deployed(client, out) == {
        "version": "1",
        "flags": {
            "maintenance_banner": {"name": "maintenance_banner", "description": "Maintenance-Banner header"}
        },
        "values": {"maintenance_banner": {"enabled": False}},
    }
    tags = client.list_tags_for_resource(ResourceArn=out["environment_arn"])["Tags"]
    assert tags["Component"] == "flags" and tags["Environment"] == "dev"

    replan = tf(root, emulator, "plan", "-detailed-exitcode", "-var=banner=false")
    assert replan.returncode == 0, (
        f"second plan is not empty (exit {replan.returncode}): {replan.stdout[-3000:]}"
    )
    # `infra flags` owns the flags after creation: a changed initial value plans nothing
    changed = tf(root, emulator, "plan", "-detailed-exitcode", "-var=banner=true")
    assert changed.returncode == 0, f"a changed var.flags planned changes: {changed.stdout[-3000:]}"


def test_destroy_leaves_no_application(root: Path, emulator: Emulator) -> None:
    ok(tf(root, emulator, "destroy", "-auto-approve", "-var=banner=false"))
    client = _appconfig(emulator)
    assert [a for a in client.list_applications()["Items"] if a["Name"] == NAME] == []
    names = [s["Name"] for s in client.list_deployment_strategies()["Items"]]
    assert f"{NAME}-flags" not in names
