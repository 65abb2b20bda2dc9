"""Monitoring-stack shims seen through a real emulator server (the launcher applies them).

The gaps themselves are shown on bare moto in tests/unit/test_emulator_shims_monitoring.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

REGION = "af-south-1"
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


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("monitoring-shims")) / ".infra") as emu:
        yield emu


def _efs(emulator: Emulator) -> Any:
    return LocalTarget(emulator).client("efs", REGION)


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_efs_file_system_policy_lifecycle(emulator: Emulator) -> None:
    """What `terraform apply` then `destroy` of aws_efs_file_system_policy does, in the same order."""
    efs = _efs(emulator)
    fs = efs.create_file_system(CreationToken="monitoring", Encrypted=True)["FileSystemId"]
    efs.put_file_system_policy(FileSystemId=fs, Policy=POLICY)
    assert json.loads(efs.describe_file_system_policy(FileSystemId=fs)["Policy"]) == json.loads(POLICY)

    efs.delete_file_system_policy(FileSystemId=fs)
    with pytest.raises(ClientError) as gone:
        efs.describe_file_system_policy(FileSystemId=fs)
    assert _code(gone) == ("PolicyNotFound", 404)

    with pytest.raises(ClientError) as invalid:
        efs.put_file_system_policy(FileSystemId=fs, Policy="not json")
    assert _code(invalid) == ("InvalidPolicyException", 400)

    efs.delete_file_system(FileSystemId=fs)
    with pytest.raises(ClientError) as unknown:
        efs.delete_file_system_policy(FileSystemId=fs)
    assert _code(unknown) == ("FileSystemNotFound", 404)
