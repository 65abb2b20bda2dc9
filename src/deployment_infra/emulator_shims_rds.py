"""RDS shims for moto: instance resource ids, read replicas, Performance Insights, parameters, secrets.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_data.py.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from deployment_infra.emulator_shims import shim


def new_resource_id() -> str:
    """A DbiResourceId as AWS makes them: "db-" and 26 upper-case base32 characters."""
    return "db-" + base64.b32encode(uuid.uuid4().bytes).decode()[:26]


# -- iam-aws-managed-policies ------------------------------------------------------------------
# AWS: the AWS-managed policies (arn:aws:iam::aws:policy/...) exist in every account, e.g.
# service-role/AmazonRDSEnhancedMonitoringRole for RDS enhanced monitoring. moto 5 loads them only
# when MOTO_IAM_LOAD_MANAGED_POLICIES is true (off by default): attaching one failed (NoSuchEntity).
# Costs ~2 s on the first IAM call after a start or reset.


@shim("iam-aws-managed-policies")
def _iam_aws_managed_policies() -> None:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


# -- rds-instance-resource-ids -----------------------------------------------------------------
# AWS: every DB instance has its own DbiResourceId; the provider (v5) uses it as the resource id
# and reads instances with the dbi-resource-id filter. moto 5 gave every instance the same
# constant, so with a second instance (a read replica) reads found two and failed, and destroy hung.


@shim("rds-instance-resource-ids")
def _rds_instance_resource_ids() -> None:
    from moto.rds.models import DBInstance

    original_init = DBInstance.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.dbi_resource_id = new_resource_id()

    cls: Any = DBInstance
    cls.__init__ = init


# -- rds-performance-insights ------------------------------------------------------------------
# AWS: Create/ModifyDBInstance and CreateDBInstanceReadReplica take EnablePerformanceInsights,
# PerformanceInsightsKMSKeyId and PerformanceInsightsRetentionPeriod (7 days by default) and
# DescribeDBInstances returns PerformanceInsightsEnabled/KMSKeyId/RetentionPeriod. moto 5 dropped
# them on create and never reported PerformanceInsightsEnabled: a perpetual diff.


def performance_insights(
    params: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The Performance Insights attributes of an instance after a request with `params` (snake_case)."""
    state = dict(current or {"performance_insights_enabled": False})
    if params.get("enable_performance_insights") is not None:
        state["performance_insights_enabled"] = bool(params["enable_performance_insights"])
    for key in ("performance_insights_kms_key_id", "performance_insights_retention_period"):
        if params.get(key) is not None:
            state[key] = params[key]
    if state["performance_insights_enabled"]:
        state.setdefault("performance_insights_retention_period", 7)
        state["performance_insights_retention_period"] = state["performance_insights_retention_period"] or 7
    else:
        state["performance_insights_retention_period"] = None
    return state


def _pi_state(instance: Any) -> dict[str, Any]:
    keys = (
        "performance_insights_enabled",
        "performance_insights_kms_key_id",
        "performance_insights_retention_period",
    )
    return {k: getattr(instance, k, None) for k in keys if getattr(instance, k, None) is not None}


@shim("rds-performance-insights")
def _rds_performance_insights() -> None:
    from moto.rds.models import DBInstance

    original_init = DBInstance.__init__
    original_update = DBInstance.update

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for attribute, value in performance_insights(kwargs).items():
            setattr(self, attribute, value)

    def update(self: Any, **kwargs: Any) -> None:
        before = _pi_state(self) or None
        original_update(self, **kwargs)
        for attribute, value in performance_insights(kwargs, before).items():
            setattr(self, attribute, value)

    cls: Any = DBInstance
    cls.__init__ = init
    cls.update = update


# -- rds-read-replica-copy ---------------------------------------------------------------------
# AWS: a read replica is a new instance: its own resource id, creation time, no master-user secret
# (the source owns it), and AWS's defaults for what CreateDBInstanceReadReplica does not inherit
# (single-AZ, no deletion protection, no backups, no monitoring, no Performance Insights, no log
# exports, untagged) unless the request sets them. moto 5 shallow-copied the source: shared lists,
# the source's settings, and the source's secret (deleting the replica deleted the source's
# secret); EnableCloudwatchLogsExports on the request was lost.

REPLICA_DEFAULTS: Mapping[str, Any] = {
    "multi_az": False,
    "deletion_protection": False,
    "copy_tags_to_snapshot": False,
    "backup_retention_period": 0,
    "monitoring_interval": 0,
    "monitoring_role_arn": None,
    "enabled_cloudwatch_logs_exports": [],
    "performance_insights_enabled": False,
    "performance_insights_kms_key_id": None,
    "performance_insights_retention_period": None,
    "manage_master_user_password": False,
    "tags": [],
    "_associated_roles": [],
}


@shim("rds-read-replica-copy")
def _rds_read_replica_copy() -> None:
    from moto.core.utils import utcnow
    from moto.rds.exceptions import DBInstanceAlreadyExists
    from moto.rds.models import RDSBackend

    def create_db_instance_read_replica(self: Any, db_kwargs: Any) -> Any:
        if db_kwargs["db_instance_identifier"].lower() in self.databases:
            raise DBInstanceAlreadyExists()
        source_id = db_kwargs["source_db_instance_identifier"]
        primary = self.find_db_from_id(source_id)
        if self.arn_regex.match(source_id):
            db_kwargs["backend"] = self
        replica: Any = copy.copy(primary)
        shared = {k: v for k, v in primary.__dict__.items() if isinstance(v, list | dict | set)}
        replica.__dict__.update({k: copy.copy(v) for k, v in shared.items()})
        replica.__dict__.pop("master_user_secret", None)
        for attribute, value in REPLICA_DEFAULTS.items():
            setattr(replica, attribute, copy.deepcopy(value))
        replica.dbi_resource_id = new_resource_id()
        replica.created = replica.instance_create_time = utcnow()
        replica.status = "available"
        replica.update(**db_kwargs)
        replica.enabled_cloudwatch_logs_exports = list(db_kwargs.get("enable_cloudwatch_logs_exports") or [])
        replica.set_as_replica()
        self.databases[replica.db_instance_identifier] = replica
        primary.add_replica(replica)
        return replica

    cls: Any = RDSBackend
    cls.create_db_instance_read_replica = create_db_instance_read_replica


# -- rds-db-parameters-source ------------------------------------------------------------------
# AWS: DescribeDBParameters returns each parameter with its Source ("user" for values set on the
# group) and honours the Source filter; ResetDBParameterGroup puts parameters back to their
# defaults. moto 5 returned no Source (the provider keeps only Source=user or configured names
# with a Source, so every plan re-added the `parameter` blocks) and had no ResetDBParameterGroup.


def user_parameters(parameters: Mapping[str, Mapping[str, Any]], source: str | None) -> list[dict[str, Any]]:
    """DescribeDBParameters' answer for a group whose user-set parameters are `parameters`."""
    if source not in (None, "user"):
        return []  # engine defaults are not modelled: only what the user set is known
    return [{**p, "Source": "user", "IsModifiable": True} for _, p in sorted(parameters.items())]


@shim("rds-db-parameters-source")
def _rds_db_parameters_source() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.responses import RDSResponse

    def _group(self: Any) -> Any:
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        return groups[0]

    def describe_db_parameters(self: Any) -> Any:
        group = _group(self)
        return ActionResult({"Parameters": user_parameters(group.parameters, self.params.get("Source"))})

    def reset_db_parameter_group(self: Any) -> Any:
        group = _group(self)
        if self.params.get("ResetAllParameters"):
            group.parameters.clear()
        for parameter in self.params.get("Parameters") or []:
            group.parameters.pop(parameter["ParameterName"], None)
        return ActionResult({"DBParameterGroupName": group.name})

    cls: Any = RDSResponse
    cls.describe_db_parameters = describe_db_parameters
    cls.reset_db_parameter_group = reset_db_parameter_group


# -- rds-master-user-secret-content ------------------------------------------------------------
# AWS: with ManageMasterUserPassword, RDS creates the secret rds!db-<uuid> holding
# {"username": <the master username>, "password": <generated>}. moto 5 wrote the fixed pair
# {"username": "admin", "password": "P@55w0rd!"} whatever the master username was.


def master_user_secret_string(username: str | None) -> str:
    return json.dumps({"username": username or "admin", "password": secrets.token_urlsafe(24)})


@shim("rds-master-user-secret-content")
def _rds_master_user_secret_content() -> None:
    from moto.rds.models import MasterUserSecret

    def _generate_secret_string(self: Any) -> str:
        return master_user_secret_string(getattr(self.resource, "master_username", None))

    cls: Any = MasterUserSecret
    cls._generate_secret_string = _generate_secret_string
