"""The fault layer in a real emulator (the launcher wraps moto's app): idle without rules, injected
errors parsed by botocore in the JSON and query protocols, everything else reaching moto intact."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from deployment_infra.emulator import Emulator
from deployment_infra.emulator_faults import CONTROL_PATH
from tests.conftest import own_emulator
from tests.support import faults

REGION = "af-south-1"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            }
        ],
    }
)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with own_emulator(Path(tmp_path_factory.mktemp("faults")) / ".infra") as emu:
        yield emu


@pytest.fixture
def url(emulator: Emulator) -> Iterator[str]:
    faults.clear(emulator.url)
    yield emulator.url
    faults.clear(emulator.url)


def client(url: str, service: str) -> object:
    """A client that does not retry: each call is exactly one request."""
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def test_no_rules_nothing_logged_and_moto_answers(url: str) -> None:
    ssm = client(url, "ssm")
    ssm.put_parameter(Name="/faults/idle", Value="1", Type="String")  # type: ignore[attr-defined]
    assert faults.state(url) == {"rules": [], "log": []}
    with urllib.request.urlopen(f"{url}/moto-api/", timeout=5) as resp:  # noqa: S310 - the health check
        assert resp.status == 200


def test_json_protocol_throttled_twice_then_moto_answers(url: str) -> None:
    ssm = client(url, "ssm")
    ssm.put_parameter(Name="/faults/json", Value="v", Type="String")  # type: ignore[attr-defined]
    faults.inject(
        url, "ssm", "ThrottlingException", count=2, operation="GetParameter", message="Rate exceeded"
    )
    codes = []
    for _ in range(3):
        try:
            codes.append(ssm.get_parameter(Name="/faults/json")["Parameter"]["Value"])  # type: ignore[attr-defined]
        except ClientError as exc:
            codes.append(f"{exc.response['Error']['Code']}: {exc.response['Error']['Message']}")
    assert codes == ["ThrottlingException: Rate exceeded", "ThrottlingException: Rate exceeded", "v"]
    entries = faults.log(url)
    assert [(e["operation"], e["injected"]) for e in entries] == [
        ("GetParameter", True),
        ("GetParameter", True),
        ("GetParameter", False),
    ]
    assert entries[0]["t"] < entries[1]["t"] < entries[2]["t"]


def test_query_protocol_5xx_and_the_inspected_body_reaches_moto(url: str) -> None:
    iam = client(url, "iam")
    faults.inject(url, "iam", "ServiceUnavailable", status=503, operation="ListRoles")
    with pytest.raises(ClientError) as failure:
        iam.list_roles()  # type: ignore[attr-defined]
    assert failure.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    # CreateRole's form body was read to find its Action, then handed to moto whole
    iam.create_role(RoleName="faults-drill", AssumeRolePolicyDocument=TRUST, Path="/drill/")  # type: ignore[attr-defined]
    role = iam.get_role(RoleName="faults-drill")["Role"]  # type: ignore[attr-defined]
    assert role["Path"] == "/drill/"
    assert faults.log(url)[0]["injected"] is True


def test_service_wide_rule_on_a_rest_protocol(url: str) -> None:
    s3 = client(url, "s3")
    faults.inject(url, "s3", "SlowDown", status=503, count=1)
    with pytest.raises(ClientError) as failure:
        s3.list_buckets()  # type: ignore[attr-defined]
    assert failure.value.response["Error"]["Code"] == "SlowDown"
    s3.list_buckets()  # type: ignore[attr-defined]


def test_bad_rule_is_a_400_with_the_reason(url: str) -> None:
    req = urllib.request.Request(  # noqa: S310
        f"{url}{CONTROL_PATH}", data=b'{"service": "ssm", "code": "X", "status": 200}', method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(req, timeout=5)  # noqa: S310
    assert failure.value.code == 400
    assert "status" in json.loads(failure.value.read())["error"]
