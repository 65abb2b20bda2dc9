"""Shims seen through a real emulator server (the launcher applies them), against bare moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployment_infra.emulator import Emulator, free_port
from deployment_infra.targets import LocalTarget

TARGET = {
    "ServiceNamespace": "dynamodb",
    "ResourceId": "table/orders",
    "ScalableDimension": "dynamodb:table:ReadCapacityUnits",
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = Emulator(Path(tmp_path_factory.mktemp("shims")) / ".infra", free_port())
    emu.ensure_running()
    yield emu
    emu.stop()


def test_bare_moto_lacks_application_autoscaling_tags() -> None:
    with mock_aws():
        client = boto3.client("application-autoscaling", region_name="af-south-1")
        arn = client.register_scalable_target(**TARGET, MinCapacity=1, MaxCapacity=5)["ScalableTargetARN"]
        with pytest.raises(Exception):  # noqa: B017 - moto raises NotImplementedError or a 500
            client.list_tags_for_resource(ResourceARN=arn)


def test_application_autoscaling_tags_round_trip(emulator: Emulator) -> None:
    client = LocalTarget(emulator).client("application-autoscaling", "af-south-1")
    arn = client.register_scalable_target(
        **TARGET, MinCapacity=1, MaxCapacity=5, Tags={"Environment": "dev", "Owner": "platform"}
    )["ScalableTargetARN"]
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "Environment": "dev",
        "Owner": "platform",
    }
    client.tag_resource(ResourceARN=arn, Tags={"CostCenter": "eng"})
    client.untag_resource(ResourceARN=arn, TagKeys=["Owner"])
    assert client.list_tags_for_resource(ResourceARN=arn)["Tags"] == {
        "Environment": "dev",
        "CostCenter": "eng",
    }
    client.deregister_scalable_target(**TARGET)
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        client.list_tags_for_resource(ResourceARN=arn)
