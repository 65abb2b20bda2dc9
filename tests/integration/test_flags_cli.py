"""`infra flags` through the real CLI against its own emulator: dev and staging run the same flag with
different values.

The AppConfig resources are made with boto3 as terraform/modules/flags makes them (no `infra up`).
What the service would read is checked with the AppConfig agent stand-in's reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.envs.flags_agent import AppConfigReader
from deployment_infra.targets import LocalTarget
from tests.conftest import copy_project, own_emulator, run_infra

REGION = "af-south-1"
BANNER = "maintenance_banner"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("flags-cli"))


@pytest.fixture(scope="module")
def emulator(project: Path) -> Iterator[Emulator]:
    with own_emulator(project / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("appconfig", REGION)


def provision(client: Any, env: str) -> None:
    """The flags module's resources for `env`: the banner seeded off and deployed."""
    app = client.create_application(Name=f"ngapp-{env}")["Id"]
    env_id = client.create_environment(ApplicationId=app, Name=env)["Id"]
    profile = client.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]
    strategy = client.create_deployment_strategy(
        Name=f"ngapp-{env}-flags", DeploymentDurationInMinutes=0, GrowthFactor=100, ReplicateTo="NONE"
    )["Id"]
    document = {
        "version": "1",
        "flags": {BANNER: {"name": BANNER, "description": "Maintenance-Banner header"}},
        "values": {BANNER: {"enabled": False}},
    }
    version = client.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps(document).encode(),
        ContentType="application/json",
    )["VersionNumber"]
    client.start_deployment(
        ApplicationId=app,
        EnvironmentId=env_id,
        ConfigurationProfileId=profile,
        ConfigurationVersion=str(version),
        DeploymentStrategyId=strategy,
    )


def infra(project: Path, emulator: Emulator, *args: str) -> Any:
    return run_infra(project, "flags", *args, env={"INFRA_EMULATOR_PORT": str(emulator.port)}, timeout=120)


def test_dev_and_staging_run_the_same_flag_differently(
    project: Path, emulator: Emulator, client: Any
) -> None:
    for env in ("dev", "staging"):
        provision(client, env)

    enabled = infra(project, emulator, "enable", "--env", "dev", BANNER, "--attr", "message=Dev is read-only")
    assert enabled.returncode == 0, enabled.stderr
    assert "version 2, deployment 2 (COMPLETE)" in enabled.stderr
    again = infra(project, emulator, "enable", "--env", "dev", BANNER, "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    off = infra(project, emulator, "disable", "--env", "staging", BANNER, "--json")
    assert off.returncode == 0 and json.loads(off.stdout)["changed"] is False  # seeded off already

    listed = {}
    for env in ("dev", "staging"):
        result = infra(project, emulator, "list", "--env", env, "--json")
        assert result.returncode == 0, result.stderr
        listed[env] = json.loads(result.stdout)
    assert listed["dev"]["flags"] == {BANNER: {"enabled": True, "message": "Dev is read-only"}}
    assert listed["staging"]["flags"] == {BANNER: {"enabled": False}}
    assert (listed["dev"]["version"], listed["staging"]["version"]) == (2, 1)

    # what each environment's service reads through the AppConfig agent (stand-in)
    reader = AppConfigReader(client)
    seen = {env: json.loads(reader.deployed(f"ngapp-{env}", env, "flags").body) for env in ("dev", "staging")}
    assert seen == {
        "dev": {BANNER: {"enabled": True, "message": "Dev is read-only"}},
        "staging": {BANNER: {"enabled": False}},
    }

    table = infra(project, emulator, "list", "--env", "dev")
    assert table.returncode == 0 and BANNER in table.stdout and "on" in table.stdout


def test_bad_input_and_prod_refusals_change_nothing(project: Path, emulator: Emulator, client: Any) -> None:
    provision(client, "prod")
    for args, code, message in (
        (("enable", "--env", "dev", "no_such_flag"), 2, "unknown flag"),
        (("set", "--env", "dev", BANNER, "--attr", "message=\u00e9t\u00e9"), 2, "does not match"),
        (("set", "--env", "dev", BANNER, "--attr", "size=3"), 2, "no attribute 'size'"),
        (("enable", "--env", "prod", BANNER), 2, "prod is protected"),
    ):
        result = infra(project, emulator, *args)
        assert result.returncode == code and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert infra(project, emulator, "list", "--env", "prod", "--json").stdout.count('"enabled": false') == 1
    ok = infra(project, emulator, "enable", "--env", "prod", BANNER, "--yes", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["version"] == 2, ok.stderr
