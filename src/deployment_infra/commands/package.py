"""`infra package lambdas`: the Lambda zips Terraform deploys (today: the secret rotation)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from deployment_infra import settings as settings_mod
from deployment_infra import ui
from deployment_infra.errors import UsageError
from deployment_infra.lambdas import package
from deployment_infra.ui import print_json


def default_out_dir() -> Path:
    """<project>/.infra/lambdas: git-ignored, next to everything else infra generates."""
    return settings_mod.load().run_dir / "lambdas"


def lambdas(out: Path | None, as_json: bool) -> int:
    out_dir = check_out_dir(out if out is not None else default_out_dir())
    ui.step(f"packaging {package.NAME} into {out_dir}")
    try:
        path = package.build(out_dir)
    except OSError as exc:  # the directory went away or filled up while writing
        raise UsageError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    built = package.artifact(path)
    if as_json:
        print_json({"lambdas": [built.to_dict()]})
    else:
        # one line, never wrapped: the path and the hash get copied from here
        ui.out.print(f"{built.path}  {built.size} bytes  sha256 {built.sha256}", markup=False)
        ui.ok(f"{built.name}: handler {package.HANDLER}")
    return 0


def check_out_dir(out: Path) -> Path:
    """`out` as an absolute, existing, writable directory, or a one-line UsageError; nothing built yet."""
    out = out.expanduser().absolute()
    try:
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        # root ignores mode bits: try to write rather than trust os.access
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UsageError(f"--out {out} is not a writable directory: {exc.strerror or exc}") from None
    return out
