"""AWS AppConfig as the emulator shims model it: predefined strategies, deployments, ARNs, routes.

Pure data and functions (no moto import), used by emulator_shims_appconfig.py and its tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

READY = "ReadyForDeployment"
# AWS's predefined strategies (read-only, in every account and region).
PREDEFINED_STRATEGIES: Mapping[str, Mapping[str, Any]] = {
    name: {
        "Id": name,
        "Name": name,
        "Description": description,
        "DeploymentDurationInMinutes": duration,
        "GrowthType": growth_type,
        "GrowthFactor": float(factor),
        "FinalBakeTimeInMinutes": bake,
        "ReplicateTo": "NONE",
    }
    for name, description, duration, growth_type, factor, bake in (
        ("AppConfig.AllAtOnce", "Quick", 0, "LINEAR", 100, 10),
        ("AppConfig.Linear50PercentEvery30Seconds", "Test/Demo", 1, "LINEAR", 50, 1),
        ("AppConfig.Canary10Percent20Minutes", "AWS Recommended", 20, "EXPONENTIAL", 10, 10),
        ("AppConfig.Linear20PercentEvery6Minutes", "AWS Recommended", 30, "LINEAR", 20, 30),
    )
}
STRATEGY_FIELDS = ("Description", "DeploymentDurationInMinutes", "FinalBakeTimeInMinutes", "GrowthFactor")
STATUS = {"ResourceNotFoundException": 404, "BadRequestException": 400, "ConflictException": 409}

# Paths moto's appconfig router lacks (restJson1: the operation is found from method + URI).
EXTRA_URL_PATHS = (
    "{0}/applications/(?P<app_id>[^/]+)/environments$",
    "{0}/applications/(?P<app_id>[^/]+)/environments/(?P<env_id>[^/]+)$",
    "{0}/applications/(?P<app_id>[^/]+)/environments/(?P<env_id>[^/]+)/deployments$",
    "{0}/applications/(?P<app_id>[^/]+)/environments/(?P<env_id>[^/]+)/deployments/(?P<number>[^/]+)$",
    "{0}/deploymentstrategies$",
    "{0}/deploymentstrategies/(?P<strategy_id>[^/]+)$",
    # DeleteDeploymentStrategy's URI is spelt so in AWS's API model
    "{0}/deployementstrategies/(?P<strategy_id>[^/]+)$",
)


def new_id() -> str:
    """A resource id as AppConfig makes them: 7 lower-case letters and digits."""
    return uuid.uuid4().hex[:7]


def resource_arn(partition: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition}:appconfig:{region}:{account}:{resource}"


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def completed_deployment(
    number: int,
    *,
    application_id: str,
    environment_id: str,
    profile: Mapping[str, Any],
    version: str,
    version_label: str | None,
    strategy: Mapping[str, Any],
    description: str | None,
    at: str,
) -> dict[str, Any]:
    """A deployment as GetDeployment reports it once finished: state COMPLETE, 100 %, two events."""
    deployment: dict[str, Any] = {
        "ApplicationId": application_id,
        "EnvironmentId": environment_id,
        "DeploymentStrategyId": strategy["Id"],
        "ConfigurationProfileId": profile["Id"],
        "DeploymentNumber": number,
        "ConfigurationName": profile["Name"],
        "ConfigurationLocationUri": profile["LocationUri"],
        "ConfigurationVersion": version,
        "Description": description or "",
        **{k: strategy[k] for k in ("DeploymentDurationInMinutes", "GrowthType", "GrowthFactor")},
        "FinalBakeTimeInMinutes": strategy["FinalBakeTimeInMinutes"],
        "State": "COMPLETE",
        "PercentageComplete": 100.0,
        "StartedAt": at,
        "CompletedAt": at,
        # newest first, as AWS lists them
        "EventLog": [
            {
                "EventType": f"DEPLOYMENT_{event}",
                "TriggeredBy": by,
                "OccurredAt": at,
                "Description": f"Deployment {event.lower()}",
            }
            for event, by in (("COMPLETED", "APPCONFIG"), ("STARTED", "USER"))
        ],
        "AppliedExtensions": [],
    }
    if version_label:
        deployment["VersionLabel"] = version_label
    return deployment


SUMMARY_FIELDS = (
    "DeploymentNumber", "ConfigurationName", "ConfigurationVersion", "DeploymentDurationInMinutes",
    "GrowthType", "GrowthFactor", "FinalBakeTimeInMinutes", "State", "PercentageComplete", "StartedAt",
    "CompletedAt", "VersionLabel",
)  # fmt: skip


def deployment_summary(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """A ListDeployments item."""
    return {k: deployment[k] for k in SUMMARY_FIELDS if k in deployment}


def version_summary(version: Any) -> dict[str, Any]:
    """A ListHostedConfigurationVersions item of moto's HostedConfigurationVersion (no content)."""
    summary = {
        "ApplicationId": version.app_id,
        "ConfigurationProfileId": version.config_id,
        "VersionNumber": version.version,
        "Description": version.description,
        "ContentType": version.content_type,
        "VersionLabel": version.version_label,
    }
    return {k: v for k, v in summary.items() if v is not None}
