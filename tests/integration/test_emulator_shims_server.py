"""Shims seen through a real emulator server (the launcher applies them), against bare moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget
from tests.conftest import own_emulator

TARGET = {
    "ServiceNamespace": "dynamodb",
    "ResourceId": "table/orders",
    "ScalableDimension": "dynamodb:table:ReadCapacityUnits",
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("shims")) / ".infra") as emu:
        yield emu


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


SERVICE = {
    "serviceName": "api",
    "desiredCount": 2,
    "capacityProviderStrategy": [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ],
    "deploymentConfiguration": {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    },
    "healthCheckGracePeriodSeconds": 60,
    "enableECSManagedTags": True,
    "availabilityZoneRebalancing": "DISABLED",
}


def _create_service(ecs: object) -> dict:
    ecs.create_cluster(clusterName="c")  # type: ignore[attr-defined]
    td = ecs.register_task_definition(  # type: ignore[attr-defined]
        family="api",
        requiresCompatibilities=["FARGATE"],
        networkMode="awsvpc",
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "app", "image": "nginx", "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="c", taskDefinition=td, **SERVICE)  # type: ignore[attr-defined]
    return ecs.describe_services(cluster="c", services=["api"])["services"][0]  # type: ignore[attr-defined]


def test_bare_moto_drops_ecs_service_fields() -> None:
    with mock_aws():
        service = _create_service(boto3.client("ecs", region_name="af-south-1"))
    assert "deploymentConfiguration" not in service
    assert service["launchType"] == "EC2"


def test_ecs_service_fields_round_trip(emulator: Emulator) -> None:
    service = _create_service(LocalTarget(emulator).client("ecs", "af-south-1"))
    assert service["capacityProviderStrategy"] == SERVICE["capacityProviderStrategy"]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert service["deploymentConfiguration"]["minimumHealthyPercent"] == 100
    assert service["healthCheckGracePeriodSeconds"] == 60
    assert service["enableECSManagedTags"] is True
    assert service["availabilityZoneRebalancing"] == "DISABLED"
    assert "launchType" not in service  # a capacity provider strategy replaces the launch type


def _rule_with_group_reference(ec2: object) -> dict:
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]  # type: ignore[attr-defined]
    alb = ec2.create_security_group(GroupName="alb", Description="alb", VpcId=vpc)["GroupId"]  # type: ignore[attr-defined]
    svc = ec2.create_security_group(GroupName="svc", Description="svc", VpcId=vpc)["GroupId"]  # type: ignore[attr-defined]
    ec2.authorize_security_group_ingress(  # type: ignore[attr-defined]
        GroupId=svc,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 8080,
                "ToPort": 8080,
                "UserIdGroupPairs": [{"GroupId": alb, "Description": "from the ALB only"}],
            }
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [svc]}])  # type: ignore[attr-defined]
    return next(r for r in rules["SecurityGroupRules"] if not r["IsEgress"])


def test_bare_moto_drops_group_reference_rule_descriptions() -> None:
    with mock_aws():
        rule = _rule_with_group_reference(boto3.client("ec2", region_name="af-south-1"))
    assert "Description" not in rule


def test_group_reference_rule_keeps_its_description(emulator: Emulator) -> None:
    rule = _rule_with_group_reference(LocalTarget(emulator).client("ec2", "af-south-1"))
    assert rule["Description"] == "from the ALB only"
