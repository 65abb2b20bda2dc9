"""AppConfig on the emulator or in-process moto, set up as `infra flags` leaves it: an application
with a feature-flag profile ("flags") and environments, hosted versions deployed to them.

Used by tests/unit/test_flags_agent.py (moto in-process) and
tests/integration/test_flags_agent_service.py (the real emulator).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"


def flag_document(values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An AWS.AppConfig.FeatureFlags document whose flags are `values`' keys."""
    flags = {
        name: {
            "name": name,
            "description": f"flag {name}",
            **({"attributes": {k: {} for k in value if k != "enabled"}} if len(value) > 1 else {}),
        }
        for name, value in values.items()
    }
    return {"version": "1", "flags": flags, "values": values}


@dataclass(frozen=True)
class Setup:
    """One application with a feature-flag profile and environments, by id."""

    client: Any
    app: str
    profile: str
    environments: dict[str, str]

    def publish(self, values: dict[str, dict[str, Any]]) -> str:
        """A new hosted version of the flags; returns its number."""
        created = self.client.create_hosted_configuration_version(
            ApplicationId=self.app,
            ConfigurationProfileId=self.profile,
            Content=json.dumps(flag_document(values)).encode(),
            ContentType="application/json",
        )
        return str(created["VersionNumber"])

    def deploy(self, environment: str, version: str, profile: str | None = None) -> None:
        self.client.start_deployment(
            ApplicationId=self.app,
            EnvironmentId=self.environments[environment],
            DeploymentStrategyId="AppConfig.AllAtOnce",
            ConfigurationProfileId=profile or self.profile,
            ConfigurationVersion=version,
        )


def create_setup(client: Any, app: str = "ngapp", environments: tuple[str, ...] = ("dev", "prod")) -> Setup:
    app_id = str(client.create_application(Name=app)["Id"])
    profile = client.create_configuration_profile(
        ApplicationId=app_id, Name="flags", LocationUri="hosted", Type=FEATURE_FLAGS
    )["Id"]
    env_ids = {
        name: str(client.create_environment(ApplicationId=app_id, Name=name)["Id"]) for name in environments
    }
    return Setup(client, app_id, str(profile), env_ids)


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as res:  # noqa: S310 (loopback, http only)
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()
