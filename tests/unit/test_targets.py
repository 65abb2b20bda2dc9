"""Targets: the local target's generated provider override, and that `aws` removes it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.errors import UsageError
from deployment_infra.targets import OVERRIDE_FILE, AwsTarget, LocalTarget, provider_aliases, write_override

ROOT_TF = """
provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "eu"
  region = "eu-west-1"
}

provider "other" {
  alias = "x"
}
"""


def test_aliases_of_every_aws_provider_block(tmp_path: Path) -> None:
    (tmp_path / "providers.tf").write_text(ROOT_TF)
    (tmp_path / "ignored_override.tf").write_text('provider "aws" {\n  alias = "zz"\n}\n')
    assert provider_aliases(tmp_path) == ["", "eu"]


def test_local_override_points_every_provider_at_the_emulator(tmp_path: Path) -> None:
    (tmp_path / "providers.tf").write_text(ROOT_TF)
    target = LocalTarget(Emulator(tmp_path / ".infra", 45999))
    write_override(target, tmp_path)
    text = (tmp_path / OVERRIDE_FILE).read_text()
    assert text.count('provider "aws" {') == 2
    assert re.search(r'alias += "eu"', text)
    assert re.search(r'\bs3 += "http://127.0.0.1:45999"', text) and "max_retries                 = 4" in text
    # generated files sit in the roots: they must pass `terraform fmt -check` like the rest
    fmt = subprocess.run(["terraform", "fmt", "-check", str(tmp_path / OVERRIDE_FILE)], capture_output=True)
    assert fmt.returncode == 0, fmt.stdout
    # switching to real AWS removes the override: no hand edits to switch targets
    write_override(AwsTarget(), tmp_path)
    assert not (tmp_path / OVERRIDE_FILE).exists()


def test_unparseable_root_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "aws" {\n  region = \n')
    with pytest.raises(UsageError, match="cannot parse HCL"):
        provider_aliases(tmp_path)
