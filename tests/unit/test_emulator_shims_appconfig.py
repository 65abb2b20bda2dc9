"""AWS AppConfig emulator shims against in-process moto: each gap on bare moto, then closed by its shim.

Shims are applied only inside `shims_applied`, which restores moto's classes and appconfig routes
afterwards, so tests that use bare moto elsewhere in the session are unaffected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_appconfig_model import (
    PREDEFINED_STRATEGIES,
    completed_deployment,
    deployment_summary,
    resource_arn,
)
from tests.unit.moto_patches import restoring

REGION = "af-south-1"
ACCOUNT = "123456789012"
MODULE = "deployment_infra.emulator_shims_appconfig"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
NAMES = [
    "appconfig-deployment-strategies",
    "appconfig-deployments",
    "appconfig-environments",
    "appconfig-hosted-versions",
    "appconfig-list-applications",
]
DOCUMENT = {"version": "1", "flags": {"f": {"name": "f"}}, "values": {"f": {"enabled": True}}}


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    """Apply the named appconfig shims for the duration of the block, then undo them."""
    from moto.appconfig import urls
    from moto.appconfig.models import AppConfigBackend
    from moto.appconfig.responses import AppConfigResponse

    import_module(MODULE)
    with restoring([AppConfigBackend, AppConfigResponse], [urls.url_paths]):
        for name in names:
            SHIMS[name]()
        yield


@pytest.fixture
def appconfig(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("appconfig", region_name=REGION)


def _app(client: Any, name: str = "ngapp-dev") -> str:
    return str(client.create_application(Name=name)["Id"])


def _profile(client: Any, app: str) -> str:
    profile = client.create_configuration_profile(
        ApplicationId=app, Name="flags", LocationUri="hosted", Type="AWS.AppConfig.FeatureFlags"
    )
    return str(profile["Id"])


def _version(client: Any, app: str, profile: str, document: Any = DOCUMENT, **extra: Any) -> int:
    created = client.create_hosted_configuration_version(
        ApplicationId=app,
        ConfigurationProfileId=profile,
        Content=json.dumps(document).encode(),
        ContentType="application/json",
        **extra,
    )
    return int(created["VersionNumber"])


def test_appconfig_shims_are_registered_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES
    import_module(MODULE)
    names = sorted(name for name, func in SHIMS.items() if func.__module__ == MODULE)
    assert names == NAMES
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


# -- pure helpers ------------------------------------------------------------------------------


@settings(max_examples=100)
@given(
    number=st.integers(1, 10_000),
    version=st.integers(1, 10_000).map(str),
    strategy=st.sampled_from(sorted(PREDEFINED_STRATEGIES)),
    label=st.none() | st.text(min_size=1, max_size=20),
)
def test_a_deployment_is_complete_at_once(
    number: int, version: str, strategy: str, label: str | None
) -> None:
    profile = {"Id": "prf1234", "Name": "flags", "LocationUri": "hosted"}
    deployment = completed_deployment(
        number,
        application_id="app1234",
        environment_id="env1234",
        profile=profile,
        version=version,
        version_label=label,
        strategy=PREDEFINED_STRATEGIES[strategy],
        description=None,
        at="2026-01-01T00:00:00Z",
    )
    assert (deployment["State"], deployment["PercentageComplete"]) == ("COMPLETE", 100.0)
    assert deployment["StartedAt"] == deployment["CompletedAt"]
    assert deployment["DeploymentStrategyId"] == strategy
    assert deployment["FinalBakeTimeInMinutes"] == PREDEFINED_STRATEGIES[strategy]["FinalBakeTimeInMinutes"]
    assert [e["EventType"] for e in deployment["EventLog"]] == ["DEPLOYMENT_COMPLETED", "DEPLOYMENT_STARTED"]
    assert ("VersionLabel" in deployment) == bool(label)
    summary = deployment_summary(deployment)
    assert summary["DeploymentNumber"] == number and summary["ConfigurationVersion"] == version
    assert "EventLog" not in summary and "ApplicationId" not in summary


def test_arns_follow_the_appconfig_layout() -> None:
    assert (
        resource_arn("aws", REGION, ACCOUNT, "application/a/environment/e")
        == f"arn:aws:appconfig:{REGION}:{ACCOUNT}:application/a/environment/e"
    )


# -- appconfig-list-applications ---------------------------------------------------------------


def test_bare_moto_cannot_list_applications(appconfig: Any) -> None:
    _app(appconfig)
    with pytest.raises(NotImplementedError):
        appconfig.list_applications()


def test_list_applications(appconfig: Any) -> None:
    with shims_applied("appconfig-list-applications"):
        dev, staging = _app(appconfig, "ngapp-dev"), _app(appconfig, "ngapp-staging")
        items = appconfig.list_applications()["Items"]
    assert sorted((a["Id"], a["Name"]) for a in items) == sorted(
        [(dev, "ngapp-dev"), (staging, "ngapp-staging")]
    )


# -- appconfig-environments --------------------------------------------------------------------


def test_bare_moto_has_no_environments(appconfig: Any) -> None:
    app = _app(appconfig)
    with pytest.raises(ClientError, match="Not yet implemented"):
        appconfig.create_environment(ApplicationId=app, Name="dev")
    with pytest.raises(ClientError, match="Not yet implemented"):
        appconfig.list_environments(ApplicationId=app)


def test_environment_lifecycle_and_tags(appconfig: Any) -> None:
    with shims_applied("appconfig-environments"):
        app = _app(appconfig)
        env = appconfig.create_environment(ApplicationId=app, Name="dev", Tags={"Environment": "dev"})
        assert (env["Name"], env["State"], env["ApplicationId"]) == ("dev", "ReadyForDeployment", app)
        arn = f"arn:aws:appconfig:{REGION}:{ACCOUNT}:application/{app}/environment/{env['Id']}"
        assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"Environment": "dev"}

        appconfig.update_environment(ApplicationId=app, EnvironmentId=env["Id"], Description="the dev one")
        got = appconfig.get_environment(ApplicationId=app, EnvironmentId=env["Id"])
        assert (got["Name"], got["Description"]) == ("dev", "the dev one")
        assert [e["Id"] for e in appconfig.list_environments(ApplicationId=app)["Items"]] == [env["Id"]]

        appconfig.delete_environment(ApplicationId=app, EnvironmentId=env["Id"])
        with pytest.raises(ClientError, match="ResourceNotFoundException") as missing:
            appconfig.get_environment(ApplicationId=app, EnvironmentId=env["Id"])
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}


def test_environments_need_their_application_and_go_with_it(appconfig: Any) -> None:
    with shims_applied("appconfig-environments"):
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            appconfig.create_environment(ApplicationId="nope123", Name="dev")
        app = _app(appconfig)
        env = appconfig.create_environment(ApplicationId=app, Name="dev", Tags={"k": "v"})["Id"]
        appconfig.delete_application(ApplicationId=app)
        arn = f"arn:aws:appconfig:{REGION}:{ACCOUNT}:application/{app}/environment/{env}"
        assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            appconfig.get_environment(ApplicationId=app, EnvironmentId=env)


# -- appconfig-deployment-strategies -----------------------------------------------------------


def test_bare_moto_has_no_deployment_strategies(appconfig: Any) -> None:
    with pytest.raises(ClientError, match="Not yet implemented"):
        appconfig.get_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")
    with pytest.raises(ClientError, match="Not yet implemented"):
        appconfig.create_deployment_strategy(
            Name="s", DeploymentDurationInMinutes=0, GrowthFactor=100, ReplicateTo="NONE"
        )


def test_deployment_strategy_lifecycle(appconfig: Any) -> None:
    with shims_applied("appconfig-deployment-strategies"):
        created = appconfig.create_deployment_strategy(
            Name="ngapp-dev-flags",
            DeploymentDurationInMinutes=0,
            GrowthFactor=100,
            FinalBakeTimeInMinutes=0,
            ReplicateTo="NONE",
            Tags={"Environment": "dev"},
        )
        strategy_id = created["Id"]
        got = appconfig.get_deployment_strategy(DeploymentStrategyId=strategy_id)
        assert (got["Name"], got["GrowthType"], got["GrowthFactor"], got["FinalBakeTimeInMinutes"]) == (
            "ngapp-dev-flags",
            "LINEAR",
            100.0,
            0,
        )
        arn = f"arn:aws:appconfig:{REGION}:{ACCOUNT}:deploymentstrategy/{strategy_id}"
        assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"Environment": "dev"}
        appconfig.update_deployment_strategy(DeploymentStrategyId=strategy_id, FinalBakeTimeInMinutes=10)
        assert (
            appconfig.get_deployment_strategy(DeploymentStrategyId=strategy_id)["FinalBakeTimeInMinutes"]
            == 10
        )
        listed = {s["Id"] for s in appconfig.list_deployment_strategies()["Items"]}
        assert listed == {strategy_id, *PREDEFINED_STRATEGIES}

        appconfig.delete_deployment_strategy(DeploymentStrategyId=strategy_id)
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            appconfig.get_deployment_strategy(DeploymentStrategyId=strategy_id)
        assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {}


def test_predefined_strategies_exist_and_are_read_only(appconfig: Any) -> None:
    with shims_applied("appconfig-deployment-strategies"):
        all_at_once = appconfig.get_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")
        assert (all_at_once["GrowthFactor"], all_at_once["DeploymentDurationInMinutes"]) == (100.0, 0)
        with pytest.raises(ClientError, match="BadRequestException"):
            appconfig.delete_deployment_strategy(DeploymentStrategyId="AppConfig.AllAtOnce")
        with pytest.raises(ClientError, match="BadRequestException"):
            appconfig.update_deployment_strategy(
                DeploymentStrategyId="AppConfig.AllAtOnce", FinalBakeTimeInMinutes=0
            )


# -- appconfig-deployments ---------------------------------------------------------------------


def test_bare_moto_cannot_deploy(appconfig: Any) -> None:
    app = _app(appconfig)
    profile = _profile(appconfig, app)
    _version(appconfig, app, profile)
    with pytest.raises(ClientError, match="Not yet implemented"):
        appconfig.start_deployment(
            ApplicationId=app,
            EnvironmentId="env1234",
            DeploymentStrategyId="AppConfig.AllAtOnce",
            ConfigurationProfileId=profile,
            ConfigurationVersion="1",
        )
    with pytest.raises(ClientError, match="Not yet implemented"):
        appconfig.list_deployments(ApplicationId=app, EnvironmentId="env1234")


def _deploying(client: Any) -> tuple[str, str, str]:
    app = _app(client)
    env = str(client.create_environment(ApplicationId=app, Name="dev")["Id"])
    profile = _profile(client, app)
    return app, env, profile


ALL = ("appconfig-environments", "appconfig-deployment-strategies", "appconfig-deployments")


def test_deployments_complete_at_once_and_are_numbered(appconfig: Any) -> None:
    with shims_applied(*ALL):
        app, env, profile = _deploying(appconfig)
        first = _version(appconfig, app, profile, VersionLabel="initial")
        second = _version(appconfig, app, profile, {**DOCUMENT, "values": {"f": {"enabled": False}}})
        for version in (first, second):
            started = appconfig.start_deployment(
                ApplicationId=app,
                EnvironmentId=env,
                DeploymentStrategyId="AppConfig.AllAtOnce",
                ConfigurationProfileId=profile,
                ConfigurationVersion=str(version),
                Tags={"v": str(version)},
            )
            assert started["DeploymentNumber"] == version
        got = appconfig.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
        assert (got["State"], got["PercentageComplete"], got["VersionLabel"]) == (
            "COMPLETE",
            100.0,
            "initial",
        )
        assert (got["ConfigurationName"], got["ConfigurationLocationUri"]) == ("flags", "hosted")
        items = appconfig.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"]
        assert [(d["DeploymentNumber"], d["ConfigurationVersion"]) for d in items] == [(2, "2"), (1, "1")]
        arn = f"arn:aws:appconfig:{REGION}:{ACCOUNT}:application/{app}/environment/{env}/deployment/2"
        assert appconfig.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"v": "2"}
        stopped = appconfig.stop_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=2)
        assert stopped["State"] == "COMPLETE"
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            appconfig.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=3)


def test_a_deployment_needs_a_version_a_strategy_and_the_latest_number(appconfig: Any) -> None:
    with shims_applied(*ALL):
        app, env, profile = _deploying(appconfig)
        _version(appconfig, app, profile)
        start = {
            "ApplicationId": app,
            "EnvironmentId": env,
            "DeploymentStrategyId": "AppConfig.AllAtOnce",
            "ConfigurationProfileId": profile,
            "ConfigurationVersion": "1",
        }
        with pytest.raises(ClientError, match="BadRequestException"):
            appconfig.start_deployment(**{**start, "ConfigurationVersion": "2"})
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            appconfig.start_deployment(**{**start, "DeploymentStrategyId": "nope123"})
        with pytest.raises(ClientError, match="ResourceNotFoundException"):
            appconfig.start_deployment(**{**start, "EnvironmentId": "nope123"})
        appconfig.start_deployment(**start, LatestDeploymentNumber=0)
        with pytest.raises(ClientError, match="ConflictException"):
            appconfig.start_deployment(**start, LatestDeploymentNumber=0)
        assert appconfig.start_deployment(**start, LatestDeploymentNumber=1)["DeploymentNumber"] == 2


# -- appconfig-hosted-versions -----------------------------------------------------------------


def test_bare_moto_cannot_list_versions_and_ignores_the_lock(appconfig: Any) -> None:
    app = _app(appconfig)
    profile = _profile(appconfig, app)
    _version(appconfig, app, profile)
    with pytest.raises(NotImplementedError):
        appconfig.list_hosted_configuration_versions(ApplicationId=app, ConfigurationProfileId=profile)
    # a writer that read version 0 (none) still overwrites: the lock is ignored
    assert _version(appconfig, app, profile, LatestVersionNumber=0) == 2


def test_versions_are_listed_newest_first_and_the_lock_holds(appconfig: Any) -> None:
    with shims_applied("appconfig-hosted-versions"):
        app = _app(appconfig)
        profile = _profile(appconfig, app)
        assert _version(appconfig, app, profile, LatestVersionNumber=0) == 1
        assert _version(appconfig, app, profile, LatestVersionNumber=1, VersionLabel="two") == 2
        with pytest.raises(ClientError, match="ConflictException") as conflict:
            _version(appconfig, app, profile, LatestVersionNumber=1)
        assert conflict.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        items = appconfig.list_hosted_configuration_versions(
            ApplicationId=app, ConfigurationProfileId=profile
        )["Items"]
        assert [(v["VersionNumber"], v.get("VersionLabel")) for v in items] == [(2, "two"), (1, None)]
        assert all("Content" not in v for v in items)
