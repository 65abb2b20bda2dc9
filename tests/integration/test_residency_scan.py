"""`infra ops residency-scan` against a real emulator: allowed resources pass, strays are reported.

Resources are planted through boto3 in a project copy's own emulator (free port); the real CLI
then scans every region moto offers. The allow-lists are the project's infra.toml.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.ops.residency_scan import Rules, scan
from deployment_infra.settings import load
from deployment_infra.targets import LocalTarget
from tests.conftest import copy_project, own_emulator, run_infra

HOME = "af-south-1"
WIDE = {"COLUMNS": "400"}  # a table row on one line, whatever the ARN's length


def _tags(data_class: str | None, env: str | None) -> list[dict[str, str]]:
    tags = [{"Key": "Project", "Value": "ngapp"}]
    if data_class is not None:
        tags.append({"Key": "DataClassification", "Value": data_class})
    if env is not None:
        tags.append({"Key": "Environment", "Value": env})
    return tags


def _bucket(target: LocalTarget, region: str, name: str, data_class: str, env: str) -> str:
    s3 = target.client("s3", region)
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **extra)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(data_class, env)})
    return f"arn:aws:s3:::{name}"


def _table(target: LocalTarget, region: str, name: str, data_class: str, env: str) -> str:
    return str(
        target.client("dynamodb", region).create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            Tags=_tags(data_class, env),
        )["TableDescription"]["TableArn"]
    )


def _log_group(target: LocalTarget, region: str, name: str, data_class: str | None, env: str | None) -> str:
    logs = target.client("logs", region)
    tags = {t["Key"]: t["Value"] for t in _tags(data_class, env)} if data_class else {}
    logs.create_log_group(logGroupName=name, **({"tags": tags} if tags else {}))
    return f"arn:aws:logs:{region}:123456789012:log-group:{name}"


def _secret(target: LocalTarget, region: str, name: str, data_class: str, env: str) -> str:
    sm = target.client("secretsmanager", region)
    return str(
        sm.create_secret(Name=name, SecretString="not-a-real-value", Tags=_tags(data_class, env))["ARN"]
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("residency-scan"))


@pytest.fixture(scope="module")
def emulator(project: Path) -> Iterator[Emulator]:
    """The project's own emulator: the CLI finds it through INFRA_EMULATOR_PORT and .infra/."""
    with own_emulator(project / ".infra") as emu:
        yield emu


@pytest.fixture(scope="module")
def target(emulator: Emulator) -> LocalTarget:
    return LocalTarget(emulator)


def scan_cli(project: Path, emulator: Emulator, *args: str) -> Any:
    return run_infra(
        project, "ops", "residency-scan", *args, env={"INFRA_EMULATOR_PORT": str(emulator.port), **WIDE}
    )


@pytest.fixture(scope="module")
def allowed(target: LocalTarget) -> dict[str, str]:
    """Things the allow-lists admit: data in af-south-1 (tagged or not), public data in us-east-1."""
    sqs = target.client("sqs", HOME)
    untagged_queue = sqs.get_queue_attributes(
        QueueUrl=sqs.create_queue(QueueName="jobs")["QueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    return {
        "bucket": _bucket(target, HOME, "ngapp-dev-uploads", "personal", "dev"),
        "table": _table(target, HOME, "ngapp-dev-sessions", "personal", "dev"),
        "log group": _log_group(target, HOME, "/ngapp/dev/api", "internal", "dev"),
        "secret": _secret(target, HOME, "/ngapp/dev/db/app", "personal", "dev"),
        "untagged queue": untagged_queue,
        "public bucket": _bucket(target, "us-east-1", "ngapp-dev-cdn-static", "public", "dev"),
        "public log group": _log_group(target, "us-east-1", "/ngapp/dev/cdn", "public", "dev"),
    }


def test_allowed_resources_pass(project: Path, emulator: Emulator, allowed: dict[str, str]) -> None:
    result = scan_cli(project, emulator, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["findings"] == [] and report["not_scanned"] == []
    assert report["target"] == "local"
    assert {"af-south-1", "eu-west-1", "us-east-1"} <= set(report["regions_scanned"])
    assert report["inventoried"] >= len(allowed)
    assert "nothing outside its allow-list" in result.stderr


@pytest.fixture(scope="module")
def strays(target: LocalTarget, allowed: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """ARN -> (region, DataClassification as tagged) of everything planted outside its list."""
    sqs = target.client("sqs", "us-east-1")
    url = sqs.create_queue(
        QueueName="ngapp-dev-exports", tags={"DataClassification": "personal", "Environment": "dev"}
    )["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    efs = target.client("efs", "us-east-1").create_file_system(
        CreationToken="reports",
        Tags=_tags("Personal", "prod"),  # not a known class: the strictest list
    )
    ssm = target.client("ssm", "eu-west-1")  # no lister: only the tagging API finds it
    ssm.put_parameter(Name="/ngapp/dev/export", Value="x", Type="String", Tags=_tags("personal", "dev"))
    parameter = ssm.get_parameter(Name="/ngapp/dev/export")["Parameter"]["ARN"]
    return {
        parameter: ("eu-west-1", "personal"),
        _bucket(target, "eu-west-1", "ngapp-dev-uploads-eu", "personal", "dev"): ("eu-west-1", "personal"),
        _table(target, "eu-west-1", "ngapp-prod-sessions", "personal", "prod"): ("eu-west-1", "personal"),
        _log_group(target, "eu-west-1", "/debug/copy", None, None): ("eu-west-1", None),
        _secret(target, "us-east-1", "/ngapp/staging/api-key", "internal", "staging"): (
            "us-east-1",
            "internal",
        ),
        queue: ("us-east-1", "personal"),
        efs["FileSystemArn"]: ("us-east-1", "Personal"),
    }


def test_each_stray_is_reported_once_and_nothing_allowed(
    project: Path, emulator: Emulator, allowed: dict[str, str], strays: dict[str, tuple[str, str | None]]
) -> None:
    result = scan_cli(project, emulator, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"target", "regions_scanned", "findings", "not_scanned", "passed"}
    assert report["passed"] is False and report["not_scanned"] == []
    found = [f["resource"] for f in report["findings"]]
    assert sorted(found) == sorted(strays), "each stray exactly once, and nothing else"
    assert not set(found) & set(allowed.values())
    for finding in report["findings"]:
        region, data_class = strays[finding["resource"]]
        assert (finding["region"], finding["location"], finding["class"]) == (region, region, data_class)
        assert finding["why"] and region not in finding["allowed"]
    by_arn = {f["resource"]: f for f in report["findings"]}
    log_group = next(a for a in strays if ":log-group:/debug/copy" in a)
    assert "no DataClassification tag" in by_arn[log_group]["why"]
    efs = next(a for a in strays if ":file-system/" in a)
    assert "'Personal' is not a data class" in by_arn[efs]["why"]
    assert "failed: 7 finding(s), 0 not scanned" in result.stderr


def test_table_names_region_service_id_class_and_why(
    project: Path, emulator: Emulator, strays: dict[str, tuple[str, str | None]]
) -> None:
    result = scan_cli(project, emulator, "--regions", "eu-west-1")
    assert result.returncode == 1, result.stderr
    rows = [line for line in result.stdout.splitlines() if "arn:aws:" in line]
    assert len(rows) == 4  # the eu-west-1 strays only: the scan was limited to that region
    bucket_row = next(r for r in rows if "ngapp-dev-uploads-eu" in r)
    for cell in ("eu-west-1", "s3", "personal", "personal data is allowed only in"):
        assert cell in bucket_row
    assert any("(untagged)" in r and "/debug/copy" in r for r in rows)


def test_env_scope_judges_that_environment_and_unattributed_resources(
    project: Path, emulator: Emulator, strays: dict[str, tuple[str, str | None]]
) -> None:
    expected = {
        "dev": {"ngapp-dev-uploads-eu", "/debug/copy", "ngapp-dev-exports", "parameter/ngapp/dev/export"},
        "prod": {"ngapp-prod-sessions", "/debug/copy", "file-system/"},
        "staging": {"/ngapp/staging/api-key", "/debug/copy"},
    }
    for env, names in expected.items():
        result = scan_cli(
            project, emulator, "--env", env, "--regions", "af-south-1,eu-west-1,us-east-1", "--json"
        )
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        assert report["environment"] == env
        found = [f["resource"] for f in report["findings"]]
        assert len(found) == len(names), found
        assert all(any(n in arn for arn in found) for n in names), (env, found)
        unattributed = next(f for f in report["findings"] if "/debug/copy" in f["resource"])
        assert "judged in every scan" in unattributed["why"]
        assert report["not_judged"]["other_environment"] >= 1


def test_regions_limit_the_scan(
    project: Path, emulator: Emulator, strays: dict[str, tuple[str, str | None]]
) -> None:
    result = scan_cli(project, emulator, "--regions", "af-south-1", "--json")
    assert result.returncode == 0, result.stderr  # every stray is elsewhere
    report = json.loads(result.stdout)
    assert report["regions_scanned"] == ["af-south-1"] and report["passed"] is True


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ("af-south-1,not-a-region", "'not-a-region' is not an AWS region name"),
        ("af-south-1,,eu-west-1", "'' is not an AWS region name"),
        ("eu-west-9", "eu-west-9 not enabled in this account"),
    ],
)
def test_bad_regions_are_one_line_exit_2(
    project: Path, emulator: Emulator, regions: str, message: str
) -> None:
    result = scan_cli(project, emulator, "--regions", regions)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --regions:") and message in lines[0], lines


def test_unknown_environment_is_exit_2(project: Path, emulator: Emulator) -> None:
    result = scan_cli(project, emulator, "--env", "qa")
    assert result.returncode == 2 and "unknown environment 'qa'" in result.stderr


class _OneServiceUnreachable:
    """The emulator, except one service whose endpoint is a closed port (a real failing endpoint)."""

    name = "local"

    def __init__(self, target: LocalTarget, service: str, port: int) -> None:
        self.target, self.service, self.port = target, service, port

    def client(self, service: str, region: str) -> Any:
        if service != self.service:
            return self.target.client(service, region)
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1),
        )


def test_a_service_that_cannot_be_listed_fails_the_scan(project: Path, target: LocalTarget) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once the socket is closed
    broken = _OneServiceUnreachable(target, "efs", port)
    rules = Rules(load(project).allowed_regions)
    report = scan(broken, rules, HOME, ["af-south-1", "eu-west-1"])
    assert not report.passed
    assert sorted((g.region, g.service) for g in report.not_scanned) == [
        ("af-south-1", "efs"),
        ("eu-west-1", "efs"),
    ]
    assert all("Could not connect" in g.reason for g in report.not_scanned)
    assert str(report.not_scanned[0]).startswith("not scanned: af-south-1 efs: ")
