"""Options every `infra` verb shares (the entry point and its sub-apps in cli_*.py use them)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class TargetName(StrEnum):
    local = "local"
    aws = "aws"


EnvOpt = Annotated[
    str,
    typer.Option("--env", "-e", help="Environment: a directory under terraform/environments/ (e.g. dev)."),
]
TargetOpt = Annotated[
    TargetName,
    typer.Option(
        "--target",
        "-t",
        envvar="INFRA_TARGET",
        help="local = the embedded emulator (default); aws = real AWS with your credentials.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Confirm destructive actions on protected environments.")
]
