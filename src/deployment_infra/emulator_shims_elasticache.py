"""ElastiCache shims for moto, part 1: parameter groups and replication-group member clusters.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_data.py.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from deployment_infra.emulator_shims import shim

PARAMETER_GROUP_FAMILIES = frozenset(
    {
        *("memcached1.4", "memcached1.5", "memcached1.6"),
        *("redis2.6", "redis2.8", "redis3.2", "redis4.0", "redis5.0", "redis6.x", "redis7"),
        *("valkey7", "valkey8"),
    }
)


def error(code: str, message: str) -> Exception:
    from moto.elasticache.exceptions import ElastiCacheException

    return ElastiCacheException(code, message)


def full_engine_version(version: str | None) -> str:
    """The version a node reports: "7.1" is created as 7.1.0 (AWS's default for Redis is 7.1)."""
    parts = (version or "7.1").split(".")
    return ".".join([*parts, "0"] if len(parts) == 2 and parts[1] != "x" else parts)


def default_parameter_group(engine: str | None, version: str | None) -> str:
    """The default group AWS attaches when none is given: default.redis7, default.redis6.x, ..."""
    major = full_engine_version(version).split(".")[0]
    family = {"6": "6.x", "5": "5.0", "4": "4.0"}.get(major, major)
    return f"default.{engine or 'redis'}{family}"


def region_short(region: str) -> str:
    """af-south-1 -> afs1, as in ElastiCache endpoint names."""
    area, direction, number = region.split("-")
    return f"{area}{direction[0]}{number}"


# -- elasticache-cache-parameter-groups --------------------------------------------------------
# AWS: Create/Describe/Modify/Reset/DeleteCacheParameterGroup(s) and DescribeCacheParameters
# (Source=user lists the parameters set on the group), tags on the group's ARN, a group in use
# cannot be deleted. moto 5 implements none of them (500), so aws_elasticache_parameter_group
# could not be created.


@dataclass
class CacheParameterGroup:
    CacheParameterGroupName: str
    CacheParameterGroupFamily: str
    Description: str
    ARN: str
    IsGlobal: bool = False
    parameters: dict[str, str] = field(default_factory=dict)


def parameter_groups(backend: Any) -> dict[str, CacheParameterGroup]:
    groups: dict[str, CacheParameterGroup] | None = getattr(backend, "infra_parameter_groups", None)
    if groups is None:
        groups = {}
        backend.infra_parameter_groups = groups
    return groups


def find_parameter_group(backend: Any, name: str) -> CacheParameterGroup:
    groups = parameter_groups(backend)
    if name in groups:
        return groups[name]
    family = name.removeprefix("default.")
    if name.startswith("default.") and family in PARAMETER_GROUP_FAMILIES:
        arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
        return CacheParameterGroup(name, family, f"Default parameter group for {family}", arn)
    raise error("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")


def _parameter_group_users(backend: Any, name: str) -> list[str]:
    """Replication groups and cache clusters that use the parameter group `name`."""
    users = [*backend.replication_groups.items(), *backend.cache_clusters.items()]
    return [user_id for user_id, user in users if user.cache_parameter_group_name == name]


def create_parameter_group(
    backend: Any, name: str, family: str, description: str, tags: list[dict[str, str]]
) -> CacheParameterGroup:
    name = name.lower()
    if family not in PARAMETER_GROUP_FAMILIES:
        raise error("InvalidParameterValue", f"Invalid parameter group family: {family}")
    if name in parameter_groups(backend) or name.startswith("default."):
        raise error("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
    arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
    group = CacheParameterGroup(name, family, description, arn)
    parameter_groups(backend)[name] = group
    if tags:
        backend.tagging_service.tag_resource(arn, tags)
    return group


def _user_group(backend: Any, name: str, verb: str) -> CacheParameterGroup:
    group = find_parameter_group(backend, name)
    if name not in parameter_groups(backend):
        raise error("InvalidParameterValue", f"Default parameter group {name} cannot be {verb}.")
    return group


def set_parameters(
    backend: Any, name: str, values: list[dict[str, Any]], reset: bool, reset_all: bool
) -> None:
    """ModifyCacheParameterGroup (reset False) or ResetCacheParameterGroup (reset True)."""
    group = _user_group(backend, name, "modified")
    if reset and reset_all:
        group.parameters.clear()
    for value in values:
        if reset:
            group.parameters.pop(value["ParameterName"], None)
        else:
            group.parameters[value["ParameterName"]] = str(value["ParameterValue"])


def delete_parameter_group(backend: Any, name: str) -> None:
    group = _user_group(backend, name, "deleted")
    if users := _parameter_group_users(backend, name):
        raise error("InvalidCacheParameterGroupState", f"Parameter group {name} is in use by {users[0]}.")
    del parameter_groups(backend)[name]
    backend.tagging_service.delete_all_tags_for_resource(group.ARN)


def describe_parameters(group: CacheParameterGroup, source: str | None) -> list[dict[str, Any]]:
    """DescribeCacheParameters: only user-set values are modelled, so other sources are empty."""
    if source not in (None, "user"):
        return []
    common = {"Source": "user", "DataType": "string", "IsModifiable": True, "ChangeType": "immediate"}
    return [{"ParameterName": k, "ParameterValue": v, **common} for k, v in sorted(group.parameters.items())]


@shim("elasticache-cache-parameter-groups")
def _elasticache_cache_parameter_groups() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    def create(self: Any) -> Any:
        group = create_parameter_group(
            self.elasticache_backend,
            str(self._get_param("CacheParameterGroupName")),
            self._get_param("CacheParameterGroupFamily"),
            self._get_param("Description") or "",
            self._get_param("Tags") or [],
        )
        return ActionResult({"CacheParameterGroup": group})

    def describe(self: Any) -> Any:
        backend, name = self.elasticache_backend, self._get_param("CacheParameterGroupName")
        groups = [find_parameter_group(backend, name)] if name else list(parameter_groups(backend).values())
        return ActionResult({"CacheParameterGroups": groups})

    def change(self: Any, reset: bool) -> Any:
        name = self._get_param("CacheParameterGroupName")
        values = self._get_param("ParameterNameValues") or []
        set_parameters(
            self.elasticache_backend, name, values, reset, bool(self._get_param("ResetAllParameters"))
        )
        return ActionResult({"CacheParameterGroupName": name})

    def delete(self: Any) -> Any:
        delete_parameter_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        return EmptyResult()

    def parameters(self: Any) -> Any:
        group = find_parameter_group(self.elasticache_backend, self._get_param("CacheParameterGroupName"))
        return ActionResult({"Parameters": describe_parameters(group, self._get_param("Source"))})

    original_list_tags = ElastiCacheBackend.list_tags_for_resource

    def list_tags_for_resource(self: Any, arn: str) -> Any:
        if ":parametergroup:" in arn:
            find_parameter_group(self, arn.rsplit(":", 1)[1])
            return self.tagging_service.list_tags_for_resource(arn)
        return original_list_tags(self, arn)

    cls: Any = ElastiCacheResponse
    cls.create_cache_parameter_group = create
    cls.describe_cache_parameter_groups = describe
    cls.modify_cache_parameter_group = lambda self: change(self, reset=False)
    cls.reset_cache_parameter_group = lambda self: change(self, reset=True)
    cls.delete_cache_parameter_group = delete
    cls.describe_cache_parameters = parameters
    backend_cls: Any = ElastiCacheBackend
    backend_cls.list_tags_for_resource = list_tags_for_resource


# -- elasticache-replication-group-members -----------------------------------------------------
# AWS: CreateReplicationGroup makes NumCacheClusters member clusters (<id>-001 primary, -002...
# replicas) in the preferred AZs, or spread over the subnet group's AZs; each is a cache cluster
# (DescribeCacheClusters) carrying the group's settings; the provider reads encryption, security
# groups, parameter group and engine version from the first member. moto 5 made one member
# whatever NumCacheClusters said, in us-east-1 AZs, created no cache clusters (CacheClusterNotFound),
# had no reader endpoint, and accepted unknown parameter / subnet groups.


def member_azs(backend: Any, preferred: list[str], subnet_group: str | None, count: int) -> list[str]:
    """AZs for `count` members: the preferred list, else spread over the subnet group's AZs."""
    if preferred:
        return [preferred[min(i, len(preferred) - 1)] for i in range(count)]
    azs: list[str] = []
    group = backend.cache_subnet_groups.get(subnet_group) if subnet_group else None
    for subnet in group.subnets if group else []:
        az = subnet.get("subnet_availability_zone")
        if isinstance(az, str) and az not in azs:
            azs.append(az)
    azs = azs or [f"{backend.region_name}a", f"{backend.region_name}b"]
    return [azs[i % len(azs)] for i in range(count)]


def member_cluster(backend: Any, rg: Any, member: dict[str, Any], now: Any) -> Any:
    from moto.elasticache.models import CacheCluster

    names = list(inspect.signature(CacheCluster.__init__).parameters)[1:]
    args: dict[str, Any] = dict.fromkeys(names)
    args |= {
        "account_id": backend.account_id,
        "region_name": backend.region_name,
        "cache_cluster_id": member["cache_cluster_id"],
        "cache_node_type": rg.cache_node_type,
        "replication_group_id": rg.replication_group_id,
        "preferred_availability_zone": member["preferred_availability_zone"],
        "engine": rg.engine,
        "engine_version": full_engine_version(rg.engine_version),
        "cache_parameter_group_name": rg.cache_parameter_group_name,
        "cache_subnet_group_name": rg.cache_subnet_group_name,
        "port": rg.port,
        "snapshot_retention_limit": rg.snapshot_retention_limit,
        "snapshot_window": rg.snapshot_window,
        "log_delivery_configurations": [],
    }
    cluster: Any = CacheCluster(**args)
    cluster.num_cache_nodes = 1
    cluster.cache_nodes = [
        {
            "CacheNodeId": "0001",
            "CacheNodeStatus": "available",
            "CacheNodeCreateTime": now,
            "Endpoint": {"Address": member["read_endpoint"]["address"], "Port": rg.port},
            "ParameterGroupStatus": "in-sync",
            "CustomerAvailabilityZone": member["preferred_availability_zone"],
        }
    ]
    sync_member(rg, cluster)
    return cluster


def sync_member(rg: Any, cluster: Any) -> None:
    """Copy the settings a member cluster reports from its replication group."""
    cluster.cache_node_type = rg.cache_node_type
    cluster.engine_version = full_engine_version(rg.engine_version)
    cluster.preferred_maintenance_window = rg.preferred_maintenance_window
    cluster.auto_minor_version_upgrade = rg.auto_minor_version_upgrade
    cluster.cache_parameter_group_name = rg.cache_parameter_group_name
    cluster.cache_parameter_group = {
        "CacheParameterGroupName": rg.cache_parameter_group_name,
        "ParameterApplyStatus": "in-sync",
        "CacheNodeIdsToReboot": [],
    }
    cluster.security_groups = [
        {"SecurityGroupId": s, "Status": "active"} for s in rg.security_group_ids or []
    ]
    cluster.at_rest_encryption_enabled = rg.at_rest_encryption_enabled
    cluster.transit_encryption_enabled = rg.transit_encryption_enabled
    cluster.transit_encryption_mode = rg.transit_encryption_mode
    cluster.auth_token_enabled = rg.auth_token_enabled
    cluster.auth_token_last_modified_date = rg.auth_token_last_modified_date
    cluster.replication_group_log_delivery_enabled = bool(rg.log_delivery_configurations)
    cluster.snapshot_retention_limit = rg.snapshot_retention_limit
    cluster.snapshot_window = rg.snapshot_window


def _rebuild_members(backend: Any, rg: Any, kwargs: dict[str, Any]) -> None:
    """Cluster mode disabled: NumCacheClusters members in real AZs, with a reader endpoint."""
    group = rg.node_groups[0]
    count = kwargs.get("num_cache_clusters") or (kwargs.get("replicas_per_node_group") or 0) + 1
    azs = member_azs(
        backend, kwargs.get("preferred_cache_cluster_azs") or [], rg.cache_subnet_group_name, count
    )
    domain = (
        group["primary_endpoint_address"]
        .split(".", 1)[1]
        .replace(".use1.", f".{region_short(backend.region_name)}.")
    )
    for key, prefix in (("primary_endpoint", "master"), ("reader_endpoint", "replica")):
        group[f"{key}_address"] = f"{prefix}.{domain}"
        group[key] = {"address": f"{prefix}.{domain}", "port": rg.port}
    group["node_group_members"] = [
        {
            "cache_cluster_id": f"{rg.replication_group_id}-{i + 1:03}",
            "cache_node_id": "0001",
            "read_endpoint": {"address": f"{rg.replication_group_id}-{i + 1:03}.{domain}", "port": rg.port},
            "preferred_availability_zone": azs[i],
            "current_role": "primary" if i == 0 else "replica",
        }
        for i in range(count)
    ]
    rg.member_clusters = [m["cache_cluster_id"] for m in group["node_group_members"]]
    if rg.snapshot_retention_limit > 0:
        rg.snapshotting_cluster_id = rg.member_clusters[-1]


@shim("elasticache-replication-group-members")
def _elasticache_replication_group_members() -> None:
    from moto.core.utils import utcnow
    from moto.elasticache.models import ElastiCacheBackend

    original_create = ElastiCacheBackend.create_replication_group

    def create_replication_group(self: Any, **kwargs: Any) -> Any:
        if kwargs.get("cache_parameter_group_name"):
            find_parameter_group(self, kwargs["cache_parameter_group_name"])
        else:
            kwargs["cache_parameter_group_name"] = default_parameter_group(
                kwargs.get("engine"), kwargs.get("engine_version")
            )
        if kwargs.get("cache_subnet_group_name"):
            self.describe_cache_subnet_groups(kwargs["cache_subnet_group_name"])  # NotFound if absent
        rg = original_create(self, **kwargs)
        rg.engine_version = full_engine_version(kwargs.get("engine_version"))
        if rg.auto_minor_version_upgrade is None:
            rg.auto_minor_version_upgrade = True  # AWS's default
        if rg.cluster_mode != "enabled":
            _rebuild_members(self, rg, kwargs)
        now = utcnow()
        for group in rg.node_groups:
            for member in group["node_group_members"]:
                member.setdefault(
                    "read_endpoint", {"address": f"{member['cache_cluster_id']}.cache", "port": 6379}
                )
                self.cache_clusters[member["cache_cluster_id"]] = member_cluster(self, rg, member, now)
        return rg

    cls: Any = ElastiCacheBackend
    cls.create_replication_group = create_replication_group
