"""Running terraform in a small test root against a launched emulator (the module tests' shared helper)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from deployment_infra.emulator import Emulator
from deployment_infra.targets import LocalTarget
from deployment_infra.terraform import write_cli_config


def run_terraform(
    root: Path,
    emulator: Emulator,
    args: Sequence[str],
    *,
    timeout: float,
    what: str,
    flags: Sequence[str] = ("-no-color", "-input=false"),
) -> subprocess.CompletedProcess[str]:
    """`terraform ARGS FLAGS` in `root` with the project's CLI config and the emulator's
    credentials; a timeout fails the test naming `what` was being run."""
    env = dict(os.environ)
    env.update(LocalTarget(emulator).environ())
    env.update(
        {
            "TF_CLI_CONFIG_FILE": str(write_cli_config(root / ".tfrc")),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }
    )
    try:
        return subprocess.run(
            ["terraform", *args, *flags],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"terraform {args[0]} of {what} timed out after {timeout} s")
