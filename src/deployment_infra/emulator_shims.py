"""Compatibility shims for moto: each closes one gap between moto and what the AWS provider calls.

Every shim is listed in docs/emulator.md (what AWS does, what moto did) and has a test that fails
without it. Shims patch moto in the emulator process only; Terraform code never bends to moto.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any
from urllib.parse import unquote

Shim = Callable[[], None]

# modules whose shims register on import (imported by apply_all: they import `shim` from here)
DATA_SHIM_MODULES = (
    "deployment_infra.emulator_shims_rds",
    "deployment_infra.emulator_shims_rds_restore",
    "deployment_infra.emulator_shims_elasticache",
    "deployment_infra.emulator_shims_elasticache_lifecycle",
    "deployment_infra.emulator_shims_secrets",
    "deployment_infra.emulator_shims_sts",
    "deployment_infra.emulator_shims_backup",
    "deployment_infra.emulator_shims_cloudfront",
    "deployment_infra.emulator_shims_monitoring",
    "deployment_infra.emulator_shims_budgets",
    "deployment_infra.emulator_shims_inventory",
    "deployment_infra.emulator_shims_appconfig",
    "deployment_infra.emulator_shims_ecs",
)

SHIMS: dict[str, Shim] = {}
_APPLIED: set[str] = set()


def shim(name: str) -> Callable[[Shim], Shim]:
    """Register a shim under a stable name."""

    def register(func: Shim) -> Shim:
        SHIMS[name] = func
        return func

    return register


def backend_store(backend: Any, name: str) -> dict[Any, Any]:
    """A dict kept on a moto backend under `name` (reset with the backend): a shim's own state."""
    value: dict[Any, Any] | None = getattr(backend, name, None)
    if value is None:
        value = {}
        setattr(backend, name, value)
    return value


def request_body(response: Any) -> dict[str, Any]:
    """The JSON body of the request a moto response object is handling ({} when empty)."""
    body = response.body
    if isinstance(body, bytes):
        body = body.decode()
    return dict(json.loads(body)) if body else {}


def uri_parameter(response: Any, name: str) -> str:
    """A URI parameter of the request, by its name in the API model's URI template."""
    return unquote(str((getattr(response, "uri_match", None) or {})[name]))


def apply_all() -> list[str]:
    """Apply every registered shim once; returns their names (logged by the launcher)."""
    for module in DATA_SHIM_MODULES:
        import_module(module)
    for name, func in SHIMS.items():
        if name not in _APPLIED:
            func()
            _APPLIED.add(name)
    return list(SHIMS)


# -- s3-bucket-policy-conditions ---------------------------------------------------------------
# AWS evaluates a bucket-policy statement only when its Condition holds for the request; a key
# missing from the request context makes the condition false (unless ...IfExists). moto 5 ignores
# conditions, so the classic "Deny s3:* when aws:SecureTransport is false" denies everything.
# Requests to AWS's S3 endpoints are TLS, which the loopback emulator stands in for.

EMULATED_REQUEST_CONTEXT: Mapping[str, str] = {"aws:securetransport": "true"}


def condition_holds(condition: Mapping[str, Mapping[str, Any]] | None, context: Mapping[str, str]) -> bool:
    """Does a policy statement's Condition block hold for a request with `context` (lower-case keys)?

    Supports Bool and the String(Not)Equals(IgnoreCase) family, with ...IfExists; any other operator
    makes the statement not apply (documented as a limit of the emulator).
    """
    if not condition:
        return True
    for operator, pairs in condition.items():
        base = operator.removesuffix("IfExists")
        for key, expected in pairs.items():
            actual = context.get(key.lower())
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            wanted = [str(v).lower() for v in (expected if isinstance(expected, list) else [expected])]
            if base in ("Bool", "StringEquals", "StringEqualsIgnoreCase"):
                ok = actual.lower() in wanted
            elif base in ("StringNotEquals", "StringNotEqualsIgnoreCase"):
                ok = actual.lower() not in wanted
            else:
                return False
            if not ok:
                return False
    return True


def bucket_permission(policy: bytes | str | None, action: str, resource: str) -> Any:
    """moto's bucket-policy decision, with each statement's Condition evaluated first."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if policy is None:
        return PermissionResult.NEUTRAL
    doc = json.loads(policy.decode() if isinstance(policy, bytes) else policy)
    statements = doc.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    applicable = [
        {k: v for k, v in st.items() if k != "Condition"}
        for st in statements
        if condition_holds(st.get("Condition"), EMULATED_REQUEST_CONTEXT)
    ]
    if not applicable:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**doc, "Statement": applicable})).is_action_permitted(action, resource)


@shim("s3-bucket-policy-conditions")
def _s3_bucket_policy_conditions() -> None:
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        return bucket_permission(self.policy, action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


# -- application-autoscaling-tags --------------------------------------------------------------
# Application Auto Scaling keeps tags on scalable targets (RegisterScalableTarget Tags,
# TagResource, UntagResource, ListTagsForResource). moto 5 implements none of the tag calls, so
# the provider's read after creating an aws_appautoscaling_target fails with a 500.


def _target_tags(backend: Any) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] | None = getattr(backend, "infra_shim_tags", None)
    if tags is None:
        tags = {}
        backend.infra_shim_tags = tags
    return tags


def _known_target_arns(backend: Any) -> set[str]:
    return {target.arn for by_dimension in backend.targets.values() for target in by_dimension.values()}


@shim("application-autoscaling-tags")
def _application_autoscaling_tags() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.core.exceptions import JsonRESTError

    original_register = ApplicationAutoScalingResponse.register_scalable_target
    original_deregister = ApplicationAutoScalingResponse.deregister_scalable_target

    def existing(self: Any) -> tuple[Any, str]:
        backend = self.applicationautoscaling_backend
        arn = self._get_param("ResourceARN")
        if arn not in _known_target_arns(backend):
            raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for {arn}")
        return backend, arn

    def register_scalable_target(self: Any) -> str:
        body: str = original_register(self)
        tags = self._get_param("Tags") or {}
        if tags:
            arn = json.loads(body)["ScalableTargetARN"]
            _target_tags(self.applicationautoscaling_backend).setdefault(arn, {}).update(tags)
        return body

    def deregister_scalable_target(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        before = _known_target_arns(backend)
        body: str = original_deregister(self)
        for arn in before - _known_target_arns(backend):
            _target_tags(backend).pop(arn, None)
        return body

    def list_tags_for_resource(self: Any) -> str:
        backend, arn = existing(self)
        return json.dumps({"Tags": _target_tags(backend).get(arn, {})})

    def tag_resource(self: Any) -> str:
        backend, arn = existing(self)
        _target_tags(backend).setdefault(arn, {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: Any) -> str:
        backend, arn = existing(self)
        for key in self._get_param("TagKeys") or []:
            _target_tags(backend).get(arn, {}).pop(key, None)
        return "{}"

    cls: Any = ApplicationAutoScalingResponse
    cls.register_scalable_target = register_scalable_target
    cls.deregister_scalable_target = deregister_scalable_target
    cls.list_tags_for_resource = list_tags_for_resource
    cls.tag_resource = tag_resource
    cls.untag_resource = untag_resource


# -- ecs-service-fields ------------------------------------------------------------------------
# CreateService stores and DescribeServices returns the capacity provider strategy, deployment
# configuration (circuit breaker, min/max percent), health-check grace period, managed tags,
# execute-command and AZ rebalancing settings; with a capacity provider strategy there is no
# launch type. moto 5 drops all of these and reports launchType EC2, so every plan replaced
# the service and the circuit breaker could not be checked.

ECS_SERVICE_FIELDS: Mapping[str, str] = {
    "capacityProviderStrategy": "capacity_provider_strategy",
    "deploymentConfiguration": "deployment_configuration",
    "healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
    "enableECSManagedTags": "enable_ecs_managed_tags",
    "enableExecuteCommand": "enable_execute_command",
    "availabilityZoneRebalancing": "availability_zone_rebalancing",
}
ECS_DEFAULT_DEPLOYMENT_CONFIGURATION: Mapping[str, Any] = {
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
}


def ecs_service_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes a created service keeps, from CreateService's request parameters."""
    fields: dict[str, Any] = {
        "deployment_configuration": dict(ECS_DEFAULT_DEPLOYMENT_CONFIGURATION),
        "enable_ecs_managed_tags": False,
        "enable_execute_command": False,
    }
    for param, attribute in ECS_SERVICE_FIELDS.items():
        if params.get(param) is not None:
            fields[attribute] = params[param]
    if params.get("capacityProviderStrategy") and not params.get("launchType"):
        fields["launch_type"] = None
    return fields


@shim("ecs-service-fields")
def _ecs_service_fields() -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    original_create = EC2ContainerServiceResponse.create_service

    def create_service(self: Any) -> Any:
        result: Any = original_create(self)
        service = result.result["service"]
        for attribute, value in ecs_service_fields(self._get_params()).items():
            setattr(service, attribute, value)
        if service.launch_type is None:
            for deployment in service.deployments:
                deployment["launchType"] = None
                deployment["capacityProviderStrategy"] = service.capacity_provider_strategy
        return result

    cls: Any = EC2ContainerServiceResponse
    cls.create_service = create_service


# -- ec2-security-group-rule-description -------------------------------------------------------
# A rule that references another security group keeps the description given with it
# (UserIdGroupPairs[].Description) and DescribeSecurityGroupRules returns it. moto 5 reads the
# description of CIDR rules only, so every plan "updated" such rules' descriptions.


def rule_description(ip_range: Mapping[str, Any], source_group: Mapping[str, Any]) -> str | None:
    """The description of a security group rule, wherever the request carried it."""
    value = ip_range.get("Description") or source_group.get("Description")
    return str(value) if value is not None else None


@shim("ec2-security-group-rule-description")
def _ec2_security_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> str | None:
        return rule_description(self.ip_range, self.source_group)

    cls: Any = SecurityGroupRule
    cls.description = property(description)
