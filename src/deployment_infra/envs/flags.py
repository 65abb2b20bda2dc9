"""Feature flags: an environment's AWS AppConfig feature-flag profile, validated against a schema.

Names by convention (terraform/modules/flags creates them): application "<project>-<env>",
environment "<env>", profile "flags", deployment strategy "<project>-<env>-flags". What an environment
runs with is the hosted version of its newest COMPLETE deployment of the profile. A change reads that
document, changes one flag, validates the whole document against cd/flags.schema.json, writes a new
hosted version (locked on the latest version number) and deploys it (locked on the latest deployment
number), so two operators changing flags at once cannot overwrite each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployment_infra.errors import InfraError, UsageError
from deployment_infra.settings import Settings

SCHEMA_FILE = Path("cd") / "flags.schema.json"
PROFILE = "flags"
FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
JSON_TYPE = "application/json"
IN_PROGRESS = frozenset({"BAKING", "VALIDATING", "DEPLOYING", "ROLLING_BACK"})
# JSON Schema types of attributes and AppConfig's constraint type for each
_CONSTRAINT_TYPES = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean"}
_CONSTRAINT_KEYS = ("pattern", "enum", "minimum", "maximum")


@dataclass(frozen=True)
class FlagSpec:
    """One known flag: its description and the JSON Schema of each optional attribute."""

    name: str
    description: str
    attributes: Mapping[str, Mapping[str, Any]]

    def definition(self, attributes: Sequence[str] = ()) -> dict[str, Any]:
        """The AppConfig "flags" entry, declaring `attributes` (AppConfig checks values against it)."""
        entry: dict[str, Any] = {"name": self.name, "description": self.description}
        if attributes:
            entry["attributes"] = {a: {"constraints": self.constraints(a)} for a in sorted(attributes)}
        return entry

    def constraints(self, attribute: str) -> dict[str, Any]:
        schema = self.attributes[attribute]
        found = {"type": _CONSTRAINT_TYPES[schema["type"]], "required": False}
        found.update({k: schema[k] for k in _CONSTRAINT_KEYS if k in schema})
        return found

    def parse(self, assignment: str) -> tuple[str, Any]:
        """ "k=v" as (k, typed value) for attribute k; UsageError for an unknown attribute or bad value."""
        key, sep, raw = assignment.partition("=")
        if not sep or not key:
            raise UsageError(f"--attr {assignment!r} must be NAME=VALUE; nothing changed")
        if key not in self.attributes:
            known = ", ".join(sorted(self.attributes)) or "none"
            raise UsageError(f"flag {self.name} has no attribute {key!r} (known: {known}); nothing changed")
        kind = self.attributes[key]["type"]
        value: Any = raw
        try:
            if kind == "boolean":
                if raw not in ("true", "false"):
                    raise ValueError(raw)
                value = raw == "true"
            elif kind == "integer":
                value = int(raw)
            elif kind == "number":
                value = float(raw)
        except ValueError:
            raise UsageError(
                f"attribute {key} of {self.name} must be a {kind}, got {raw[:80]!r}; nothing changed"
            ) from None
        # the attribute's own schema (pattern, bounds) judges the value before anything is read
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

        problems = [e.message for e in Draft202012Validator(self.attributes[key]).iter_errors(value)]
        if isinstance(value, str) and not value.isprintable():
            problems.append("it holds a control character or undecodable bytes")
        if problems:
            raise UsageError(f"attribute {key} of {self.name}: {problems[0][:200]}; nothing changed")
        return key, value


@dataclass(frozen=True)
class FlagSchema:
    """cd/flags.schema.json: the document's JSON Schema (draft 2020-12) and the flags it knows."""

    schema: Mapping[str, Any]
    flags: Mapping[str, FlagSpec]

    @classmethod
    def parse(cls, schema: Mapping[str, Any]) -> FlagSchema:
        from jsonschema import Draft202012Validator  # (stubs: see FlagSpec.parse)
        from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

        try:
            Draft202012Validator.check_schema(schema)
            values = schema["properties"]["values"]["properties"]
            flags = {
                name: FlagSpec(
                    name,
                    str(spec.get("description", "")),
                    {k: v for k, v in spec.get("properties", {}).items() if k != "enabled"},
                )
                for name, spec in values.items()
            }
        except (SchemaError, KeyError, TypeError, AttributeError) as exc:
            raise UsageError(f"{SCHEMA_FILE} is not a feature-flag schema: {exc}") from None
        for spec in flags.values():
            for attribute, attribute_schema in spec.attributes.items():
                if attribute_schema.get("type") not in _CONSTRAINT_TYPES:
                    raise UsageError(f"{SCHEMA_FILE}: attribute {spec.name}.{attribute} needs a simple type")
        return cls(schema, flags)

    @classmethod
    def load(cls, root: Path) -> FlagSchema:
        path = root / SCHEMA_FILE
        try:
            return cls.parse(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {SCHEMA_FILE}: {exc}") from None

    def spec(self, name: str) -> FlagSpec:
        if name not in self.flags:
            known = ", ".join(sorted(self.flags)) or "none"
            raise UsageError(f"unknown flag {name!r} (known in {SCHEMA_FILE}: {known}); nothing changed")
        return self.flags[name]

    def problems(self, document: Any) -> list[str]:
        """Why `document` is not a valid flags document (empty: it is)."""
        from jsonschema import Draft202012Validator

        found = [
            f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
            for e in Draft202012Validator(self.schema).iter_errors(document)
        ]
        if not found and set(document["values"]) - set(document["flags"]):
            orphans = sorted(set(document["values"]) - set(document["flags"]))
            found.append(f"values: {', '.join(orphans)} have no definition under flags")
        return sorted(found)


def empty_document() -> dict[str, Any]:
    return {"version": "1", "flags": {}, "values": {}}


def evaluated(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each defined flag as the service sees it: enabled (a flag without a value is off) + attributes."""
    values = document.get("values", {})
    return {
        name: {
            "enabled": values.get(name, {}).get("enabled") is True,
            **{k: v for k, v in values.get(name, {}).items() if k != "enabled" and not k.startswith("_")},
        }
        for name in document.get("flags", {})
    }


def updated_document(
    document: Mapping[str, Any], spec: FlagSpec, *, enabled: bool | None, attributes: Mapping[str, Any]
) -> dict[str, Any]:
    """`document` with flag `spec` switched (enabled=None: as it was) and `attributes` set.

    Only what changes is touched: an existing definition is kept (its attributes declared as needed),
    so a request that changes nothing gives back an equal document.
    """
    new = json.loads(json.dumps(document))  # deep copy, JSON types only
    value = dict(new["values"].get(spec.name) or {"enabled": False})
    if enabled is not None:
        value["enabled"] = enabled
    value.update(attributes)
    declared = [k for k in value if k != "enabled" and not k.startswith("_")]
    definition = new["flags"].get(spec.name) or spec.definition()
    missing = [a for a in declared if a not in definition.get("attributes", {}) and a in spec.attributes]
    if missing:
        added = spec.definition(missing)["attributes"]
        definition = {**definition, "attributes": {**definition.get("attributes", {}), **added}}
    new["flags"][spec.name] = definition
    new["values"][spec.name] = value
    return dict(new)


@dataclass(frozen=True)
class FlagsRef:
    """Where one environment's flags live in AppConfig, by name."""

    application: str
    environment: str
    region: str
    profile: str = PROFILE

    @classmethod
    def of(cls, settings: Settings, env: str) -> FlagsRef:
        environment = settings.environment(env)  # UsageError for an unknown environment
        return cls(f"{settings.project}-{environment.name}", environment.name, environment.region)

    @property
    def strategy(self) -> str:
        return f"{self.application}-flags"


@dataclass
class Deployed:
    """The ids behind a FlagsRef and what its newest COMPLETE deployment deployed."""

    application_id: str
    environment_id: str
    profile_id: str
    document: dict[str, Any] = field(default_factory=empty_document)
    version: int | None = None  # hosted version deployed (None: never deployed)
    deployment: int | None = None  # its deployment number
    strategy_id: str | None = None
    latest_deployment: int = 0  # newest deployment number of the environment, any profile or state
    latest_version: int = 0  # newest hosted version of the profile, deployed or not
    in_progress: int | None = None  # a deployment still rolling out or baking


def _items(client: Any, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**params):
        yield from page.get("Items", [])


def _named(items: Iterator[dict[str, Any]], name: str, what: str, ref: FlagsRef) -> dict[str, Any]:
    for item in items:
        if item.get("Name") == name:
            return item
    raise InfraError(
        f"no AppConfig {what} {name!r} for {ref.environment} in {ref.region}: apply the flags module first"
    )


def read(client: Any, ref: FlagsRef) -> Deployed:
    """Find the application, environment and profile by name and read the deployed document."""
    app = _named(_items(client, "list_applications"), ref.application, "application", ref)
    app_id = str(app["Id"])
    env = _named(
        _items(client, "list_environments", ApplicationId=app_id), ref.environment, "environment", ref
    )
    profile = _named(
        _items(client, "list_configuration_profiles", ApplicationId=app_id), ref.profile, "profile", ref
    )
    if profile.get("Type") != FEATURE_FLAGS or profile.get("LocationUri") != "hosted":
        raise InfraError(
            f"profile {ref.profile} of {ref.application} is not a hosted {FEATURE_FLAGS} profile"
        )
    found = Deployed(app_id, str(env["Id"]), str(profile["Id"]))
    # read now, used as the write lock: a version written by anyone after this read is a conflict
    found.latest_version = latest_version(client, found)
    summaries = sorted(
        _items(client, "list_deployments", ApplicationId=app_id, EnvironmentId=found.environment_id),
        key=lambda d: int(d["DeploymentNumber"]),
        reverse=True,
    )
    found.latest_deployment = int(summaries[0]["DeploymentNumber"]) if summaries else 0
    for summary in summaries:
        if summary.get("ConfigurationName") != ref.profile:
            continue
        deployment = client.get_deployment(
            ApplicationId=app_id,
            EnvironmentId=found.environment_id,
            DeploymentNumber=summary["DeploymentNumber"],
        )
        if deployment.get("ConfigurationProfileId") != found.profile_id:
            continue
        if deployment["State"] in IN_PROGRESS and found.in_progress is None:
            found.in_progress = int(deployment["DeploymentNumber"])
        if deployment["State"] == "COMPLETE":
            found.version = int(deployment["ConfigurationVersion"])
            found.deployment = int(deployment["DeploymentNumber"])
            found.strategy_id = str(deployment["DeploymentStrategyId"])
            hosted = client.get_hosted_configuration_version(
                ApplicationId=app_id, ConfigurationProfileId=found.profile_id, VersionNumber=found.version
            )
            try:
                found.document = dict(json.loads(hosted["Content"].read()))
            except (ValueError, TypeError) as exc:
                raise InfraError(
                    f"version {found.version} of {ref.application}/{ref.profile} is not JSON: {exc}"
                ) from None
            break
    return found


def strategy_id(client: Any, ref: FlagsRef, deployed: Deployed) -> str:
    """The environment's flags strategy ("<application>-flags"), else that of the last deployment."""
    for strategy in _items(client, "list_deployment_strategies"):
        if strategy.get("Name") == ref.strategy:
            return str(strategy["Id"])
    if deployed.strategy_id:
        return deployed.strategy_id
    raise InfraError(f"no deployment strategy {ref.strategy!r} in {ref.region}: apply the flags module first")


def latest_version(client: Any, deployed: Deployed) -> int:
    versions = _items(
        client,
        "list_hosted_configuration_versions",
        ApplicationId=deployed.application_id,
        ConfigurationProfileId=deployed.profile_id,
    )
    return max((int(v["VersionNumber"]) for v in versions), default=0)


def publish(
    client: Any, ref: FlagsRef, deployed: Deployed, document: Mapping[str, Any], description: str
) -> tuple[int, dict[str, Any]]:
    """Write `document` as a new hosted version and deploy it; returns (version, GetDeployment answer).

    Both calls are locked on what `read` saw (Latest-Version-Number, LatestDeploymentNumber): a change
    made since makes AWS answer ConflictException instead of one update silently losing.
    """
    strategy = strategy_id(client, ref, deployed)
    created = client.create_hosted_configuration_version(
        ApplicationId=deployed.application_id,
        ConfigurationProfileId=deployed.profile_id,
        Content=json.dumps(document, indent=2, sort_keys=True).encode(),
        ContentType=JSON_TYPE,
        Description=description[:1024],
        LatestVersionNumber=deployed.latest_version,
    )
    version = int(created["VersionNumber"])
    started = client.start_deployment(
        ApplicationId=deployed.application_id,
        EnvironmentId=deployed.environment_id,
        ConfigurationProfileId=deployed.profile_id,
        ConfigurationVersion=str(version),
        DeploymentStrategyId=strategy,
        Description=description[:1024],
        LatestDeploymentNumber=deployed.latest_deployment,
    )
    return version, dict(started)
