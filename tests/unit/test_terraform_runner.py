"""The terraform runner: CLI config, version check, and one-line errors from terraform's output."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from deployment_infra import terraform as tf
from deployment_infra.errors import InfraError

LOCK_OUTPUT = """
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412,
PreconditionFailed: At least one of the pre-conditions you specified did not hold
Lock Info:
  ID:        6f1c2a7e-3d4b-4c5d-9e8f-0a1b2c3d4e5f
  Path:      ngapp-tfstate/environments/dev/terraform.tfstate
  Operation: OperationTypeApply
  Who:       root@builder
  Version:   1.11.4
  Created:   2026-11-28 19:40:00.123 +0000 UTC
  Info:
"""


def test_lock_error_names_holder_and_id() -> None:
    err = tf.classify_failure("apply", tf.Result(1, "", LOCK_OUTPUT), "environment dev")
    assert isinstance(err, tf.StateLockedError)
    assert err.lock_id == "6f1c2a7e-3d4b-4c5d-9e8f-0a1b2c3d4e5f"
    assert "root@builder" in str(err) and "environment dev" in str(err)
    assert "\n" not in str(err)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Error: reading VPC: dial tcp 127.0.0.1:4566: connect: connection refused", "emulator"),
        ("Error: No valid credential sources found", "no AWS credentials"),
        ("Error: Saved plan is stale", "stale"),
        (
            "│ Error: creating S3 Bucket (x): BucketAlreadyExists\n│\n│   with aws_s3_bucket.this,\n",
            "aws_s3_bucket.this: creating S3 Bucket (x): BucketAlreadyExists",
        ),
    ],
)
def test_common_failures_become_one_line(output: str, expected: str) -> None:
    err = tf.classify_failure("plan", tf.Result(1, "", output), "environment dev")
    assert expected in str(err)
    assert "\n" not in str(err)


def test_cli_config_uses_mirror_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io" / "hashicorp" / "aws").mkdir(parents=True)
    monkeypatch.setenv(tf.MIRROR_ENV, str(mirror))
    path = tf.write_cli_config(tmp_path / "run")
    text = path.read_text()
    assert f'path    = "{mirror}"' in text and "filesystem_mirror" in text
    monkeypatch.setenv(tf.MIRROR_ENV, str(tmp_path / "missing"))
    with pytest.raises(InfraError, match="is not a directory"):
        tf.write_cli_config(tmp_path / "run")


def test_cli_config_without_mirror_uses_registry() -> None:
    assert "filesystem_mirror" not in tf.cli_config_text(None)


def _fake_terraform(bin_dir: Path, version: str) -> None:
    script = bin_dir / "terraform"
    script.write_text(f'#!/bin/sh\necho \'{{"terraform_version": "{version}"}}\'\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_old_terraform_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_terraform(tmp_path, "1.5.7")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    tf._version_checked.clear()
    try:
        with pytest.raises(InfraError, match=r"terraform 1\.5\.7 is too old: need >= 1\.11"):
            tf.check_version()
    finally:
        tf._version_checked.clear()


def test_missing_terraform_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    tf._version_checked.clear()
    with pytest.raises(InfraError, match="terraform not found on PATH"):
        tf.check_version()


def test_real_terraform_version_is_accepted() -> None:
    tf._version_checked.clear()
    assert tf.check_version() >= (1, 11, 0)
