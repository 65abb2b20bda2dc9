"""ElastiCache shims for moto, part 2: modify, resize and delete replication groups; subnet groups.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_data.py.
"""

from __future__ import annotations

from typing import Any

from deployment_infra.emulator_shims import shim
from deployment_infra.emulator_shims_elasticache import (
    error,
    find_parameter_group,
    member_azs,
    member_cluster,
    sync_member,
)

# -- elasticache-replication-group-modify ------------------------------------------------------
# AWS: ModifyReplicationGroup changes any of the group's settings (maintenance and snapshot
# windows, parameter group, security groups, log delivery, transit encryption, engine version,
# node type, AUTH token with AuthTokenUpdateStrategy SET/ROTATE/DELETE...) and its member clusters
# report them. moto 5 applied six of them, ignored the rest (a perpetual diff after any change)
# and ignored AuthToken (our rotation Lambda's call left AuthTokenEnabled false).

_MODIFIABLE = {
    "ReplicationGroupDescription": "description",
    "CacheNodeType": "cache_node_type",
    "Engine": "engine",
    "EngineVersion": "engine_version",
    "SnapshotRetentionLimit": "snapshot_retention_limit",
    "SnapshotWindow": "snapshot_window",
    "SnapshottingClusterId": "snapshotting_cluster_id",
    "PreferredMaintenanceWindow": "preferred_maintenance_window",
    "CacheParameterGroupName": "cache_parameter_group_name",
    "SecurityGroupIds": "security_group_ids",
    "NotificationTopicArn": "notification_topic_arn",
    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
    "TransitEncryptionEnabled": "transit_encryption_enabled",
    "TransitEncryptionMode": "transit_encryption_mode",
    "IpDiscovery": "ip_discovery",
}


def merge_log_delivery(
    current: list[dict[str, Any]], requested: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A request per log type replaces that type's configuration; one without a destination removes it."""
    by_type = {c["LogType"]: c for c in current}
    for request in requested:
        if request.get("DestinationType") and request.get("DestinationDetails"):
            by_type[request["LogType"]] = {
                **request,
                "Status": "active",
                "Message": "Log delivery configuration is active.",
            }
        else:
            by_type.pop(request["LogType"], None)
    return list(by_type.values())


def apply_auth_token(rg: Any, token: str | None, strategy: str | None, now: Any) -> None:
    """AuthToken + AuthTokenUpdateStrategy (ROTATE when omitted) as ModifyReplicationGroup applies them."""
    strategy = strategy or "ROTATE"
    if strategy == "DELETE":
        if token:
            raise error(
                "InvalidParameterCombination", "AuthToken must not be given with the DELETE strategy."
            )
        rg.auth_token_enabled = False
        rg.auth_token_last_modified_date = now
        return
    if not token:
        raise error("InvalidParameterValue", f"AuthToken is required with the {strategy} strategy.")
    if not rg.transit_encryption_enabled:
        raise error("InvalidParameterCombination", "AUTH tokens need encryption in transit enabled.")
    if not 16 <= len(token) <= 128 or any(c in token for c in ' "/@') or not token.isprintable():
        raise error(
            "InvalidParameterValue", 'AuthToken must be 16-128 printable characters without @, ", / or space.'
        )
    rg.auth_token_enabled = True
    rg.auth_token_last_modified_date = now


@shim("elasticache-replication-group-modify")
def _elasticache_replication_group_modify() -> None:
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.elasticache.responses import ElastiCacheResponse

    def modify_replication_group(self: Any) -> Any:
        backend = self.elasticache_backend
        params = self._get_params()
        rg = backend.describe_replication_groups(params.get("ReplicationGroupId"))[0]
        if params.get("CacheParameterGroupName"):
            find_parameter_group(backend, params["CacheParameterGroupName"])
        if "AuthToken" in params or "AuthTokenUpdateStrategy" in params:
            apply_auth_token(rg, params.get("AuthToken"), params.get("AuthTokenUpdateStrategy"), utcnow())
        for param, attribute in _MODIFIABLE.items():
            if params.get(param) is not None:
                setattr(rg, attribute, params[param])
        for param, attribute in (
            ("AutomaticFailoverEnabled", "automatic_failover"),
            ("MultiAZEnabled", "multi_az"),
        ):
            if params.get(param) is not None:
                setattr(rg, attribute, "enabled" if params[param] else "disabled")
        if params.get("LogDeliveryConfigurations") is not None:
            rg.log_delivery_configurations = merge_log_delivery(
                rg.log_delivery_configurations, params["LogDeliveryConfigurations"]
            )
        groups = set(rg.user_group_ids) | set(params.get("UserGroupIdsToAdd") or [])
        rg.user_group_ids = sorted(groups - set(params.get("UserGroupIdsToRemove") or []))
        for member in rg.member_clusters:
            if member in backend.cache_clusters:
                sync_member(rg, backend.cache_clusters[member])
        return ActionResult({"ReplicationGroup": rg})

    cls: Any = ElastiCacheResponse
    cls.modify_replication_group = modify_replication_group


# -- elasticache-replication-group-delete ------------------------------------------------------
# AWS: DeleteReplicationGroup answers "deleting", takes the final snapshot if asked, deletes the
# member clusters (keeps the primary when RetainPrimaryCluster) and the group then disappears.
# moto 5 left the group "deleting" forever (the provider waits for it to vanish: a hang).


@shim("elasticache-replication-group-delete")
def _elasticache_replication_group_delete() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticache.responses import ElastiCacheResponse

    def delete_replication_group(self: Any) -> Any:
        backend = self.elasticache_backend
        rg_id = self._get_param("ReplicationGroupId")
        rg = backend.describe_replication_groups(rg_id)[0]
        if snapshot := self._get_param("FinalSnapshotIdentifier"):
            backend.create_snapshot(snapshot, rg_id, None, None, None)
        retain = self._get_bool_param("RetainPrimaryCluster")
        primary = rg.member_clusters[0] if rg.member_clusters else None
        for member in rg.member_clusters:
            if retain and member == primary and member in backend.cache_clusters:
                backend.cache_clusters[member].replication_group_id = None
            else:
                backend.cache_clusters.pop(member, None)
        del backend.replication_groups[rg_id]
        backend.tagging_service.delete_all_tags_for_resource(rg.arn)
        rg.status = "deleting"
        return ActionResult({"ReplicationGroup": rg})

    cls: Any = ElastiCacheResponse
    cls.delete_replication_group = delete_replication_group


# -- elasticache-cache-subnet-group-delete -----------------------------------------------------
# AWS: DeleteCacheSubnetGroup removes an unused group (CacheSubnetGroupInUse otherwise) and
# ModifyCacheSubnetGroup changes its description and subnets. moto 5 implemented neither: the
# destroy failed and the name stayed taken.


@shim("elasticache-cache-subnet-group-delete")
def _elasticache_cache_subnet_group_delete() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.models import CacheSubnetGroup
    from moto.elasticache.responses import ElastiCacheResponse

    def delete_cache_subnet_group(self: Any) -> Any:
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        group = backend.describe_cache_subnet_groups(name)[0]
        users = [*backend.replication_groups.values(), *backend.cache_clusters.values()]
        if any(u.cache_subnet_group_name == name for u in users):
            raise error("CacheSubnetGroupInUse", f"Cache subnet group {name} is currently in use.")
        del backend.cache_subnet_groups[name]
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    def modify_cache_subnet_group(self: Any) -> Any:
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        group = backend.describe_cache_subnet_groups(name)[0]
        description = self._get_param("CacheSubnetGroupDescription") or group.cache_subnet_group_description
        subnets = self._get_param("SubnetIds") or group.subnet_ids
        updated = CacheSubnetGroup(
            backend.account_id, backend.region_name, name, description, subnets, group.tags
        )
        backend.cache_subnet_groups[name] = updated
        return ActionResult({"CacheSubnetGroup": updated})

    cls: Any = ElastiCacheResponse
    cls.delete_cache_subnet_group = delete_cache_subnet_group
    cls.modify_cache_subnet_group = modify_cache_subnet_group


# -- elasticache-replica-count -----------------------------------------------------------------
# AWS: IncreaseReplicaCount / DecreaseReplicaCount (NewReplicaCount, or ReplicasToRemove) add or
# remove replica member clusters; the provider calls them when num_cache_clusters changes, then
# waits for the members. moto 5 implemented neither (500): no group could be resized in place.
MAX_REPLICAS = 5


def set_replica_count(backend: Any, rg: Any, replicas: int, remove: list[str], now: Any) -> None:
    """Cluster mode disabled: make the group one primary and `replicas` replicas."""
    if rg.cluster_mode == "enabled":
        raise error("InvalidParameterValue", "Use ModifyReplicationGroupShardConfiguration in cluster mode.")
    if not 0 <= replicas <= MAX_REPLICAS:
        raise error("InvalidParameterValue", f"NewReplicaCount must be between 0 and {MAX_REPLICAS}.")
    if replicas < 1 and rg.automatic_failover == "enabled":
        raise error("InvalidParameterCombination", "Automatic failover needs at least one replica.")
    if rg.member_clusters[:1] and rg.member_clusters[0] in remove:
        raise error("InvalidParameterValue", f"The primary {rg.member_clusters[0]} cannot be removed.")
    group = rg.node_groups[0]
    members = [m for m in group["node_group_members"] if m["cache_cluster_id"] not in remove]
    members = members[: 1 + replicas]
    domain = group["primary_endpoint_address"].split(".", 1)[1]
    azs = member_azs(backend, [], rg.cache_subnet_group_name, 1 + replicas)
    number = 1
    while len(members) < 1 + replicas:
        cluster_id = f"{rg.replication_group_id}-{number:03}"
        number += 1
        if any(m["cache_cluster_id"] == cluster_id for m in members):
            continue
        member = {
            "cache_cluster_id": cluster_id,
            "cache_node_id": "0001",
            "read_endpoint": {"address": f"{cluster_id}.{domain}", "port": rg.port},
            "preferred_availability_zone": azs[len(members)],
            "current_role": "replica",
        }
        members.append(member)
        backend.cache_clusters[cluster_id] = member_cluster(backend, rg, member, now)
    kept = {m["cache_cluster_id"] for m in members}
    for cluster_id in [c for c in rg.member_clusters if c not in kept]:
        backend.cache_clusters.pop(cluster_id, None)
    group["node_group_members"] = members
    rg.member_clusters = [m["cache_cluster_id"] for m in members]


@shim("elasticache-replica-count")
def _elasticache_replica_count() -> None:
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.elasticache.responses import ElastiCacheResponse

    def change(self: Any, increase: bool) -> Any:
        backend = self.elasticache_backend
        rg = backend.describe_replication_groups(self._get_param("ReplicationGroupId"))[0]
        current = len(rg.member_clusters) - 1
        remove = list(self._get_param("ReplicasToRemove") or [])
        wanted = self._get_param("NewReplicaCount")
        wanted = current - len(remove) if wanted is None else int(wanted)
        if (wanted > current) != increase or wanted == current:
            verb = "increase" if increase else "decrease"
            raise error(
                "InvalidParameterValue", f"NewReplicaCount must {verb} the replica count ({current})."
            )
        set_replica_count(backend, rg, wanted, remove, utcnow())
        return ActionResult({"ReplicationGroup": rg})

    cls: Any = ElastiCacheResponse
    cls.increase_replica_count = lambda self: change(self, increase=True)
    cls.decrease_replica_count = lambda self: change(self, increase=False)
