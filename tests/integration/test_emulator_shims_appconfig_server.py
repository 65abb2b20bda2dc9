"""AWS AppConfig shims seen through a real emulator server (the launcher applies them).

The gaps themselves are shown on bare moto in tests/unit/test_emulator_shims_appconfig.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

REGION = "af-south-1"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def appconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with own_emulator(Path(tmp_path_factory.mktemp("appconfig-shims")) / ".infra") as emu:
        yield LocalTarget(emu).client("appconfig", REGION)


def test_flags_profile_deployed_to_an_environment_through_the_launcher(appconfig: Any) -> None:
    # appconfig-list-applications
    app = appconfig.create_application(Name="ngapp-shim")["Id"]
    assert [a["Id"] for a in appconfig.list_applications()["Items"] if a["Name"] == "ngapp-shim"] == [app]

    # appconfig-environments
    env = appconfig.create_environment(ApplicationId=app, Name="dev", Tags={"Environment": "dev"})["Id"]
    assert appconfig.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "ReadyForDeployment"
    env_arn = f"arn:aws:appconfig:{REGION}:{ACCOUNT}:application/{app}/environment/{env}"
    assert appconfig.list_tags_for_resource(ResourceArn=env_arn)["Tags"] == {"Environment": "dev"}

    # appconfig-deployment-strategies (Delete goes to the API's "/deployementstrategies" URI)
    strategy = appconfig.create_deployment_strategy(
        Name="ngapp-shim-flags", DeploymentDurationInMinutes=0, GrowthFactor=100, ReplicateTo="NONE"
    )["Id"]
    assert (
        appconfig.get_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")["GrowthFactor"] == 100
    )

    # appconfig-hosted-versions
    profile = appconfig.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )["Id"]
    document = {"version": "1", "flags": {"f": {"name": "f"}}, "values": {"f": {"enabled": True}}}
    version = appconfig.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps(document).encode(),
        ContentType="application/json",
        LatestVersionNumber=0,
    )["VersionNumber"]
    with pytest.raises(ClientError, match="ConflictException"):
        appconfig.create_hosted_configuration_version(
            ApplicationId=app,
            ConfigurationProfileId=profile,
            Content=b"{}",
            ContentType="application/json",
            LatestVersionNumber=0,
        )
    items = appconfig.list_hosted_configuration_versions(ApplicationId=app, ConfigurationProfileId=profile)
    assert [v["VersionNumber"] for v in items["Items"]] == [version]

    # appconfig-deployments
    started = appconfig.start_deployment(
        ApplicationId=app,
        EnvironmentId=env,
        DeploymentStrategyId=strategy,
        ConfigurationProfileId=profile,
        ConfigurationVersion=str(version),
    )
    got = appconfig.get_deployment(
        ApplicationId=app, EnvironmentId=env, DeploymentNumber=started["DeploymentNumber"]
    )
    assert (got["State"], got["PercentageComplete"], got["ConfigurationVersion"]) == ("COMPLETE", 100.0, "1")
    [summary] = appconfig.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"]
    assert summary["DeploymentNumber"] == 1

    appconfig.delete_deployment_strategy(DeploymentStrategyId=strategy)
    appconfig.delete_environment(ApplicationId=app, EnvironmentId=env)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        appconfig.get_environment(ApplicationId=app, EnvironmentId=env)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        appconfig.get_deployment_strategy(DeploymentStrategyId=strategy)
