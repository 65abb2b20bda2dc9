"""RDS point-in-time restore shim for moto (the backup verification drill restores into a new instance).

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. A row in
docs/emulator.md; tested on bare moto in tests/unit/test_emulator_shims_rds_restore.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployment_infra.emulator_shims import shim

# -- rds-restore-point-in-time-settings --------------------------------------------------------
# AWS: RestoreDBInstanceToPointInTime makes a new instance from the source's backups with the
# request's settings; DeletionProtection is false and MultiAZ false unless the request sets them,
# and PubliclyAccessible=false keeps it private. moto 5 copies the source's attributes and applies
# only the request values that are truthy: a protected source gave a protected copy that could not
# be deleted, and PubliclyAccessible/MultiAZ=false were ignored.

RESTORE_DEFAULTS: Mapping[str, bool] = {"deletion_protection": False, "multi_az": False}
EXPLICIT = ("deletion_protection", "multi_az", "publicly_accessible")


def restored_settings(request: Mapping[str, Any]) -> dict[str, bool]:
    """The boolean settings of a restored instance for a request (snake_case keys, bool or 'true')."""
    settings = dict(RESTORE_DEFAULTS)
    for key in EXPLICIT:
        if request.get(key) is not None:
            value = request[key]
            settings[key] = value if isinstance(value, bool) else str(value).lower() == "true"
    return settings


@shim("rds-restore-point-in-time-settings")
def _rds_restore_point_in_time_settings() -> None:
    from moto.rds.models import RDSBackend

    original = RDSBackend.restore_db_instance_to_point_in_time

    def restore(self: Any, source_db_identifier: str, target_db_identifier: str, overrides: Any) -> Any:
        instance = original(self, source_db_identifier, target_db_identifier, overrides)
        for attribute, value in restored_settings(overrides).items():
            setattr(instance, attribute, value)
        return instance

    cls: Any = RDSBackend
    cls.restore_db_instance_to_point_in_time = restore
