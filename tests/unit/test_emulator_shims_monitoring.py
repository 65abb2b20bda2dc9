"""Monitoring-stack emulator shims (EFS file system policies) against in-process moto.

Each gap is shown on bare moto, then closed with the shim applied. The shim is applied only inside
`shims_applied`, which restores moto's classes afterwards, so bare-moto tests elsewhere in the
session are unaffected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from deployment_infra.emulator_shims import DATA_SHIM_MODULES, SHIMS
from deployment_infra.emulator_shims_monitoring import policy_error
from tests.unit.moto_patches import restoring

REGION = "af-south-1"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MODULE = "deployment_infra.emulator_shims_monitoring"
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)


def _patched_classes() -> list[type]:
    from moto.efs.models import EFSBackend
    from moto.efs.responses import EFSResponse
    from moto.servicediscovery.models import ServiceDiscoveryBackend

    return [EFSBackend, EFSResponse, ServiceDiscoveryBackend]


@contextmanager
def shims_applied(*names: str) -> Iterator[None]:
    """Apply the named shims to moto for the duration of the block, then undo them."""
    __import__(MODULE)
    with restoring(_patched_classes()):
        for name in names:
            SHIMS[name]()
        yield


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _efs() -> Any:
    return boto3.client("efs", region_name=REGION)


def _file_system(efs: Any) -> str:
    return str(efs.create_file_system(CreationToken="monitoring", Encrypted=True)["FileSystemId"])


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_monitoring_shims_are_imported_by_apply_all_and_documented() -> None:
    assert MODULE in DATA_SHIM_MODULES  # apply_all imports it, so the launcher applies it
    __import__(MODULE)
    names = [name for name, func in SHIMS.items() if func.__module__ == MODULE]
    assert names == ["efs-file-system-policy", "servicediscovery-namespace-zone"]
    documented = DOCS.read_text()
    assert [name for name in names if f"| `{name}` |" not in documented] == []


@mock_aws
def test_bare_moto_cannot_delete_a_file_system_policy() -> None:
    efs = _efs()
    fs = _file_system(efs)
    efs.put_file_system_policy(FileSystemId=fs, Policy=POLICY)
    # in process moto raises what its server turns into a 500
    with pytest.raises(NotImplementedError, match="delete_file_system_policy"):
        efs.delete_file_system_policy(FileSystemId=fs)
    with pytest.raises(KeyError):
        efs.describe_file_system_policy(FileSystemId="fs-00000000")
    efs.put_file_system_policy(FileSystemId=fs, Policy="not json")  # stored as is


@mock_aws
def test_file_system_policy_delete_and_errors() -> None:
    with shims_applied("efs-file-system-policy"):
        efs = _efs()
        fs = _file_system(efs)
        efs.put_file_system_policy(FileSystemId=fs, Policy=POLICY)
        assert json.loads(efs.describe_file_system_policy(FileSystemId=fs)["Policy"]) == json.loads(POLICY)

        efs.delete_file_system_policy(FileSystemId=fs)
        with pytest.raises(ClientError) as gone:
            efs.describe_file_system_policy(FileSystemId=fs)
        assert _code(gone) == ("PolicyNotFound", 404)
        efs.delete_file_system_policy(FileSystemId=fs)  # idempotent, as on AWS

        for call in (
            lambda: efs.describe_file_system_policy(FileSystemId="fs-00000000"),
            lambda: efs.delete_file_system_policy(FileSystemId="fs-00000000"),
            lambda: efs.put_file_system_policy(FileSystemId="fs-00000000", Policy=POLICY),
        ):
            with pytest.raises(ClientError) as unknown:
                call()
            assert _code(unknown) == ("FileSystemNotFound", 404)

        with pytest.raises(ClientError) as invalid:
            efs.put_file_system_policy(FileSystemId=fs, Policy="[]")
        assert _code(invalid) == ("InvalidPolicyException", 400)

        # the file system itself can then be deleted
        efs.delete_file_system(FileSystemId=fs)
        assert efs.describe_file_systems()["FileSystems"] == []


@settings(max_examples=100)
@given(st.one_of(st.text(max_size=50), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3)))
def test_policy_error_accepts_exactly_json_objects(value: object) -> None:
    text = json.dumps(value) if isinstance(value, dict) else value
    try:
        is_object = isinstance(json.loads(str(text)), dict)
    except json.JSONDecodeError:
        is_object = False
    assert (policy_error(text) is None) == is_object


def test_policy_error_refuses_nothing() -> None:
    assert policy_error(None) == "Policy is required"
    assert policy_error("  ") == "Policy is required"


def _private_namespace_zones() -> tuple[list[str], list[str]]:
    """Create and delete a private DNS namespace; the zones before and after the delete."""
    vpc = boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    sd = boto3.client("servicediscovery", region_name=REGION)
    route53 = boto3.client("route53", region_name=REGION)
    sd.create_private_dns_namespace(Name="dev.monitoring.internal", Vpc=vpc)
    namespace = sd.list_namespaces()["Namespaces"][0]["Id"]
    before = [z["Id"] for z in route53.list_hosted_zones()["HostedZones"]]
    sd.delete_namespace(Id=namespace)
    return before, [z["Id"] for z in route53.list_hosted_zones()["HostedZones"]]


@mock_aws
def test_bare_moto_keeps_a_deleted_namespace_zone() -> None:
    before, after = _private_namespace_zones()
    assert len(before) == 1 and after == before


@mock_aws
def test_deleting_a_namespace_deletes_its_zone() -> None:
    with shims_applied("servicediscovery-namespace-zone"):
        before, after = _private_namespace_zones()
        assert len(before) == 1 and after == []
        with pytest.raises(ClientError):
            boto3.client("servicediscovery", region_name=REGION).delete_namespace(Id="ns-missing")
