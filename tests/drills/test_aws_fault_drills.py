"""Drill: AWS throttling and 5xx, injected in the emulator layer -> retries with backoff, then a clear
error (docs/drills.md).

The real `infra` CLI runs in subprocesses against an emulator of this module's own (the launcher,
free port), and the fault layer's log (emulator_faults.py) shows each attempt where it arrived. The
Terraform drills use a two-resource root through infra's own Terraform runner (terraform.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget, write_override
from deployment_infra.terraform import Terraform, TerraformError, write_cli_config
from tests.conftest import copy_project, own_emulator, run_infra
from tests.support import faults

REGION = "af-south-1"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("fault-drills"))


@pytest.fixture(scope="module")
def emulator(project: Path) -> Iterator[Emulator]:
    with own_emulator(project / ".infra") as emu:
        yield emu


@pytest.fixture
def url(emulator: Emulator) -> Iterator[str]:
    faults.clear(emulator.url)
    yield emulator.url
    faults.clear(emulator.url)


def infra(project: Path, emulator: Emulator, *args: str) -> Any:
    return run_infra(project, *args, env={"INFRA_EMULATOR_PORT": str(emulator.port)}, timeout=120)


def one_line_error(result: Any) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error:" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return str(lines[0])


def config(project: Path, emulator: Emulator) -> dict[str, str]:
    result = infra(project, emulator, "config", "get", "--env", "dev", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout)["values"])


def assert_backoff(entries: list[dict[str, Any]], attempts: int, first_wait: float = 0.2) -> None:
    """`attempts` attempts of one call (the SDK numbers them), each wait at least double the first
    step and longer than the one before: backoff, not a hammer."""
    assert [faults.attempt(e) for e in entries] == list(range(1, attempts + 1))
    waits = faults.gaps(entries)
    for n, wait in enumerate(waits, start=1):
        assert wait >= first_wait * 2 ** (n - 1), waits
    assert waits == sorted(waits) and waits[-1] > waits[0], waits


# -- Python (boto3) ------------------------------------------------------------------------------


def test_throttled_twice_the_command_retries_and_succeeds(
    project: Path, emulator: Emulator, url: str
) -> None:
    faults.inject(url, "ssm", "ThrottlingException", count=2, operation="PutParameter")
    result = infra(project, emulator, "config", "set", "--env", "dev", "LOG_LEVEL=debug")
    assert result.returncode == 0, result.stderr
    entries = faults.log(url)
    assert [e["injected"] for e in entries] == [True, True, False]
    assert_backoff(entries, 3)
    faults.clear(url)
    assert config(project, emulator)["LOG_LEVEL"] == "debug"


def test_throttled_past_the_retries_is_one_line_naming_the_call(
    project: Path, emulator: Emulator, url: str
) -> None:
    faults.inject(url, "ssm", "ThrottlingException", count=20, operation="GetParametersByPath")
    line = one_line_error(infra(project, emulator, "releases", "--env", "dev"))
    assert line == (
        "error: AWS ssm GetParametersByPath throttled after 4 attempts: "
        "ThrottlingException: injected by the emulator's fault drill"
    )
    entries = faults.log(url)
    assert all(e["injected"] for e in entries)
    assert_backoff(entries, 4)


@pytest.mark.parametrize(("status", "code"), [(400, "ThrottlingException"), (500, "InternalError")])
def test_a_write_that_fails_past_the_retries_writes_nothing(
    project: Path, emulator: Emulator, url: str, status: int, code: str
) -> None:
    faults.inject(url, "ssm", code, status=status, count=20, operation="PutParameter")
    line = one_line_error(infra(project, emulator, "config", "set", "--env", "dev", "DRILL_A=1", "DRILL_B=2"))
    # commands/config.py wraps the error with what it was doing; botocore counts retries (3 = 4 attempts)
    assert line.startswith("error: writing the configuration of dev: ")
    assert f"({code}) when calling the PutParameter operation (reached max retries: 3)" in line
    assert len(faults.log(url)) == 4  # the first write failed 4 times; the second was never tried
    faults.clear(url)
    assert not {"DRILL_A", "DRILL_B"} & set(config(project, emulator))


@pytest.mark.parametrize(("status", "code"), [(503, "ServiceUnavailable"), (500, "InternalError")])
def test_5xx_past_the_retries_is_one_line(
    project: Path, emulator: Emulator, url: str, status: int, code: str
) -> None:
    faults.inject(url, "ssm", code, status=status, count=20, message="Service is busy, try later.")
    line = one_line_error(infra(project, emulator, "releases", "--env", "dev"))
    assert line == (
        f"error: AWS ssm GetParametersByPath failed after 4 attempts: {code}: Service is busy, try later."
    )
    assert_backoff(faults.log(url), 4)


def test_a_5xx_blip_is_retried_away(project: Path, emulator: Emulator, url: str) -> None:
    faults.inject(url, "ssm", "ServiceUnavailable", status=503, count=2)  # service-wide
    result = infra(project, emulator, "releases", "--env", "dev", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["releases"] == []
    assert [e["injected"] for e in faults.log(url)][:3] == [True, True, False]


# -- Terraform (the provider's own retries) --------------------------------------------------------

ROOT = """
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = "af-south-1"
}

variable "value" {
  type = string
}

resource "aws_ssm_parameter" "this" {
  name  = "/drill/faults"
  type  = "String"
  value = var.value
}

resource "aws_iam_role" "this" {
  name = "fault-drill"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })
}
"""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Terraform:
    path = tmp_path_factory.mktemp("fault-root")
    (path / "main.tf").write_text(ROOT)
    target = LocalTarget(emulator)
    write_override(target, path)  # the local target's provider block: endpoints, max_retries = 4
    env = {**target.environ(), "TF_CLI_CONFIG_FILE": str(write_cli_config(path / ".run"))}
    tf = Terraform(root=path, data_dir=path / ".terraform", env=env, timeout=300, what="the fault drill root")
    tf.init()
    return tf


def apply(tf: Terraform, value: str) -> None:
    plan = tf.root / "drill.tfplan"
    (tf.root / "drill.tfvars").write_text(f"value = {json.dumps(value)}\n")
    tf.plan(plan, tf.root / "drill.tfvars")
    tf.apply(plan)


def parameter(emulator: Emulator) -> str:
    ssm = LocalTarget(emulator).client("ssm", REGION)
    return str(ssm.get_parameter(Name="/drill/faults")["Parameter"]["Value"])


def test_terraform_a_throttled_create_is_retried_by_the_provider(
    root: Terraform, emulator: Emulator, url: str
) -> None:
    faults.inject(url, "ssm", "ThrottlingException", operation="PutParameter")  # JSON protocol
    faults.inject(url, "iam", "Throttling", operation="CreateRole")  # query protocol
    apply(root, "v1")
    by_operation: dict[str, list[bool]] = {}
    for entry in faults.log(url):
        by_operation.setdefault(entry["operation"], []).append(entry["injected"])
    assert by_operation == {"PutParameter": [True, False], "CreateRole": [True, False]}
    assert parameter(emulator) == "v1"


def test_terraform_a_persistent_503_is_one_line_naming_the_resource(
    root: Terraform, emulator: Emulator, url: str
) -> None:
    if not (root.root / "terraform.tfstate").exists():
        apply(root, "v1")
    faults.inject(url, "ssm", "ServiceUnavailable", status=503, count=50, operation="PutParameter")
    with pytest.raises(TerraformError) as failure:
        apply(root, "v2")
    message = str(failure.value)
    assert "\n" not in message
    assert message == (
        "terraform apply on the fault drill root failed: aws_ssm_parameter.this: updating SSM Parameter "
        "(/drill/faults): AWS SSM PutParameter failed after 4 attempts: ServiceUnavailable: "
        "injected by the emulator's fault drill"
    )
    assert len(faults.log(url)) == 4  # the provider's max_retries = 4 on the local target: 4 attempts
    faults.clear(url)
    assert parameter(emulator) == "v1"  # nothing half-written
