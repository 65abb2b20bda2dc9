"""AWS Backup shims for moto: tags, selections, vault notifications, recovery points, plan updates.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is a
row in docs/emulator.md and has a test in tests/unit/test_emulator_shims_backup.py.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from deployment_infra.emulator_shims import backend_store, request_body, shim, uri_parameter

# AWS answers GetBackupSelection with every condition operator, empty when unused.
CONDITION_OPERATORS = ("StringEquals", "StringNotEquals", "StringLike", "StringNotLike")
SELECTION_NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}\Z")

# Paths moto's backup router lacks (restJson1: the operation is found from method + URI).
EXTRA_URL_PATHS = (
    "{0}/backup-vaults/(?P<name>[^/]+)/notification-configuration$",
    # Flask routes: "/?" is not understood, so with and without the slash
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points$",
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$",
    "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/(?P<arn>[^/]+)$",
    "{0}/backup-jobs$",
    "{0}/backup-jobs/$",
)


def _add_url_paths() -> None:
    from moto.backup import urls
    from moto.backup.responses import BackupResponse

    for path in EXTRA_URL_PATHS:
        urls.url_paths.setdefault(path, BackupResponse.dispatch)


def normalized_selection(selection: Mapping[str, Any]) -> dict[str, Any]:
    """A BackupSelection as GetBackupSelection returns it: every list present, every operator listed."""
    conditions = dict(selection.get("Conditions") or {})
    return {
        **selection,
        "Resources": list(selection.get("Resources") or []),
        "NotResources": list(selection.get("NotResources") or []),
        "ListOfTags": list(selection.get("ListOfTags") or []),
        "Conditions": {op: list(conditions.get(op) or []) for op in CONDITION_OPERATORS},
    }


def _live_plan(backend: Any, plan_id: str) -> Any:
    from moto.backup.exceptions import ResourceNotFoundException

    plan = backend.plans.get(plan_id)
    if plan is None or plan.deletion_date is not None:
        raise ResourceNotFoundException(msg=f"Failed reading Backup plan {plan_id}")
    return plan


def _vault(backend: Any, name: str) -> Any:
    from moto.backup.exceptions import ResourceNotFoundException

    if name not in backend.vaults:
        raise ResourceNotFoundException(msg=f"Backup vault {name} not found")
    return backend.vaults[name]


# -- backup-list-tags-arn ----------------------------------------------------------------------
# AWS: ListTags (GET /tags/{resourceArn}/) returns the tags of a vault or plan. The SDK sends the
# ARN without a trailing slash; moto read the second-to-last path segment ("tags") as the ARN, so
# every vault and plan looked untagged and each plan re-added the tags.


def arn_from_tags_path(path: str) -> str:
    """The resource ARN of a ListTags/TagResource path, with or without a trailing slash."""
    return unquote(path.rstrip("/").split("/tags/", 1)[-1])


@shim("backup-list-tags-arn")
def _backup_list_tags_arn() -> None:
    from moto.backup.responses import BackupResponse

    def list_tags(self: Any) -> str:
        tags = self.backup_backend.list_tags(resource_arn=arn_from_tags_path(self.path))
        return json.dumps({"Tags": tags})

    cls: Any = BackupResponse
    cls.list_tags = list_tags


# -- backup-selections -------------------------------------------------------------------------
# AWS: CreateBackupSelection, GetBackupSelection, ListBackupSelections, DeleteBackupSelection; a
# plan with selections cannot be deleted (InvalidRequestException). moto 5 implements none of the
# selection calls (500), and deleted any plan.


@shim("backup-selections")
def _backup_selections() -> None:
    from moto.backup.exceptions import (
        AlreadyExistsException,
        InvalidParameterValueException,
        InvalidRequestException,
        ResourceNotFoundException,
    )
    from moto.backup.models import BackupBackend
    from moto.backup.responses import BackupResponse
    from moto.core.utils import unix_time

    original_delete_plan = BackupBackend.delete_backup_plan

    def create_backup_selection(self: Any) -> str:
        backend = self.backup_backend
        plan_id = uri_parameter(self, "backupPlanId")
        _live_plan(backend, plan_id)
        params = request_body(self)
        selection = params.get("BackupSelection") or {}
        name = str(selection.get("SelectionName", ""))
        if not SELECTION_NAME.match(name) or not selection.get("IamRoleArn"):
            raise InvalidParameterValueException(msg="SelectionName and IamRoleArn are required")
        selections = backend_store(backend, "infra_shim_selections")
        if any(
            s["BackupPlanId"] == plan_id and s["BackupSelection"]["SelectionName"] == name
            for s in selections.values()
        ):
            raise AlreadyExistsException(msg=f"Backup selection {name} already exists in plan {plan_id}")
        record = {
            "SelectionId": str(uuid.uuid4()),
            "BackupPlanId": plan_id,
            "CreationDate": unix_time(),
            "CreatorRequestId": params.get("CreatorRequestId"),
            "BackupSelection": normalized_selection(selection),
        }
        selections[str(record["SelectionId"])] = record
        return json.dumps({k: record[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})

    def _selection(self: Any) -> dict[str, Any]:
        plan_id, selection_id = uri_parameter(self, "backupPlanId"), uri_parameter(self, "selectionId")
        record = backend_store(self.backup_backend, "infra_shim_selections").get(selection_id)
        if record is None or record["BackupPlanId"] != plan_id:
            raise ResourceNotFoundException(msg=f"Backup selection {selection_id} not found")
        return dict(record)

    def get_backup_selection(self: Any) -> str:
        record = _selection(self)
        return json.dumps({k: v for k, v in record.items() if v is not None})

    def delete_backup_selection(self: Any) -> str:
        record = _selection(self)
        backend_store(self.backup_backend, "infra_shim_selections").pop(record["SelectionId"])
        return "{}"

    def list_backup_selections(self: Any) -> str:
        plan_id = uri_parameter(self, "backupPlanId")
        _live_plan(self.backup_backend, plan_id)
        found = [
            {
                "SelectionId": r["SelectionId"],
                "SelectionName": r["BackupSelection"]["SelectionName"],
                "BackupPlanId": plan_id,
                "CreationDate": r["CreationDate"],
                "IamRoleArn": r["BackupSelection"]["IamRoleArn"],
            }
            for r in backend_store(self.backup_backend, "infra_shim_selections").values()
            if r["BackupPlanId"] == plan_id
        ]
        return json.dumps({"BackupSelectionsList": found})

    def delete_backup_plan(self: Any, backup_plan_id: str) -> tuple[str, str, float, str]:
        if any(
            r["BackupPlanId"] == backup_plan_id for r in backend_store(self, "infra_shim_selections").values()
        ):
            raise InvalidRequestException(
                msg="Related backup plan selections must be deleted prior to backup plan deletion"
            )
        return original_delete_plan(self, backup_plan_id)

    response: Any = BackupResponse
    response.create_backup_selection = create_backup_selection
    response.get_backup_selection = get_backup_selection
    response.delete_backup_selection = delete_backup_selection
    response.list_backup_selections = list_backup_selections
    backend: Any = BackupBackend
    backend.delete_backup_plan = delete_backup_plan


# -- backup-vault-notifications ----------------------------------------------------------------
# AWS: Put/Get/DeleteBackupVaultNotifications (PUT/GET/DELETE
# /backup-vaults/{name}/notification-configuration). moto 5 has no such route (404).


@shim("backup-vault-notifications")
def _backup_vault_notifications() -> None:
    from moto.backup.exceptions import ResourceNotFoundException
    from moto.backup.responses import BackupResponse

    _add_url_paths()

    def put_backup_vault_notifications(self: Any) -> str:
        vault = _vault(self.backup_backend, uri_parameter(self, "backupVaultName"))
        params = request_body(self)
        backend_store(self.backup_backend, "infra_shim_notifications")[vault.backup_vault_name] = {
            "SNSTopicArn": params["SNSTopicArn"],
            "BackupVaultEvents": list(params.get("BackupVaultEvents") or []),
        }
        return "{}"

    def get_backup_vault_notifications(self: Any) -> str:
        vault = _vault(self.backup_backend, uri_parameter(self, "backupVaultName"))
        config = backend_store(self.backup_backend, "infra_shim_notifications").get(vault.backup_vault_name)
        if config is None:
            raise ResourceNotFoundException(
                msg=f"Backup vault {vault.backup_vault_name} has no notifications"
            )
        return json.dumps(
            {"BackupVaultName": vault.backup_vault_name, "BackupVaultArn": vault.backup_vault_arn, **config}
        )

    def delete_backup_vault_notifications(self: Any) -> str:
        vault = _vault(self.backup_backend, uri_parameter(self, "backupVaultName"))
        backend_store(self.backup_backend, "infra_shim_notifications").pop(vault.backup_vault_name, None)
        return "{}"

    cls: Any = BackupResponse
    cls.put_backup_vault_notifications = put_backup_vault_notifications
    cls.get_backup_vault_notifications = get_backup_vault_notifications
    cls.delete_backup_vault_notifications = delete_backup_vault_notifications


# -- backup-recovery-points --------------------------------------------------------------------
# AWS: StartBackupJob makes a recovery point in the vault; ListRecoveryPointsByBackupVault,
# DescribeRecoveryPoint, DeleteRecoveryPoint; DescribeBackupVault counts them; DeleteBackupVault
# refuses a vault that holds any and answers ResourceNotFound for an unknown one. moto 5 had none
# of the recovery-point calls: the provider's force_destroy (list, then delete each) got a 404, and
# a vault full of backups was deleted silently.


def _points(backend: Any, vault_name: str) -> dict[str, dict[str, Any]]:
    """Recovery points of a vault, by ARN."""
    found: dict[str, dict[str, Any]] = backend_store(backend, "infra_shim_recovery_points").setdefault(
        vault_name, {}
    )
    return found


def _start_backup_job(self: Any) -> str:
    """StartBackupJob: the recovery point exists (COMPLETED) at once; no data is copied."""
    from moto.core.utils import unix_time

    params = request_body(self)
    backend = self.backup_backend
    vault = _vault(backend, params["BackupVaultName"])
    now = unix_time()
    job_id = str(uuid.uuid4()).upper()
    arn = f"arn:aws:backup:{backend.region_name}:{backend.account_id}:recovery-point:{uuid.uuid4()}"
    lifecycle = params.get("Lifecycle") or {}
    _points(backend, vault.backup_vault_name)[arn] = {
        "RecoveryPointArn": arn,
        "BackupVaultName": vault.backup_vault_name,
        "BackupVaultArn": vault.backup_vault_arn,
        "ResourceArn": params["ResourceArn"],
        "IamRoleArn": params["IamRoleArn"],
        "EncryptionKeyArn": vault.encryption_key_arn,
        "IsEncrypted": True,
        "Status": "COMPLETED",
        "CreationDate": now,
        "CompletionDate": now,
        "Lifecycle": lifecycle,
        "BackupJobId": job_id,
    }
    if params.get("RecoveryPointTags"):
        backend.tag_resource(arn, params["RecoveryPointTags"])
    return json.dumps({"BackupJobId": job_id, "RecoveryPointArn": arn, "CreationDate": now})


@shim("backup-recovery-points")
def _backup_recovery_points() -> None:
    from moto.backup.exceptions import InvalidRequestException, ResourceNotFoundException
    from moto.backup.models import BackupBackend, Vault
    from moto.backup.responses import BackupResponse

    _add_url_paths()

    def list_recovery_points_by_backup_vault(self: Any) -> str:
        vault = _vault(self.backup_backend, uri_parameter(self, "backupVaultName"))
        found = list(_points(self.backup_backend, vault.backup_vault_name).values())
        return json.dumps({"RecoveryPoints": found})

    def _point(self: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        vault = _vault(self.backup_backend, uri_parameter(self, "backupVaultName"))
        arn = uri_parameter(self, "recoveryPointArn")
        in_vault = _points(self.backup_backend, vault.backup_vault_name)
        if arn not in in_vault:
            raise ResourceNotFoundException(msg=f"Recovery point {arn} not found")
        return in_vault, in_vault[arn]

    def describe_recovery_point(self: Any) -> str:
        return json.dumps(_point(self)[1])

    def delete_recovery_point(self: Any) -> str:
        in_vault, point = _point(self)
        in_vault.pop(point["RecoveryPointArn"])
        return "{}"

    def delete_backup_vault(self: Any, backup_vault_name: str) -> None:
        _vault(self, backup_vault_name)
        if _points(self, backup_vault_name):
            raise InvalidRequestException(
                msg="Backup vault cannot be deleted because it contains recovery points"
            )
        self.vaults.pop(backup_vault_name)
        backend_store(self, "infra_shim_notifications").pop(backup_vault_name, None)

    def number_of_recovery_points(self: Any) -> int:
        backend = self.infra_shim_backend
        return len(_points(backend, self.backup_vault_name)) if backend is not None else 0

    original_vault_init = Vault.__init__

    def vault_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_vault_init(self, *args, **kwargs)
        self.infra_shim_backend = kwargs.get("backend")

    response: Any = BackupResponse
    response.start_backup_job = _start_backup_job
    response.list_recovery_points_by_backup_vault = list_recovery_points_by_backup_vault
    response.describe_recovery_point = describe_recovery_point
    response.delete_recovery_point = delete_recovery_point
    backend: Any = BackupBackend
    backend.delete_backup_vault = delete_backup_vault
    vault_cls: Any = Vault
    vault_cls.__init__ = vault_init
    vault_cls.infra_shim_backend = None
    vault_cls.number_of_recovery_points = property(number_of_recovery_points)


# -- backup-plan-lifecycle ---------------------------------------------------------------------
# AWS: a deleted plan's name can be used again, and UpdateBackupPlan (POST /backup/plans/{id})
# replaces the rules and gives the plan a new version. moto 5 refused the name of any plan ever
# deleted (AlreadyExistsException until a reset) and had no UpdateBackupPlan (a changed retention
# or schedule failed).


@shim("backup-plan-lifecycle")
def _backup_plan_lifecycle() -> None:
    from moto.backup.exceptions import AlreadyExistsException
    from moto.backup.models import BackupBackend, Plan
    from moto.backup.responses import BackupResponse

    def create_backup_plan(
        self: Any, backup_plan: dict[str, Any], backup_plan_tags: dict[str, str], creator_request_id: str
    ) -> Any:
        live = [p for p in self.plans.values() if p.deletion_date is None]
        if backup_plan["BackupPlanName"] in [p.backup_plan["BackupPlanName"] for p in live]:
            raise AlreadyExistsException(msg="Backup plan with the same plan document already exists")
        plan = Plan(backup_plan=backup_plan, creator_request_id=creator_request_id, backend=self)
        if backup_plan_tags:
            self.tag_resource(plan.backup_plan_arn, backup_plan_tags)
        self.plans[plan.backup_plan_id] = plan
        return plan

    def update_backup_plan(self: Any) -> str:
        plan = _live_plan(self.backup_backend, uri_parameter(self, "backupPlanId"))
        document = request_body(self)["BackupPlan"]
        # Plan.__init__ fills the rule defaults and ids; reuse it on the new document
        fresh = Plan(
            backup_plan=document, creator_request_id=plan.creator_request_id, backend=self.backup_backend
        )
        plan.backup_plan = fresh.backup_plan
        plan.advanced_backup_settings = fresh.advanced_backup_settings
        plan.version_id = fresh.version_id
        return json.dumps(
            {
                "BackupPlanId": plan.backup_plan_id,
                "BackupPlanArn": plan.backup_plan_arn,
                "CreationDate": plan.creation_date,
                "VersionId": plan.version_id,
                "AdvancedBackupSettings": plan.advanced_backup_settings,
            }
        )

    backend: Any = BackupBackend
    backend.create_backup_plan = create_backup_plan
    response: Any = BackupResponse
    response.update_backup_plan = update_backup_plan
