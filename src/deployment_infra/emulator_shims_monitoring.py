"""Monitoring-stack shims for moto (terraform/modules/monitoring): EFS file system policies, Cloud Map
namespace zones.

Registered with `deployment_infra.emulator_shims.shim`; `apply_all()` imports this module. Each shim is
a row in docs/emulator.md and has tests in tests/unit/test_emulator_shims_monitoring.py (bare moto)
and tests/integration/test_emulator_shims_monitoring_server.py (through the launcher).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from deployment_infra.emulator_shims import shim

# -- efs-file-system-policy --------------------------------------------------------------------
# AWS: DeleteFileSystemPolicy removes a file system's resource policy (the default policy, full
# access for IAM-authorized clients, applies again); afterwards DescribeFileSystemPolicy answers
# PolicyNotFound. Describe/Put/DeleteFileSystemPolicy on an unknown file system answer
# FileSystemNotFound (404), and PutFileSystemPolicy refuses a policy that is not a JSON object
# (InvalidPolicyException). moto 5 had no DeleteFileSystemPolicy (500: `terraform destroy` of an
# aws_efs_file_system_policy failed), answered the unknown file system with a 500 (KeyError), and
# stored any string as the policy.


def policy_error(policy: object) -> str | None:
    """Why PutFileSystemPolicy refuses `policy`, or None when it is a JSON object."""
    if not isinstance(policy, str) or not policy.strip():
        return "Policy is required"
    try:
        parsed = json.loads(policy)
    except json.JSONDecodeError:
        return "Policy is not valid JSON"
    return None if isinstance(parsed, dict) else "Policy must be a JSON object"


@shim("efs-file-system-policy")
def _efs_file_system_policy() -> None:
    from moto.efs.exceptions import EFSError, FileSystemNotFound
    from moto.efs.models import EFSBackend
    from moto.efs.responses import EFSResponse

    class InvalidPolicyError(EFSError):
        code = 400

        def __init__(self, message: str) -> None:
            super().__init__("InvalidPolicyException", message)

    original_describe = EFSBackend.describe_file_system_policy
    original_put = EFSBackend.put_file_system_policy

    def file_system(backend: Any, file_system_id: str) -> Any:
        found = backend.file_systems_by_id.get(file_system_id)
        if found is None:
            raise FileSystemNotFound(file_system_id)
        return found

    def describe_file_system_policy(self: Any, file_system_id: str) -> str:
        file_system(self, file_system_id)
        return str(original_describe(self, file_system_id))

    def put_file_system_policy(
        self: Any, file_system_id: str, policy: str, bypass_policy_lockout_safety_check: bool
    ) -> None:
        file_system(self, file_system_id)
        error = policy_error(policy)
        if error:
            raise InvalidPolicyError(error)
        original_put(self, file_system_id, policy, bypass_policy_lockout_safety_check)

    def delete_file_system_policy(self: Any, file_system_id: str) -> None:
        file_system(self, file_system_id).file_system_policy = None

    def delete_file_system_policy_response(self: Any) -> tuple[str, dict[str, str]]:
        self.efs_backend.delete_file_system_policy(self._get_param("FileSystemId"))
        return "", {"Content-Type": "application/json"}

    backend: Any = EFSBackend
    backend.describe_file_system_policy = describe_file_system_policy
    backend.put_file_system_policy = put_file_system_policy
    backend.delete_file_system_policy = delete_file_system_policy
    response: Any = EFSResponse
    response.delete_file_system_policy = delete_file_system_policy_response


# -- servicediscovery-namespace-zone -----------------------------------------------------------
# AWS: DeleteNamespace of a private DNS namespace also deletes the Route 53 private hosted zone
# Cloud Map created for it. moto 5 deleted only the namespace: its hosted zone stayed in the
# account after `terraform destroy` (and a later namespace of the same name got a second zone).


@shim("servicediscovery-namespace-zone")
def _servicediscovery_namespace_zone() -> None:
    from moto.route53.exceptions import HostedZoneNotEmpty
    from moto.route53.models import route53_backends
    from moto.servicediscovery.models import ServiceDiscoveryBackend
    from moto.utilities.utils import get_partition

    original = ServiceDiscoveryBackend.delete_namespace

    def delete_namespace(self: ServiceDiscoveryBackend, namespace_id: str) -> str:
        namespace = self.namespaces.get(namespace_id)
        zone_id = (getattr(namespace, "dns_properties", None) or {}).get("HostedZoneId")
        operation_id: str = original(self, namespace_id)  # raises NamespaceNotFound first
        route53 = route53_backends[self.account_id][get_partition(self.region_name)]
        if zone_id and str(zone_id).replace("/hostedzone/", "") in route53.zones:
            with contextlib.suppress(HostedZoneNotEmpty):  # records left: AWS would refuse earlier
                route53.delete_hosted_zone(zone_id)
        return operation_id

    ServiceDiscoveryBackend.delete_namespace = delete_namespace  # type: ignore[method-assign]
