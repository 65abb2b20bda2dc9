"""AWS AppConfig shims for moto: environments, deployment strategies, deployments, version listings.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_appconfig.py. The data the
shims answer with (predefined strategies, deployment records, routes) is in emulator_shims_appconfig_model.

The emulator has no data plane and no clock-driven rollout: a deployment is COMPLETE (100 %) the moment
it starts, whatever its strategy's duration and bake time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from deployment_infra.emulator_shims import backend_store, request_body, shim, uri_parameter
from deployment_infra.emulator_shims_appconfig_model import (
    EXTRA_URL_PATHS,
    PREDEFINED_STRATEGIES,
    READY,
    STATUS,
    STRATEGY_FIELDS,
    completed_deployment,
    deployment_summary,
    new_id,
    now,
    resource_arn,
    version_summary,
)


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    error: Any = JsonRESTError(code, message)
    error.code = STATUS[code]
    return error  # type: ignore[no-any-return]


def _arn(backend: Any, resource: str) -> str:
    from moto.utilities.utils import get_partition

    return resource_arn(get_partition(backend.region_name), backend.region_name, backend.account_id, resource)


def _add_url_paths() -> None:
    from moto.appconfig import urls
    from moto.appconfig.responses import AppConfigResponse

    for path in EXTRA_URL_PATHS:
        urls.url_paths.setdefault(path, AppConfigResponse.dispatch)


def _created(value: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    return json.dumps(value), {"status": 201}


NO_CONTENT: tuple[str, dict[str, Any]] = ("", {"status": 204})


def _install(*operations: Callable[..., Any]) -> None:
    """Add request handlers to moto's AppConfigResponse, each named after its operation."""
    from moto.appconfig.responses import AppConfigResponse

    for operation in operations:
        setattr(AppConfigResponse, operation.__name__, operation)


# -- appconfig-list-applications ---------------------------------------------------------------
# AWS: ListApplications lists the account's applications in the region (Id, Name, Description).
# moto 5 had no ListApplications (500): nothing could find an application by its name.


@shim("appconfig-list-applications")
def _appconfig_list_applications() -> None:
    def list_applications(self: Any) -> str:
        return json.dumps({"Items": [app.to_json() for app in self.appconfig_backend.applications.values()]})

    _install(list_applications)


# -- appconfig-environments --------------------------------------------------------------------
# AWS: Create/Get/List/Update/DeleteEnvironment under an application; an environment is
# "ReadyForDeployment", keeps CreateEnvironment's Tags (arn .../application/<app>/environment/<id>)
# and goes with its application. moto 5 had none of these calls (404 "Not yet implemented").


def _environments(backend: Any, app_id: str) -> dict[str, dict[str, Any]]:
    backend.get_application(app_id)  # ResourceNotFoundException for an unknown application
    environments: dict[str, dict[str, Any]] = backend_store(backend, "_shim_environments").setdefault(
        app_id, {}
    )
    return environments


def _environment(backend: Any, app_id: str, env_id: str) -> dict[str, Any]:
    environment = _environments(backend, app_id).get(env_id)
    if environment is None:
        raise _error("ResourceNotFoundException", f"Environment {env_id} not found")
    return environment


@shim("appconfig-environments")
def _appconfig_environments() -> None:
    from moto.appconfig.models import AppConfigBackend

    _add_url_paths()
    original_delete_application = AppConfigBackend.delete_application

    def create_environment(self: Any) -> tuple[str, dict[str, Any]]:
        backend, app_id, params = (
            self.appconfig_backend,
            uri_parameter(self, "ApplicationId"),
            request_body(self),
        )
        environments = _environments(backend, app_id)
        environment = {
            "ApplicationId": app_id,
            "Id": new_id(),
            "Name": params["Name"],
            "Description": params.get("Description") or "",
            "State": READY,
            "Monitors": list(params.get("Monitors") or []),
        }
        environments[environment["Id"]] = environment
        arn = _arn(backend, f"application/{app_id}/environment/{environment['Id']}")
        backend.tag_resource(arn, params.get("Tags") or {})
        return _created(environment)

    def get_environment(self: Any) -> str:
        return json.dumps(
            _environment(
                self.appconfig_backend,
                uri_parameter(self, "ApplicationId"),
                uri_parameter(self, "EnvironmentId"),
            )
        )

    def list_environments(self: Any) -> str:
        environments = _environments(self.appconfig_backend, uri_parameter(self, "ApplicationId"))
        return json.dumps({"Items": list(environments.values())})

    def update_environment(self: Any) -> str:
        params = request_body(self)
        environment = _environment(
            self.appconfig_backend, uri_parameter(self, "ApplicationId"), uri_parameter(self, "EnvironmentId")
        )
        for key in ("Name", "Description", "Monitors"):
            if params.get(key) is not None:
                environment[key] = params[key]
        return json.dumps(environment)

    def delete_environment(self: Any) -> tuple[str, dict[str, Any]]:
        backend, app_id, env_id = (
            self.appconfig_backend,
            uri_parameter(self, "ApplicationId"),
            uri_parameter(self, "EnvironmentId"),
        )
        _environment(backend, app_id, env_id)
        del _environments(backend, app_id)[env_id]
        backend_store(backend, "_shim_deployments").pop((app_id, env_id), None)
        backend.tagger.delete_all_tags_for_resource(
            _arn(backend, f"application/{app_id}/environment/{env_id}")
        )
        return NO_CONTENT

    def delete_application(self: Any, app_id: str) -> None:
        for env_id in list(backend_store(self, "_shim_environments").pop(app_id, {})):
            backend_store(self, "_shim_deployments").pop((app_id, env_id), None)
            self.tagger.delete_all_tags_for_resource(_arn(self, f"application/{app_id}/environment/{env_id}"))
        original_delete_application(self, app_id)

    _install(create_environment, get_environment, list_environments, update_environment, delete_environment)
    backend_cls: Any = AppConfigBackend
    backend_cls.delete_application = delete_application


# -- appconfig-deployment-strategies -----------------------------------------------------------
# AWS: Create/Get/List/Update/DeleteDeploymentStrategy (Delete at the API's "/deployementstrategies"
# URI), tags on .../deploymentstrategy/<id>; the predefined AppConfig.* strategies exist everywhere
# and cannot be changed or deleted (BadRequestException). moto 5 had none of these calls (404).


def _strategy(backend: Any, strategy_id: str) -> dict[str, Any]:
    if strategy_id in PREDEFINED_STRATEGIES:
        return dict(PREDEFINED_STRATEGIES[strategy_id])
    strategy: dict[str, Any] | None = backend_store(backend, "_shim_strategies").get(strategy_id)
    if strategy is None:
        raise _error("ResourceNotFoundException", f"Deployment strategy {strategy_id} not found")
    return strategy


def _custom_strategy(backend: Any, strategy_id: str) -> dict[str, Any]:
    if strategy_id in PREDEFINED_STRATEGIES:
        raise _error("BadRequestException", f"{strategy_id} is a predefined deployment strategy")
    return _strategy(backend, strategy_id)


@shim("appconfig-deployment-strategies")
def _appconfig_deployment_strategies() -> None:

    _add_url_paths()

    def create_deployment_strategy(self: Any) -> tuple[str, dict[str, Any]]:
        backend, params = self.appconfig_backend, request_body(self)
        strategy = {
            "Id": new_id(),
            "Name": params["Name"],
            "Description": params.get("Description") or "",
            "DeploymentDurationInMinutes": int(params["DeploymentDurationInMinutes"]),
            "GrowthType": params.get("GrowthType") or "LINEAR",
            "GrowthFactor": float(params["GrowthFactor"]),
            "FinalBakeTimeInMinutes": int(params.get("FinalBakeTimeInMinutes") or 0),
            "ReplicateTo": params.get("ReplicateTo") or "NONE",
        }
        backend_store(backend, "_shim_strategies")[strategy["Id"]] = strategy
        backend.tag_resource(_arn(backend, f"deploymentstrategy/{strategy['Id']}"), params.get("Tags") or {})
        return _created(strategy)

    def get_deployment_strategy(self: Any) -> str:
        return json.dumps(_strategy(self.appconfig_backend, uri_parameter(self, "DeploymentStrategyId")))

    def list_deployment_strategies(self: Any) -> str:
        custom = list(backend_store(self.appconfig_backend, "_shim_strategies").values())
        return json.dumps({"Items": [*map(dict, PREDEFINED_STRATEGIES.values()), *custom]})

    def update_deployment_strategy(self: Any) -> str:
        params = request_body(self)
        strategy = _custom_strategy(self.appconfig_backend, uri_parameter(self, "DeploymentStrategyId"))
        for key in (*STRATEGY_FIELDS, "GrowthType"):
            if params.get(key) is not None:
                strategy[key] = params[key]
        return json.dumps(strategy)

    def delete_deployment_strategy(self: Any) -> tuple[str, dict[str, Any]]:
        backend, strategy_id = self.appconfig_backend, uri_parameter(self, "DeploymentStrategyId")
        _custom_strategy(backend, strategy_id)
        del backend_store(backend, "_shim_strategies")[strategy_id]
        backend.tagger.delete_all_tags_for_resource(_arn(backend, f"deploymentstrategy/{strategy_id}"))
        return NO_CONTENT

    _install(
        create_deployment_strategy,
        get_deployment_strategy,
        list_deployment_strategies,
        update_deployment_strategy,
        delete_deployment_strategy,
    )


# -- appconfig-deployments ---------------------------------------------------------------------
# AWS: StartDeployment of a profile's version to an environment with a strategy (numbered 1, 2, ...
# per environment; LatestDeploymentNumber guards against a concurrent deployment: ConflictException),
# GetDeployment, ListDeployments (newest first), StopDeployment, tags on .../deployment/<n>. The
# deployment rolls out over the strategy's duration, then bakes. moto 5 had none of these calls
# (404). Here a deployment is COMPLETE at 100 % at once (no clock-driven rollout, no data plane).


def _deployments(backend: Any, app_id: str, env_id: str) -> list[dict[str, Any]]:
    _environment(backend, app_id, env_id)
    deployments: list[dict[str, Any]] = backend_store(backend, "_shim_deployments").setdefault(
        (app_id, env_id), []
    )
    return deployments


@shim("appconfig-deployments")
def _appconfig_deployments() -> None:

    _add_url_paths()

    def start_deployment(self: Any) -> tuple[str, dict[str, Any]]:
        backend, params = self.appconfig_backend, request_body(self)
        app_id, env_id = uri_parameter(self, "ApplicationId"), uri_parameter(self, "EnvironmentId")
        deployments = _deployments(backend, app_id, env_id)
        latest = params.get("LatestDeploymentNumber")
        if latest is not None and int(latest) != len(deployments):
            raise _error(
                "ConflictException", f"Deployment {latest} is not the latest of environment {env_id}"
            )
        profile = backend.get_configuration_profile(app_id, params["ConfigurationProfileId"])
        version, label = str(params["ConfigurationVersion"]), None
        if profile.location_uri == "hosted":
            if not version.isdigit() or int(version) not in profile.config_versions:
                raise _error("BadRequestException", f"Configuration version {version} not found")
            label = profile.config_versions[int(version)].version_label
        deployment = completed_deployment(
            len(deployments) + 1,
            application_id=app_id,
            environment_id=env_id,
            profile={"Id": profile.id, "Name": profile.name, "LocationUri": profile.location_uri},
            version=version,
            version_label=label,
            strategy=_strategy(backend, params["DeploymentStrategyId"]),
            description=params.get("Description"),
            at=now(),
        )
        deployments.append(deployment)
        arn = _arn(backend, f"application/{app_id}/environment/{env_id}/deployment/{len(deployments)}")
        backend.tag_resource(arn, params.get("Tags") or {})
        return _created(deployment)

    def _find(self: Any) -> dict[str, Any]:
        app_id, env_id = uri_parameter(self, "ApplicationId"), uri_parameter(self, "EnvironmentId")
        number = uri_parameter(self, "DeploymentNumber")
        deployments = _deployments(self.appconfig_backend, app_id, env_id)
        if not number.isdigit() or not 1 <= int(number) <= len(deployments):
            raise _error("ResourceNotFoundException", f"Deployment {number} not found")
        return deployments[int(number) - 1]

    def get_deployment(self: Any) -> str:
        return json.dumps(_find(self))

    def stop_deployment(self: Any) -> tuple[str, dict[str, Any]]:
        # every deployment here is already complete: AWS leaves a finished deployment as it is
        return json.dumps(_find(self)), {"status": 202}

    def list_deployments(self: Any) -> str:
        app_id, env_id = uri_parameter(self, "ApplicationId"), uri_parameter(self, "EnvironmentId")
        deployments = _deployments(self.appconfig_backend, app_id, env_id)
        return json.dumps({"Items": [deployment_summary(d) for d in reversed(deployments)]})

    _install(start_deployment, get_deployment, stop_deployment, list_deployments)


# -- appconfig-hosted-versions -----------------------------------------------------------------
# AWS: ListHostedConfigurationVersions lists a profile's versions (newest first, no content);
# CreateHostedConfigurationVersion with the Latest-Version-Number header refuses to write when
# another version was created since (ConflictException): a read-modify-write lock. moto 5 had no
# listing (500) and ignored the header (a concurrent writer's version was silently overwritten).


@shim("appconfig-hosted-versions")
def _appconfig_hosted_versions() -> None:
    from moto.appconfig.responses import AppConfigResponse

    original_create = AppConfigResponse.create_hosted_configuration_version

    def list_hosted_configuration_versions(self: Any) -> str:
        profile = self.appconfig_backend.get_configuration_profile(
            uri_parameter(self, "ApplicationId"), uri_parameter(self, "ConfigurationProfileId")
        )
        versions = [profile.config_versions[n] for n in sorted(profile.config_versions, reverse=True)]
        return json.dumps({"Items": [version_summary(v) for v in versions]})

    def create_hosted_configuration_version(self: Any) -> Any:
        latest = self.headers.get("Latest-Version-Number")
        if latest is not None:
            profile = self.appconfig_backend.get_configuration_profile(
                uri_parameter(self, "ApplicationId"), uri_parameter(self, "ConfigurationProfileId")
            )
            current = max(profile.config_versions, default=0)
            if int(latest) != current:
                raise _error("ConflictException", f"Latest version is {current}, not {latest}")
        return original_create(self)

    _install(list_hosted_configuration_versions, create_hosted_configuration_version)
